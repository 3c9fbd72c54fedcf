"""Words fingerspelled by a person the shipped letters model never trained on, through the live path and the speller.

A video is made at test time from the person's asl_webcam photos (nothing from the dataset is kept): each letter one
photo held 0.84 s with a slow sway and sensor noise, the next letter sliding in over 0.36 s, a dip before a double
letter, the hand away at the end (the pace of benchmarks/fingerspelling.py at 1.2 s a letter). It goes through
`core.vision.video.spell_video`, as `python -m core.predict letters --video` reads a file: the real hand models, the
shipped model, the speller and the word decoder.
"""

import cv2
import numpy as np
import pytest

from core import paths
from core.learn import catalog
from core.predictor import Predictor
from core.vision.video import spell_video

pytestmark = pytest.mark.data

SOURCE = "mariia00"  # face in view; one of the shipped model's test people (core.data.asl_landmarks.TEST_SOURCES)
WORDS = ("HELLO", "WATER", "SIGN", "COFFEE")
FPS = 15
HOLD, MOVE, DIP, AWAY = 13, 5, 5, 15  # frames


def shifted(photo: np.ndarray, dx: float, dy: float) -> np.ndarray:
    matrix = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(photo, matrix, photo.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)


def spelled_frames(word: str, photos: dict[str, np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """The word as a webcam would see it spelled at 1.2 s a letter."""
    height, width = photos[word[0]].shape[:2]
    frames = []
    for i, letter in enumerate(word):
        if i and letter == word[i - 1]:  # a double letter: the hand dips 6% of the frame and comes back
            frames += [shifted(photos[letter], 0, 0.06 * height * np.sin(np.pi * k / DIP)) for k in range(1, DIP)]
        elif i:  # the next letter slides in from 8% of the frame aside
            frames += [shifted(photos[letter], 0.08 * width * (1 - k / MOVE) ** 2, 0) for k in range(MOVE)]
        sway = 0.01 * width * np.sin(np.arange(HOLD) / FPS * 2 * np.pi * 0.5)
        frames += [shifted(photos[letter], dx, 0) for dx in sway]
    away = cv2.resize(cv2.resize(photos[word[0]], (4, 3), interpolation=cv2.INTER_AREA), (width, height))
    frames += [away] * AWAY
    return [np.clip(f + rng.normal(0, 3, f.shape), 0, 255).astype(np.uint8) for f in frames]


def test_words_spelled_by_a_person_the_model_never_saw():
    folder = paths.data_dir() / "asl_webcam" / SOURCE
    if not folder.is_dir():
        pytest.skip(f"needs the asl_webcam photos in {folder.parent}")
    predictor = Predictor(catalog.shipped_model("letters"))
    photos = {letter: cv2.imread(str(sorted((folder / letter).glob("*.jpg"))[0])) for letter in set("".join(WORDS))}
    rng = np.random.default_rng(0)
    frames = [frame for word in WORDS for frame in spelled_frames(word, photos, rng)]
    spelled = spell_video(predictor, ((i / FPS, frame) for i, frame in enumerate(frames)))
    assert len(spelled.words) == len(WORDS)  # each word ended when the hand left, none split, none merged
    assert len(spelled.holds) == sum(map(len, WORDS))  # one letter a hold: none lost, double letters twice
    raw_right = [word.raw == spelled_word for word, spelled_word in zip(spelled.words, WORDS, strict=True)]
    assert sum(raw_right) >= 3, [word.raw for word in spelled.words]  # WATER's T reads S in this photo
    assert spelled.text == " ".join(WORDS)  # the word decoder mends it
