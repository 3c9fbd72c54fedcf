"""The user's own labelled samples: digits from the Draw page and signs from the Sign page, as PNG files.

Layout: <home>/samples/<collection>/<label>/<timestamp>.png is the greyscale model input and
<timestamp>.original.png beside it the drawing, photo or webcam frame it came from, cropped around the digit or
hand. Digits (my_digits) are stored as the 28×28 MNIST-form input; signs (my_signs) as a 128×128 hand crop from
`hands.letter_from_frame`, resized on load to the model's input size, and, when the hand models found the hand,
its 21 landmarks in <timestamp>.landmarks.json (frame pixels and handedness), for models that read landmarks. A J or
Z, drawn in the air, also keeps the hand's landmarks over the seconds the user drew it, in <timestamp>.motion.json:
the motion reader fits itself to them (core.vision.motion_letters.fitted_settings); the still-letter datasets leave
J and Z out.
"""

import json
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from core import images
from core.labels import ALPHABET, DIGITS, MOTION_LETTERS, SIGN_LETTERS
from core.paths import home_dir
from core.storage import write_atomically, write_text_atomically
from core.vision import hands
from core.vision.digits import DigitCrop
from core.vision.landmarks import LANDMARKS, normalize_landmarks
from core.vision.motion_letters import read_motion
from core.vision.spelling import MAX_MOVE_S

MY_DIGITS = "my_digits"
MY_SIGNS = "my_signs"
# my_digits' label for drawings the user says are no digit: My digits leaves them out, and the mnist_other dataset
# trains on them as ink that is not a digit (core.data.mnist_other), beside the digits the user corrected.
NOT_A_DIGIT = "not_a_digit"
ORIGINAL_SUFFIX = ".original.png"
LANDMARKS_SUFFIX = ".landmarks.json"
MOTION_SUFFIX = ".motion.json"
SAMPLE_SIDE = 28  # px, the side of a saved digit.
# px, the side of a saved sign: larger than any letters model's input, so a model of any size can train on it.
SIGN_SIDE = 128
ORIGINAL_MARGIN = 0.15  # Originals are cropped around the digit with this margin (fraction of its longer side).


@dataclass(frozen=True)
class Sample:
    """One saved sample."""

    path: Path  # the 28×28 PNG
    label: str

    @property
    def original_path(self) -> Path:
        """The drawing or photo crop saved with it (may be absent)."""
        return self.path.with_name(self.path.stem + ORIGINAL_SUFFIX)

    @property
    def landmarks_path(self) -> Path:
        """The hand's landmarks saved with a sign (absent when the hand models did not find the hand)."""
        return self.path.with_name(self.path.stem + LANDMARKS_SUFFIX)

    @property
    def motion_path(self) -> Path:
        """The hand's landmarks over the seconds a J or Z was drawn (J and Z only)."""
        return self.path.with_name(self.path.stem + MOTION_SUFFIX)


def samples_dir(collection: str = MY_DIGITS) -> Path:
    """The folder of a collection: <home>/samples/<collection>."""
    return home_dir() / "samples" / collection


def save_sample(
    image: np.ndarray,
    label: str,
    original_bgr: np.ndarray | None = None,
    collection: str = MY_DIGITS,
    labels: tuple[str, ...] = DIGITS,
    side: int = SAMPLE_SIDE,
) -> Sample:
    """Save a model input (side×side, floats in [0, 1] or uint8) under its label, with the original beside it.

    Both files are written atomically, the original first, so a listed sample is always complete.
    """
    if label not in labels:
        raise ValueError(f"The label must be one of {', '.join(labels)}; got {label!r}.")
    image = np.asarray(image)
    if image.shape != (side, side):
        raise ValueError(f"A sample must be a {side}×{side} image, not {image.shape}.")
    path = _free_path(samples_dir(collection) / label)
    sample = Sample(path, label)
    if original_bgr is not None:
        _write_png(sample.original_path, images.to_bgr(original_bgr))
    _write_png(path, images.to_uint8(image))
    return sample


def save_number(
    crops: list[DigitCrop], text: str, original_bgr: np.ndarray, collection: str = MY_DIGITS
) -> list[Sample]:
    """Save each digit of a drawing or photo under its correct label: text holds one digit per crop."""
    text = text.strip()
    if len(text) != len(crops) or not all(char in DIGITS for char in text):
        found = "1 digit" if len(crops) == 1 else f"{len(crops)} digits"
        raise ValueError(f"Type one digit (0–9) for each digit found; Handlab found {found}, you typed {text!r}.")
    return [
        save_sample(crop.image, label, crop_original(original_bgr, crop.box_xywh), collection)
        for crop, label in zip(crops, text, strict=True)
    ]


def save_not_a_digit(crops: list[DigitCrop], original_bgr: np.ndarray, collection: str = MY_DIGITS) -> list[Sample]:
    """Save every piece of a drawing or photo the user says is no digit, under NOT_A_DIGIT."""
    if not crops:
        raise ValueError("There is no ink to save: draw something first.")
    return [
        save_sample(crop.image, NOT_A_DIGIT, crop_original(original_bgr, crop.box_xywh), collection, (NOT_A_DIGIT,))
        for crop in crops
    ]


def load_all(collection: str, labels: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Every saved sample of these labels, oldest first within a label, with no test split: inputs (uint8, (N, S, S))
    and their labels. For datasets that add the user's samples to others' (core.data.mnist_other)."""
    chosen = [sample for sample in list_samples(collection) if sample.label in labels]
    return _read_samples(chosen), [sample.label for sample in chosen]


def save_sign(
    frame_bgr: np.ndarray,
    box_xywh: tuple[int, int, int, int],
    label: str,
    landmarks_px: np.ndarray | None = None,
    handedness: str = "",
    motion_px: np.ndarray | None = None,
) -> Sample:
    """Save the hand in a frame as a my_signs sample: the letter crop at SIGN_SIDE, the colour crop beside it,
    and the hand's landmarks (frame pixels) with its handedness when the hand models found them.

    A J or Z needs `motion_px`, the hand's (frames, 21, 3) landmarks while it drew the letter (NaN rows where no hand
    was found), showing the letter's handshape; a ValueError says how to record it otherwise.
    """
    label = label.strip().upper()
    if landmarks_px is not None:
        normalize_landmarks(landmarks_px, handedness)  # refuse landmarks no model could read, before writing
    if label in MOTION_LETTERS:
        _check_motion(label, motion_px)
    crop = hands.letter_from_frame(frame_bgr, box_xywh, size=SIGN_SIDE)
    sample = save_sample(crop, label, crop_original(frame_bgr, box_xywh), MY_SIGNS, ALPHABET, SIGN_SIDE)
    if landmarks_px is not None:
        points = np.asarray(landmarks_px, np.float32).reshape(LANDMARKS, 3).round(2).tolist()
        text = json.dumps({"landmarks_px": points, "handedness": handedness})
        write_text_atomically(sample.landmarks_path, text)
    if label in MOTION_LETTERS:
        frames = [
            None if np.isnan(hand[0, 0]) else hand.round(2).tolist() for hand in np.asarray(motion_px, np.float64)
        ]
        write_text_atomically(sample.motion_path, json.dumps({"letter": label, "landmarks_px": frames}))
    return sample


def _check_motion(letter: str, motion_px: np.ndarray | None) -> None:
    """Refuse a J or Z without the motion that draws it."""
    how = (
        f"draw {letter} in live video (🎥 Live), then press “Keep this frame” once it is written or within "
        f"{MAX_MOVE_S:.0f} s"
    )
    if motion_px is None:
        raise ValueError(f"{letter} is drawn in the air, so a photo cannot show it: {how}.")
    motion_px = np.asarray(motion_px, np.float64)
    if motion_px.ndim != 3 or motion_px.shape[1:] != (LANDMARKS, 3):
        raise ValueError(f"A motion must be (frames, {LANDMARKS}, 3) landmarks, not {motion_px.shape}.")
    if read_motion(motion_px).shape != letter:
        shape = "the I hand (only the little finger up)" if letter == "J" else "only the index finger up"
        raise ValueError(f"This motion does not show {letter}'s handshape, {shape}: {how}.")


def motion_clip_samples(collection: str = MY_SIGNS) -> list[Sample]:
    """The saved J and Z samples that carry their motion (what load_motion_clips reads), in listing order."""
    return [s for s in list_samples(collection) if s.label in MOTION_LETTERS and s.motion_path.exists()]


def load_motion_clips(collection: str = MY_SIGNS) -> list[tuple[str, np.ndarray]]:
    """The saved J and Z motions: (letter, (frames, 21, 3) landmarks with NaN where no hand was found); a damaged
    file raises a ValueError that names it (JSON only: nothing is unpickled)."""
    clips = []
    for sample in motion_clip_samples(collection):
        try:
            frames = json.loads(sample.motion_path.read_text(encoding="utf-8"))["landmarks_px"]
            empty = np.full((LANDMARKS, 3), np.nan)
            clip = np.stack(
                [empty if hand is None else np.array(hand, np.float64).reshape(LANDMARKS, 3) for hand in frames]
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{sample.motion_path} is not a readable motion file ({error}): delete it.") from None
        clips.append((sample.label, clip))
    return clips


def load_sign_landmarks(
    collection: str = MY_SIGNS, test_fraction: float = 0.2
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_train, y_train, x_test, y_test ((N, 63) normalised landmarks, label indices) of the signs saved with
    landmarks, split as load_sample_arrays splits (stable under new saves); ValueError names a damaged file."""
    samples = _stable_order(_signs_with_landmarks(collection))
    rows = [_read_landmarks(sample.landmarks_path) for sample in samples]
    x = np.stack(rows) if rows else np.zeros((0, LANDMARKS * 3), np.float32)
    y = np.array([SIGN_LETTERS.index(sample.label) for sample in samples], dtype=np.int64)
    return _split(x, y, test_fraction)


def count_sign_landmarks(collection: str = MY_SIGNS) -> int:
    """How many saved still letters carry landmarks (what the landmarks datasets train on)."""
    return len(_signs_with_landmarks(collection))


def _signs_with_landmarks(collection: str) -> list[Sample]:
    """The saved still letters that carry landmarks, in listing order."""
    return [s for s in list_samples(collection) if s.label in SIGN_LETTERS and s.landmarks_path.exists()]


def _read_landmarks(path: Path) -> np.ndarray:
    """The normalised features of a saved .landmarks.json (JSON only: nothing is unpickled)."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return normalize_landmarks(np.array(saved["landmarks_px"], np.float32), saved["handedness"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{path} is not a readable landmarks file ({error}): delete it or save the sign again."
        ) from None


def crop_original(image: np.ndarray, box_xywh: tuple[int, int, int, int]) -> np.ndarray:
    """The part of an image around a digit's box, with a margin, clipped to the image."""
    x, y, w, h = box_xywh
    margin = round(ORIGINAL_MARGIN * max(w, h))
    top, left = max(0, y - margin), max(0, x - margin)
    return image[top : y + h + margin, left : x + w + margin]


def list_samples(collection: str = MY_DIGITS) -> list[Sample]:
    """Every saved sample of a collection, sorted by label then time."""
    folder = samples_dir(collection)
    if not folder.is_dir():
        return []
    return [
        Sample(path, path.parent.name)
        for path in sorted(folder.glob("*/*.png"))
        if not path.name.endswith(ORIGINAL_SUFFIX) and not path.name.startswith(".")
    ]


def count_labelled(collection: str, labels: tuple[str, ...]) -> int:
    """How many samples carry one of `labels` (my_signs' still letters, leaving its J and Z motions out)."""
    return sum(sample.label in labels for sample in list_samples(collection))


def count_samples(collection: str = MY_DIGITS) -> dict[str, int]:
    """How many samples each label has."""
    counts: dict[str, int] = {}
    for sample in list_samples(collection):
        counts[sample.label] = counts.get(sample.label, 0) + 1
    return counts


def load_sample_arrays(
    collection: str = MY_DIGITS,
    labels: tuple[str, ...] = DIGITS,
    test_fraction: float = 0.2,
    *,
    side: int = SAMPLE_SIDE,
    image_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x_train, y_train, x_test, y_test (uint8 (N, S, S), int64 label indices) of a collection's samples.

    Samples are stored side×side and resized to image_size (default: side) with area averaging. The split is
    deterministic and stable: samples are ordered by a hash of their file name and the first ~test_fraction of
    them (at least one) are the test set, so saving another sample moves at most one.
    """
    size = image_size or side
    samples = _stable_order([sample for sample in list_samples(collection) if sample.label in labels])
    x = _read_samples(samples, side, size)
    y = np.array([labels.index(sample.label) for sample in samples], dtype=np.int64)
    return _split(x, y, test_fraction)


def _stable_order(samples: list[Sample]) -> list[Sample]:
    """Samples ordered by a hash of their file name: a new sample lands anywhere, so the split moves at most one."""
    return sorted(samples, key=lambda sample: (zlib.crc32(sample.path.name.encode()), sample.path.name))


def _split(x: np.ndarray, y: np.ndarray, test_fraction: float) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_test, y_test: the first ~test_fraction of the rows (at least one) are the test set."""
    n_test = max(1, round(test_fraction * len(y))) if len(y) else 0
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


def _read_samples(chosen: list[Sample], side: int = SAMPLE_SIDE, size: int = SAMPLE_SIDE) -> np.ndarray:
    """The samples' images in their order, uint8 (N, size, size) (an empty stack for none); ValueError names a
    damaged file."""
    read = [_read_sample(sample.path, side, size) for sample in chosen]
    return np.stack(read) if read else np.zeros((0, size, size), np.uint8)


def _read_sample(path: Path, side: int = SAMPLE_SIDE, size: int = SAMPLE_SIDE) -> np.ndarray:
    """Read a saved side×side greyscale PNG, resized to size×size; ValueError names a damaged file."""
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None or image.shape != (side, side):
        raise ValueError(f"{path} is not a {side}×{side} greyscale PNG: delete it or save it again.")
    return image if size == side else cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def _free_path(folder: Path) -> Path:
    """A new file name in folder from the current time, never one that exists."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path, n = folder / f"{stamp}.png", 1
    while path.exists():
        path, n = folder / f"{stamp}-{n}.png", n + 1
    return path


def _write_png(path: Path, image: np.ndarray) -> None:
    """Encode an image as PNG and write it atomically."""
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"Could not encode {path.name} as PNG.")
    write_atomically(path, lambda tmp: tmp.write_bytes(encoded.tobytes()))
