"""The Predictor and `python -m core.predict`: safe loading, fast calls, per-file errors."""

import json

import cv2
import keras
import numpy as np
import pytest
from helpers.drawings import pen_photo
from helpers.hands import FakeTracker, hand_landmarks_px
from helpers.models import make_landmarks_model, tiny_digits_model

from core import paths, predict
from core.learn.fit import save_model
from core.predictor import Predictor
from core.vision import signs

DIGITS = [str(d) for d in range(10)]


@pytest.fixture
def model_path(tmp_path):
    return save_model(tiny_digits_model(), {"labels": DIGITS}, tmp_path / "digits.keras")


def test_predictor_matches_keras_predict(model_path):
    predictor = Predictor(model_path)
    x = np.random.default_rng(0).random((28, 28), dtype=np.float32)
    expected = predictor.model.predict(x[None, ..., None], verbose=0)[0]
    prediction = predictor.predict(x)
    np.testing.assert_allclose(prediction.probabilities, expected, rtol=1e-5, atol=1e-6)
    assert prediction.label == DIGITS[int(np.argmax(expected))]
    assert prediction.confidence == pytest.approx(float(expected.max()))
    top = prediction.top(3)
    assert len(top) == 3
    assert top[0][1] >= top[1][1] >= top[2][1]


def test_card_with_test_time_mirror_averages_each_image_with_its_mirror(tmp_path):
    model = tiny_digits_model()
    plain = Predictor(save_model(model, {"labels": DIGITS}, tmp_path / "plain.keras"))
    mirror = Predictor(save_model(model, {"labels": DIGITS, "test_time_mirror": True}, tmp_path / "mirror.keras"))
    x = np.random.default_rng(1).random((3, 28, 28, 1), dtype=np.float32)

    expected = (plain.predict_batch(x) + plain.predict_batch(x[:, :, ::-1])) / 2

    assert mirror.mirror
    assert not plain.mirror
    np.testing.assert_allclose(mirror.predict_batch(x), expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(plain.predict_batch(x), expected, atol=1e-4)


def test_predictor_accepts_batches_and_refuses_wrong_shapes(model_path):
    predictor = Predictor(model_path)
    assert predictor.predict_batch(np.zeros((5, 28, 28), np.float32)).shape == (5, 10)
    assert predictor.image_size == 28
    with pytest.raises(ValueError, match=r"expects inputs of shape \(28, 28, 1\), not \(32, 32, 1\)"):
        predictor.predict(np.zeros((32, 32), np.float32))


def test_corrupt_model_file_is_refused(tmp_path, model_path):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(model_path.read_bytes()[:200])
    broken.with_suffix(".json").write_text(json.dumps({"labels": DIGITS}))
    with pytest.raises(ValueError, match="The model broken.keras cannot be loaded safely"):
        Predictor(broken)


def test_model_with_code_in_it_is_refused_in_safe_mode(tmp_path):
    unsafe = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Lambda(lambda x: x * 2)])
    unsafe.add(keras.layers.Flatten())
    unsafe.add(keras.layers.Dense(10, activation="softmax"))
    path = save_model(unsafe, {"labels": DIGITS}, tmp_path / "unsafe.keras")
    with pytest.raises(ValueError, match="cannot be loaded safely"):
        Predictor(path)


def test_card_that_does_not_match_the_model_is_refused(tmp_path):
    path = save_model(tiny_digits_model(), {"labels": ["a", "b"]}, tmp_path / "m.keras")
    with pytest.raises(ValueError, match="gives 10 outputs but its card lists 2 labels"):
        Predictor(path)


def test_missing_card_is_refused(tmp_path, model_path):
    model_path.with_suffix(".json").unlink()
    with pytest.raises(ValueError, match="The model card digits.json is missing"):
        Predictor(model_path)


def test_cli_prints_json_per_file_and_an_error_line_for_bad_files(tmp_path, model_path, capsys):
    photo = np.full((200, 160, 3), 255, np.uint8)
    cv2.putText(photo, "7", (30, 170), cv2.FONT_HERSHEY_SIMPLEX, 6, (0, 0, 0), 14)
    good, bad = tmp_path / "seven.png", tmp_path / "notes.txt"
    cv2.imwrite(str(good), photo)
    bad.write_text("not an image")
    code = predict.main(["digits", str(good), str(bad), "--json", "--model", str(model_path)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert lines[0]["path"] == str(good)
    assert lines[0]["label"] in DIGITS
    assert 0 < lines[0]["confidence"] <= 1
    assert len(lines[0]["top"]) == 3
    assert lines[1]["path"] == str(bad)
    assert "not an image" in lines[1]["error"]


def test_cli_reads_a_thin_pen_number_on_a_large_image_as_the_draw_page_does(tmp_path, capsys):
    # Issue #16: a paint program's 1050×800 drawing with a 2 px pen. The CLI used to read all the ink as one digit.
    path = tmp_path / "47.png"
    cv2.imwrite(str(path), pen_photo("47", (1050, 800), pen_px=2))
    assert predict.main(["digits", str(path), "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["label"] == "47"
    assert line["sure"]
    assert line["verdict"] == "Reads 47."
    assert [digit["label"] for digit in line["digits"]] == ["4", "7"]
    four, seven = line["digits"]
    assert line["confidence"] == pytest.approx(four["confidence"] * seven["confidence"], abs=1e-3)
    (x4, y4, w4, h4), (x7, _, _, _) = (digit["box"] for digit in line["digits"])
    assert x4 + w4 <= x7  # left to right, in the image's own pixels
    assert 200 < h4 < 420
    assert 100 < y4 < 400
    assert all(len(digit["top"]) == 3 and digit["sure"] for digit in line["digits"])
    assert predict.main(["digits", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: 47 ({line['confidence']:.1%})\n"


@pytest.mark.parametrize("text", ["1", "10", "2024"])
@pytest.mark.parametrize("pen_px", [1, 2])
def test_cli_reads_hairline_numbers_a_thin_tall_1_included(tmp_path, capsys, text, pen_px):
    path = tmp_path / f"{text}.png"
    cv2.imwrite(str(path), pen_photo(text, (1050, 800), pen_px=pen_px))
    assert predict.main(["digits", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: {text} (")


def test_cli_gives_an_unsure_or_unreadable_number_a_reason(tmp_path, model_path, capsys):
    blank, scribble = tmp_path / "blank.png", tmp_path / "scribble.png"
    cv2.imwrite(str(blank), np.full((300, 400, 3), 255, np.uint8))
    dots = np.full((300, 400, 3), 255, np.uint8)
    for index in range(16):
        cv2.circle(dots, (20 + 24 * index, 40 + 13 * (index % 5) * 3), 6, (0, 0, 0), -1)
    cv2.imwrite(str(scribble), dots)
    assert predict.main(["digits", str(blank), str(scribble), "--json", "--model", str(model_path)]) == 1
    blank_line, scribble_line = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert blank_line == {"path": str(blank), "error": "No digit found in the image."}
    assert "looks like scribble" in scribble_line["error"]


def test_cli_without_a_shipped_model_says_how_to_train_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "MODELS_DIR", tmp_path)
    assert predict.main(["digits", "x.png"]) == 2
    err = capsys.readouterr().err
    assert "There is no model file at" in err
    assert f"Train one: python -m core.train --recipe digits-cnn --save-to {tmp_path / 'digits.keras'}" in err


@pytest.mark.parametrize(("task", "labels"), [("letters", list("ABCDEFGHIKLMNOPQRSTUVWXY")), ("fashion", DIGITS)])
def test_cli_reads_letter_and_fashion_photos_through_their_own_preprocessing(
    tmp_path, capsys, monkeypatch, task, labels
):
    # Letters go through the Sign page's photo reader; a stand-in tracker finds a hand in any picture.
    monkeypatch.setattr(signs, "_photo_reader", signs.SignReader(FakeTracker(hand_landmarks_px((160, 200), 60))))
    model_path = save_model(tiny_digits_model(classes=len(labels)), {"labels": labels}, tmp_path / f"{task}.keras")
    photo = np.full((240, 320, 3), (40, 90, 30), np.uint8)  # a green room
    cv2.ellipse(photo, (160, 130), (50, 80), 0, 0, 360, (120, 150, 210), -1)  # a skin-coloured hand
    path = tmp_path / "photo.jpg"
    cv2.imwrite(str(path), photo)
    assert predict.main([task, str(path), "--json", "--model", str(model_path)]) == 0
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert line["label"] in labels
    assert [label for label, _ in line["top"]][0] == line["label"]


def test_a_landmarks_model_serves_letters_only(tmp_path):
    predictor = Predictor(make_landmarks_model(tmp_path / "letters.keras", "Y"))
    assert predictor.reads_landmarks
    assert predictor.image_size == 0
    predictor.check_task("letters")
    with pytest.raises(ValueError, match=r"reads inputs of shape \(63,\), but digits are 28×28 greyscale"):
        predictor.check_task("digits")
    assert predictor.predict(np.zeros(63, np.float32)).label == "Y"
    with pytest.raises(ValueError, match="expects inputs of shape"):
        predictor.predict(np.zeros((28, 28), np.float32))


def test_letters_without_the_hand_models_say_how_to_fetch_them(tmp_path, monkeypatch, capsys):
    from core.vision import hand_model_files

    monkeypatch.setattr(hand_model_files, "HAND_MODELS_DIR", tmp_path / "no-hands")
    model_path = make_landmarks_model(tmp_path / "letters.keras", "L")
    photo = tmp_path / "hand.png"
    cv2.imwrite(str(photo), np.zeros((64, 64, 3), np.uint8))
    assert predict.main(["letters", str(photo), "--model", str(model_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: The hand models are not ready")
    assert "scripts.fetch_hand_models" in error


class DarkFramesTracker(FakeTracker):
    """A stand-in tracker that finds the hand in every frame but the black ones (the hand out of view)."""

    def find(self, frame_bgr: np.ndarray):
        self.calls["find"] += 1
        return None if frame_bgr.mean() < 5 else self.hand


def write_video(path, frames: list[np.ndarray], fps: int = 15):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_cli_spells_a_video_into_held_letters_with_times_and_words(tmp_path, monkeypatch, capsys):
    tracker = DarkFramesTracker(hand_landmarks_px((160, 120), 60))
    monkeypatch.setattr(signs.SignReader, "open", classmethod(lambda cls: cls(tracker)))
    model_path = make_landmarks_model(tmp_path / "letters.keras", "L")
    hand, away = np.full((240, 320, 3), 120, np.uint8), np.zeros((240, 320, 3), np.uint8)
    # L held 0.8 s, the hand away 0.8 s, L held 0.8 s: two words of one letter, the second ended by the file's end
    clip = write_video(tmp_path / "clip.avi", [hand] * 12 + [away] * 12 + [hand] * 12)
    assert predict.main(["letters", "--video", str(clip), "--model", str(model_path), "--json"]) == 0
    (line,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (line["frames"], line["hand_frames"]) == (36, 24)
    assert [hold["letter"] for hold in line["holds"]] == ["L", "L"]
    assert line["holds"][0]["start_s"] == pytest.approx(0.0)
    assert line["holds"][1]["start_s"] == pytest.approx(23 / 15, abs=0.01)  # from the frame before the hand came back
    assert [word["raw"] for word in line["words"]] == ["L", "L"]
    assert line["text"] == "L L"
    assert predict.main(["letters", "--video", str(clip), "--model", str(model_path)]) == 0
    text = capsys.readouterr().out
    assert "36 frames, 2.3 s, a hand in 24" in text
    assert "text: L L" in text


def test_cli_video_refuses_a_file_that_is_not_a_video_and_a_task_without_hands(tmp_path, capsys):
    model_path = make_landmarks_model(tmp_path / "letters.keras", "L")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    assert predict.main(["letters", "--video", str(bad), "--model", str(model_path)]) == 1
    assert "is not a video OpenCV can read" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        predict.main(["digits", "--video", str(bad)])
    assert "--video spells fingerspelling" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        predict.main(["letters"])
    assert "give image files, or a video with --video" in capsys.readouterr().err
