"""`python -m core.predict`: read image files with a model, one line (or JSON object) per file.

`--video clip.mp4` (letters) spells a fingerspelling video instead: the letters held, with their times, and the words.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from core import images, tasks
from core.learn import catalog
from core.predictor import Prediction, Predictor
from core.vision import fashion, hand_model_files, reading, signs, video


def read_number(predictor: Predictor, image_bgr: np.ndarray) -> reading.NumberReading:
    """Read the handwritten number in a photo as the Draw page does; ValueError when there is none to read."""
    number = reading.read_photo(predictor, image_bgr)
    if number is None:
        raise ValueError("No digit found in the image.")
    if number.problem:
        raise ValueError(number.problem)
    return number


def predict_file(predictor: Predictor, task: str, path: Path) -> Prediction | reading.NumberReading:
    """Read one image file the way its task reads a photo; ValueError for a file with nothing to read.

    A number (digits) takes the Draw page's upload reader (several digits, the same checks); a hand (letters) the
    Sign page's path for a photo: the hand models find the hand, then the model reads it; an item (fashion) fills
    the picture.
    """
    image_bgr = images.read_image(path)
    reads = tasks.get_task(task).reads
    if reads == "number":
        return read_number(predictor, image_bgr)
    if reads == "item":
        return predictor.predict(fashion.item_from_image(image_bgr, size=predictor.image_size))
    sign = signs.read_sign(predictor, image_bgr)
    if sign.prediction is None:
        raise ValueError("No hand found in the image: one hand, big in the picture, in good light reads best.")
    return sign.prediction


def main(argv: list[str] | None = None) -> int:
    """Predict each file and print a line per file (JSON with --json); exit 1 if any file failed."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.files and not args.video:
        parser.error("give image files, or a video with --video")
    if args.video and tasks.get_task(args.task).reads != "hand":
        parser.error(f"--video spells fingerspelling: it reads letters, not {args.task}")
    model_path = args.model or catalog.shipped_model(args.task)
    try:
        predictor = Predictor(model_path)
        predictor.check_task(args.task)
    except ValueError as error:
        hint = f" Train one: {tasks.get_task(args.task).train_command(model_path)}"
        print(f"error: {error}{hint if not args.model else ''}", file=sys.stderr)
        return 2
    try:
        if tasks.get_task(args.task).reads == "hand":
            hand_model_files.require()
    except hand_model_files.HandModelsMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.video or []:
        try:
            spelled = video.spell_video(predictor, video.video_frames(path))
        except ValueError as error:
            failed += 1
            print(json.dumps({"path": str(path), "error": str(error)}) if args.json else f"{path}: error: {error}")
            continue
        print(json.dumps(_video_fields(path, spelled)) if args.json else _video_lines(path, spelled), flush=True)
    for path in args.files:
        try:
            result = predict_file(predictor, args.task, path)
        except ValueError as error:
            failed += 1
            line = {"path": str(path), "error": str(error)} if args.json else f"{path}: error: {error}"
        else:
            line = _result_line(path, result, args.top, args.json)
        print(json.dumps(line) if args.json else line, flush=True)
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.predict", description=__doc__)
    parser.add_argument("task", choices=list(tasks.TASKS))
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument(
        "--video", type=Path, action="append", help="a fingerspelling video to spell (letters; may be repeated)"
    )
    parser.add_argument("--model", type=Path, help="a .keras model (default: the shipped one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")
    parser.add_argument("--top", type=int, default=3, help="how many labels to list")
    return parser


def _result_line(path: Path, result: Prediction | reading.NumberReading, top: int, as_json: bool) -> dict | str:
    """A file's reading as a JSON-ready dict or a line of text.

    One prediction or one digit: label, confidence and the top labels. A number of several digits: `label` is the
    whole number, `confidence` the chance that every digit is right, and `digits` gives each digit's reading and
    box (x, y, width, height in the image's pixels). Digits also say whether the reading is sure, and why not.
    """
    if isinstance(result, Prediction):
        if not as_json:
            return f"{path}: {result.label} ({result.confidence:.1%})"
        return {"path": str(path), **_prediction_fields(result, top)}
    if not as_json:
        return f"{path}: {result.text} ({result.confidence:.1%}){'' if result.sure else ' ' + result.verdict()}"
    line = {"path": str(path), "label": result.text, "confidence": round(result.confidence, 4)}
    if len(result.digits) == 1:
        line["top"] = _prediction_fields(result.digits[0].prediction, top)["top"]
        line["box"] = list(result.digits[0].crop.box_xywh)
    else:
        line["digits"] = [
            {**_prediction_fields(digit.prediction, top), "box": list(digit.crop.box_xywh), "sure": digit.sure}
            for digit in result.digits
        ]
    return {**line, "sure": result.sure, "verdict": result.verdict()}


def _video_lines(path: Path, spelled: video.SpelledVideo) -> str:
    """A video's spelling as text: a summary line, a line per letter held, a line per word."""
    lines = [f"{path}: {spelled.frames} frames, {spelled.seconds:.1f} s, a hand in {spelled.hand_frames}"]
    lines += [
        f"  {hold.letter}  {hold.start_s:5.2f}–{hold.end_s:5.2f} s  {hold.confidence:.0%}" for hold in spelled.holds
    ]
    for word in spelled.words:
        other = f" (or {word.other})" if word.other else ""
        lines.append(f"  word: {word.chosen}{other}, letters {word.raw}")
    lines.append(f"  text: {spelled.text}" if spelled.words else "  no letters held")
    return "\n".join(lines)


def _video_fields(path: Path, spelled: video.SpelledVideo) -> dict:
    """A video's spelling for JSON."""
    return {
        "path": str(path),
        "frames": spelled.frames,
        "seconds": round(spelled.seconds, 3),
        "hand_frames": spelled.hand_frames,
        "holds": [
            {
                "letter": h.letter,
                "start_s": round(h.start_s, 3),
                "end_s": round(h.end_s, 3),
                "confidence": round(h.confidence, 4),
            }
            for h in spelled.holds
        ],
        "words": [{"raw": w.raw, "word": w.word, "chosen": w.chosen} for w in spelled.words],
        "text": spelled.text,
    }


def _prediction_fields(prediction: Prediction, top: int) -> dict:
    """label, confidence and the top labels with their probabilities, rounded for JSON."""
    return {
        "label": prediction.label,
        "confidence": round(prediction.confidence, 4),
        "top": [[label, round(p, 4)] for label, p in prediction.top(top)],
    }


if __name__ == "__main__":
    sys.exit(main())
