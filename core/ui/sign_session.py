"""The Sign page's session state: the spelled text every input adds to, and live video's results.

Live video's results are shared between threads: the video thread reads each frame into a `LiveSign` and gets it
back with the overlay; the page thread takes a `LiveView` copy of the latest results four times a second. Plain
Python, kept in the page's session state by core.ui.sign and core.ui.sign_live.
"""

import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from core.predictor import Predictor
from core.vision.motion_letters import MotionSettings, read_motion
from core.vision.signs import SignReader, SignReading, annotate, live_letter
from core.vision.spelling import MAX_MOVE_S, Speller, SpellingSettings, SpellState
from core.vision.words import WordGuess, word_list

FPS_WINDOW_S = 3.0  # The frame rate counts the frames read in the last few seconds.
# The frame rate is measured at most this often and then held, so the video's overlay (new every frame) and the page
# (redrawn four times a second) show the same number rather than two readings of a jittering one.
FPS_EVERY_S = 1.0
# "Keep this frame" keeps the last frame with a hand of the speller's track, whose motion it saves with a J or Z.
KEEP_WITHIN_S = MAX_MOVE_S
KEEP_MOTION_S = 10.0  # ... and offers the last J or Z written this long ago, with the motion it was read from


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
    letters: tuple[str, ...] = ()  # what the state's probabilities are of: the model's letters, then J and Z


@dataclass(frozen=True)
class KeptFrame:
    """A frame the user kept to save: the frame, its reading, the letter to offer, and, from live video, the hand's
    landmarks over the seconds before it (a J or Z the user just drew)."""

    frame_bgr: np.ndarray = field(repr=False)  # not mirrored
    reading: SignReading
    suggestion: str | None  # the letter the save form starts from
    motion_px: np.ndarray | None = field(default=None, repr=False)  # (frames, 21, 3), NaN where no hand was found
    # Tells kept frames apart (each gets a fresh form): when it was kept, or a photo's content.
    identity: str = field(default_factory=lambda: f"kept at {time.monotonic()}")

    @classmethod
    def photo(cls, frame_bgr: np.ndarray, reading: SignReading) -> "KeptFrame":
        """A snapshot or an uploaded photo, offered as the letter read from it (the same photo: the same identity)."""
        suggestion = None if reading.prediction is None else reading.prediction.label
        return cls(frame_bgr, reading, suggestion, identity=f"photo {zlib.crc32(frame_bgr.tobytes())}")


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
        motion: MotionSettings | None = None,
    ):
        """`reader` defaults to one with its own hand models (HandModelsMissing when they are not there); `motion`:
        when a J or Z counts (the defaults, or fitted to the user's saved clips)."""
        self._lock = threading.Lock()
        self._reader = reader or SignReader.open()  # its own tracker: only the video thread reads frames
        self._text = text
        self._predictor = predictor
        self._speller = Speller(predictor.labels, settings, motion=motion or MotionSettings())
        # The word list takes ~0.35 s to load: load it now, not in the video thread when the first word ends.
        threading.Thread(target=word_list, args=(self._speller.letters,), daemon=True).start()
        self._frames, self._seen_at_s = 0, None
        self._recent_s: deque[float] = deque()  # when the frames of the last FPS_WINDOW_S were read
        self._fps: float | None = None  # the frame rate shown, measured at _fps_at_s
        self._fps_at_s: float | None = None
        self._reading: SignReading | None = None
        # The last frame with a hand (frame, reading, state, time): a signer who drew a J and reached for the mouse
        # has lowered the hand by the time they press "Keep this frame".
        self._last_hand: tuple[np.ndarray, SignReading, SpellState | None, float] | None = None
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
            if found:
                self._last_hand = (frame_bgr, reading, self._state, now_s)
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
                self._frames, self._fps, self._reading, self._frame_bgr, self._state, self._seen_at_s, self._error,
                self._speller.letters,
            )  # fmt: skip

    def keep(self) -> KeptFrame | None:
        """The latest frame with a hand (of the last KEEP_WITHIN_S) to save, with the letter the page showed for it,
        or the J or Z drawn just before; None when no hand was in view."""
        with self._lock:  # copy out only: the video thread takes the lock every frame
            last_hand, seen_at_s, last = self._last_hand, self._seen_at_s, self._speller.last_motion
            motion_px, motion = self._speller.recent_landmarks(), self._speller.motion
        if last_hand is None or seen_at_s - last_hand[3] > KEEP_WITHIN_S:
            return None
        frame_bgr, reading, state, _ = last_hand
        if last is not None and seen_at_s - last[2] <= KEEP_MOTION_S:  # a J or Z just written: its motion
            return KeptFrame(frame_bgr, reading, last[0], last[1])
        # Else the last seconds' motion: a J or Z too small for the reader yet, which saving it will fit to.
        drawn = None if motion_px is None else read_motion(motion_px, motion).letter
        shown = live_letter(reading, state)
        suggestion = drawn or (shown.text if shown.is_letter else reading.prediction.label)
        return KeptFrame(frame_bgr, reading, suggestion, motion_px)

    def _new_speller(self, predictor: Predictor, settings: SpellingSettings | None) -> Speller:
        return Speller(predictor.labels, settings, motion=self._speller.motion)

    def set_predictor(self, predictor: Predictor) -> None:
        """Use another model from the next frame on."""
        with self._lock:
            if predictor is not self._predictor:
                self._predictor, self._speller = predictor, self._new_speller(predictor, self._speller.settings)

    def set_settings(self, settings: SpellingSettings, motion: MotionSettings | None = None) -> None:
        """Change what counts as a held letter, and (when given) as a J or Z."""
        with self._lock:
            self._speller.settings = settings
            if motion is not None:
                self._speller.motion = motion

    def forget_frames(self) -> None:
        """Drop the last reading, frame count, tracked hand, word in progress and error (a new stream starts); the
        text stays."""
        with self._lock:
            self._reader.tracker.reset()
            self._speller = self._new_speller(self._predictor, self._speller.settings)  # the letters written stay
            self._frames, self._seen_at_s = 0, None
            self._recent_s.clear()
            self._reading = self._frame_bgr = self._state = self._error = self._fps = self._fps_at_s = None
            self._last_hand = None

    def report_error(self, message: str) -> None:
        """Remember a failure of the video thread, for the page to show."""
        with self._lock:
            self._error = message
