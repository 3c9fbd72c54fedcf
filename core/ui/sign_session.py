"""The Sign page's session state: the spelled text every input adds to, and live video's results.

Live video's results are shared between threads: the video thread reads each frame into a `LiveSign` and gets it
back with the overlay; the page thread takes a `LiveView` copy of the latest results four times a second. Plain
Python, kept in the page's session state by core.ui.sign and core.ui.sign_live.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from core.predictor import Predictor
from core.vision.signs import SignReader, SignReading, annotate
from core.vision.spelling import Speller, SpellingSettings, SpellState
from core.vision.words import WordGuess

FPS_WINDOW_S = 3.0  # The frame rate counts the frames read in the last few seconds.
# The frame rate is measured at most this often and then held, so the video's overlay (new every frame) and the page
# (redrawn four times a second) show the same number rather than two readings of a jittering one.
FPS_EVERY_S = 1.0


class SpelledText:
    """The text spelled on the Sign page, shared by live video (its thread writes letters and ends words) and the page.

    A word that live video ended is written as its likeliest reading (core.vision.words); the other reading, raw
    letters or word, stays on offer (`last_word`, `take_other`) until that part of the text is edited.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._text = ""
        self._last: tuple[int, WordGuess] | None = None  # where the last ended word starts, and its readings

    @property
    def text(self) -> str:
        """The text so far."""
        with self._lock:
            return self._text

    @property
    def last_word(self) -> WordGuess | None:
        """The last word live video ended, while it is still in the text as written."""
        with self._lock:
            return self._last[1] if self._last_in_text() else None

    def edit(self, action: str, text: str = "") -> None:
        """Edit the text: "add" text (a letter, a space), "backspace" or "clear"."""
        with self._lock:
            if action == "add":
                self._text += text
            elif action == "backspace":
                self._text = self._text[:-1]
            elif action == "clear":
                self._text = ""
            else:
                raise ValueError(f"Unknown edit {action!r}: use add, backspace or clear.")

    def replace_last(self, old: str, new: str) -> None:
        """Replace the text's last letter with `new` when it is still `old`; else add `new`."""
        with self._lock:
            self._text = (self._text[: -len(old)] if self._text.endswith(old) else self._text) + new

    def end_word(self, guess: WordGuess) -> None:
        """End the word being spelled: its raw letters, written as they were held, become the chosen reading."""
        with self._lock:
            if not self._text.endswith(guess.raw):  # edited meanwhile: the letters as they now are end the word
                self._text += "" if self._text.endswith(" ") or not self._text else " "
                self._last = None
                return
            start = len(self._text) - len(guess.raw)
            self._text = self._text[:start] + guess.chosen + " "
            self._last = (start, guess)

    def take_other(self) -> None:
        """Swap the last ended word for its other reading (raw letters for the word, or the word for them)."""
        with self._lock:
            if not self._last_in_text() or self._last[1].other is None:
                return
            start, guess = self._last
            end = start + len(guess.chosen)
            self._text = self._text[:start] + guess.other + self._text[end:]
            self._last = (start, replace(guess, chosen=guess.other))

    def _last_in_text(self) -> bool:
        if self._last is None:
            return False
        start, guess = self._last
        return self._text[start : start + len(guess.chosen) + 1] == guess.chosen + " "


@dataclass(frozen=True)
class LiveView:
    """A copy of the live results for the page to show."""

    frames: int  # frames read since the video started
    fps: float | None  # the frame rate drawn on the latest frame's overlay
    reading: SignReading | None
    frame_bgr: np.ndarray | None = field(repr=False)  # the last frame read (not mirrored)
    state: SpellState | None
    seen_at_s: float | None  # time.monotonic() of the last frame
    error: str | None = None  # why the video thread failed, if it did


class LiveSign:
    """Reads live frames in the video thread and keeps the latest results for the page thread, behind a lock.

    Held letters are written into the page's SpelledText, and each word ended there (core.vision.spelling).
    """

    def __init__(
        self,
        predictor: Predictor,
        text: SpelledText,
        settings: SpellingSettings | None = None,
        reader: SignReader | None = None,
    ):
        """`reader` defaults to one with its own hand models (HandModelsMissing when they are not there)."""
        self._lock = threading.Lock()
        self._reader = reader or SignReader.open()  # its own tracker: only the video thread reads frames
        self._text = text
        self._predictor = predictor
        self._speller = Speller(predictor.labels, settings)
        self._frames, self._seen_at_s = 0, None
        self._recent_s: deque[float] = deque()  # when the frames of the last FPS_WINDOW_S were read
        self._fps: float | None = None  # the frame rate shown, measured at _fps_at_s
        self._fps_at_s: float | None = None
        self._reading: SignReading | None = None
        self._frame_bgr: np.ndarray | None = None
        self._state: SpellState | None = None
        self._error: str | None = None

    def process(self, frame_bgr: np.ndarray, now_s: float | None = None) -> np.ndarray:
        """Read one frame (video thread) and return it mirrored with the overlay."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            predictor = self._predictor
        reading = self._reader.read(predictor, frame_bgr, video=True)  # outside the lock: the page never waits
        with self._lock:
            if predictor is not self._predictor:  # the model changed meanwhile: this reading is stale
                return cv2.flip(frame_bgr, 1)
            found = reading.hand_found
            probabilities = reading.prediction.probabilities if found else None
            self._state = self._speller.update(probabilities, reading.hand.landmarks_px if found else None, now_s)
            if self._state.removed:  # a J or Z replaces the still letter it began from
                self._text.replace_last(self._state.removed, self._state.added)
            elif self._state.added:
                self._text.edit("add", self._state.added)
            if self._state.ended:
                self._text.end_word(self._state.ended)
            self._recent_s.append(now_s)
            while self._recent_s[0] < now_s - FPS_WINDOW_S:
                self._recent_s.popleft()
            self._frames, self._seen_at_s = self._frames + 1, now_s
            self._reading, self._frame_bgr = reading, frame_bgr
            if self._fps is None or now_s - self._fps_at_s >= FPS_EVERY_S:
                self._fps, self._fps_at_s = self._measured_fps(), now_s
            state, fps = self._state, self._fps
        return annotate(frame_bgr, reading, state, fps)

    def _measured_fps(self) -> float | None:
        """Frames per second over the last few seconds; None before two frames."""
        span_s = self._recent_s[-1] - self._recent_s[0] if self._recent_s else 0.0
        return (len(self._recent_s) - 1) / span_s if span_s > 0 else None

    def view(self) -> LiveView:
        """The latest results (page thread)."""
        with self._lock:
            return LiveView(
                self._frames, self._fps, self._reading, self._frame_bgr, self._state, self._seen_at_s, self._error
            )

    def set_predictor(self, predictor: Predictor) -> None:
        """Use another model from the next frame on."""
        with self._lock:
            if predictor is not self._predictor:
                self._predictor, self._speller = predictor, Speller(predictor.labels, self._speller.settings)

    def set_settings(self, settings: SpellingSettings) -> None:
        """Change what counts as a held letter."""
        with self._lock:
            self._speller.settings = settings

    def forget_frames(self) -> None:
        """Drop the last reading, frame count, tracked hand, word in progress and error (a new stream starts); the
        text stays."""
        with self._lock:
            self._reader.tracker.reset()
            self._speller = Speller(self._predictor.labels, self._speller.settings)  # the letters written stay
            self._frames, self._seen_at_s = 0, None
            self._recent_s.clear()
            self._reading = self._frame_bgr = self._state = self._error = self._fps = self._fps_at_s = None

    def report_error(self, message: str) -> None:
        """Remember a failure of the video thread, for the page to show."""
        with self._lock:
            self._error = message
