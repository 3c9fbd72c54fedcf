"""Fingerspelling in a video file: its frames read as live video reads them, then spelled into letters and words.

`python -m core.predict letters --video clip.mp4` prints what `spell_video` finds: the letters held, with their
times, and each word with its raw letters. The same SignReader and Speller as the Sign page's live video, with the
file's own clock.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.predictor import Predictor
from core.vision.signs import SignReader
from core.vision.spelling import Hold, Speller, SpellingSettings, SpellState
from core.vision.words import WordGuess

MAX_SECONDS = 600  # Longer files are refused: ten minutes of video is ~2 minutes of reading here.


@dataclass(frozen=True)
class SpelledVideo:
    """What a video spells."""

    frames: int
    seconds: float
    hand_frames: int  # frames in which a hand was found
    holds: tuple[Hold, ...]  # the letters written, in order, with their times
    words: tuple[WordGuess, ...]

    @property
    def text(self) -> str:
        """The words as the Sign page writes them (each the likelier reading), separated by spaces."""
        return " ".join(word.chosen for word in self.words)


def video_frames(path: Path) -> Iterator[tuple[float, np.ndarray]]:
    """The file's frames with their times in seconds; ValueError for a file that is not a readable video."""
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise ValueError(f"{path} is not a video OpenCV can read (try an .mp4 or .avi file).")
        fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        count = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if count / fps > MAX_SECONDS:
                raise ValueError(f"{path} is longer than {MAX_SECONDS // 60} minutes: cut it shorter.")
            yield count / fps, frame
            count += 1
        if count == 0:
            raise ValueError(f"{path} has no frames OpenCV can decode (a damaged or empty video?).")
    finally:
        capture.release()


def spell_video(
    predictor: Predictor,
    frames: Iterator[tuple[float, np.ndarray]],
    reader: SignReader | None = None,
    settings: SpellingSettings | None = None,
) -> SpelledVideo:
    """Read (time, BGR frame) pairs as live video does and spell them; the last frame ends the last word."""
    reader = reader or SignReader.open()
    speller = Speller(predictor.labels, settings)
    holds, words = [], []
    count = hand_frames = 0
    now_s = 0.0

    def keep(state: SpellState) -> None:
        if state.removed:  # a J or Z replaces the still letter it began from
            holds.pop()
        if state.added:
            holds.append(speller.last_hold)
        if state.ended:
            words.append(state.ended)

    for now_s, frame in frames:
        reading = reader.read(predictor, frame, video=True)
        found = reading.hand_found
        count, hand_frames = count + 1, hand_frames + found
        probabilities = reading.prediction.probabilities if found else None
        state = speller.update(probabilities, reading.hand.landmarks_px if found else None, now_s)
        keep(state)
    keep(speller.finish())
    return SpelledVideo(count, now_s, hand_frames, tuple(holds), tuple(words))
