"""Read an ASL letter from a webcam frame or a photo, draw the live overlay, and share live results between threads.

One path for every source: `hands.locate_hand` finds the hand, `hands.letter_from_frame` crops it to the
model's input size, a `Predictor` names it. The webcam, snapshots, uploads, `python -m core.predict letters`
and the asl_photos training data all go through `letter_from_frame`.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from core import images
from core.predictor import Prediction, Predictor
from core.vision import hands
from core.vision.spelling import Speller, SpellingSettings, SpellState

HAND_BGR = (80, 200, 60)  # green: a hand was found
GUIDE_BGR = (0, 200, 255)  # amber: the guide box where the hand should go
TEXT_BGR = (255, 255, 255)
FPS_WINDOW_S = 3.0  # The frame rate counts the frames read in the last few seconds.


@dataclass(frozen=True)
class SignReading:
    """A letter read from one frame."""

    hand: bool  # whether a hand was found; otherwise the guide box was read
    box_xywh: tuple[int, int, int, int]  # the hand found, or the guide box (frame pixels)
    crop_xywh: tuple[int, int, int, int]  # the square around it that the model read
    image: np.ndarray = field(repr=False)  # (size, size) float32 in [0, 1]: what the model sees
    prediction: Prediction


def read_sign(predictor: Predictor, frame_bgr: np.ndarray) -> SignReading:
    """Find the hand, crop it at the model's input size and predict; without a hand the guide box is read."""
    frame_bgr = images.to_bgr(frame_bgr)
    hand_xywh = hands.locate_hand(frame_bgr)
    box_xywh = hand_xywh or hands.guide_box(frame_bgr.shape)
    image = hands.letter_from_frame(frame_bgr, box_xywh, size=predictor.image_size)
    crop_xywh = hands.square_box(box_xywh, frame_bgr.shape)
    return SignReading(hand_xywh is not None, box_xywh, crop_xywh, image, predictor.predict(image))


def crop_bgr(frame_bgr: np.ndarray, box_xywh: tuple[int, int, int, int]) -> np.ndarray:
    """The colour part of a frame inside a box, clipped to the frame (for showing and saving the crop)."""
    x, y, w, h = box_xywh
    frame_h, frame_w = frame_bgr.shape[:2]
    return frame_bgr[max(y, 0) : min(y + h, frame_h), max(x, 0) : min(x + w, frame_w)]


def annotate(
    frame_bgr: np.ndarray,
    reading: SignReading,
    state: SpellState | None,
    fps: float | None,
    mirror: bool = True,
) -> np.ndarray:
    """The frame, mirrored as people expect to see themselves, with the box, the letter and the frame rate drawn.

    Without a spelling state (a single photo) the label is the frame's own prediction.
    """
    out = cv2.flip(frame_bgr, 1) if mirror else frame_bgr.copy()
    x, y, w, h = reading.crop_xywh
    if mirror:
        x = out.shape[1] - x - w  # the box in the mirrored frame
    scale = max(0.5, out.shape[0] / 480)
    if reading.hand:
        cv2.rectangle(out, (x, y), (x + w, y + h), HAND_BGR, max(2, round(2 * scale)))
        _label(out, _hand_label(reading, state), (x, y), HAND_BGR, scale)
        if state is not None and state.held > 0:  # how far the letter is towards being written
            cv2.rectangle(out, (x, y + h + 4), (x + round(w * state.held), y + h + 10), HAND_BGR, -1)
    else:
        _dashed_rectangle(out, (x, y, w, h), GUIDE_BGR, max(2, round(2 * scale)))
        _label(out, "Hold your hand in this box", (x, y), GUIDE_BGR, scale)
    if fps is not None:
        _label(out, f"{fps:.1f} fps", (4, round(28 * scale)), (40, 40, 40), scale * 0.8)
    return out


def _hand_label(reading: SignReading, state: SpellState | None) -> str:
    """The text on the hand's box: the steady letter, "not sure", or a single photo's own prediction."""
    if state is None:
        return f"{reading.prediction.label} {int(reading.prediction.confidence * 100)}%"
    return "not sure" if state.letter is None else f"{state.letter} {int(state.confidence * 100)}%"


def _label(frame: np.ndarray, text: str, corner_xy: tuple[int, int], color_bgr, scale: float) -> None:
    """Draw text on a filled box whose lower left corner is at corner_xy (moved inside the frame)."""
    font, size, thickness = cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, max(1, round(2 * scale))
    (text_w, text_h), baseline = cv2.getTextSize(text, font, size, thickness)
    x = min(max(corner_xy[0], 0), max(0, frame.shape[1] - text_w - 8))
    y = max(corner_xy[1], text_h + baseline + 8)
    cv2.rectangle(frame, (x, y - text_h - baseline - 8), (x + text_w + 8, y), color_bgr, -1)
    cv2.putText(frame, text, (x + 4, y - baseline - 4), font, size, TEXT_BGR, thickness, cv2.LINE_AA)


def _dashed_rectangle(frame: np.ndarray, box_xywh: tuple[int, ...], color_bgr, thickness: int) -> None:
    """A dashed rectangle: the guide is a suggestion, not a detection."""
    x, y, w, h = box_xywh
    dash = max(8, w // 12)
    for start in range(0, max(w, h), 2 * dash):
        if start < w:
            end = min(start + dash, w)
            cv2.line(frame, (x + start, y), (x + end, y), color_bgr, thickness)
            cv2.line(frame, (x + start, y + h), (x + end, y + h), color_bgr, thickness)
        if start < h:
            end = min(start + dash, h)
            cv2.line(frame, (x, y + start), (x, y + end), color_bgr, thickness)
            cv2.line(frame, (x + w, y + start), (x + w, y + end), color_bgr, thickness)


@dataclass(frozen=True)
class LiveView:
    """A copy of the live results for the page to show."""

    frames: int  # frames read since the video started
    fps: float | None
    reading: SignReading | None
    frame_bgr: np.ndarray | None = field(repr=False)  # the last frame read (not mirrored)
    state: SpellState | None
    text: str
    seen_at_s: float | None  # time.monotonic() of the last frame
    error: str | None = None  # why the video thread failed, if it did


class LiveSign:
    """Reads live frames in the video thread and keeps the latest results for the page thread, behind a lock."""

    def __init__(self, predictor: Predictor, settings: SpellingSettings | None = None):
        self._lock = threading.Lock()
        self._predictor = predictor
        self._speller = Speller(predictor.labels, settings)
        self._frames, self._seen_at_s = 0, None
        self._recent_s: deque[float] = deque()  # when the frames of the last FPS_WINDOW_S were read
        self._reading: SignReading | None = None
        self._frame_bgr: np.ndarray | None = None
        self._state: SpellState | None = None
        self._error: str | None = None

    def process(self, frame_bgr: np.ndarray, now_s: float | None = None) -> np.ndarray:
        """Read one frame (video thread) and return it mirrored with the overlay."""
        now_s = time.monotonic() if now_s is None else now_s
        with self._lock:
            predictor = self._predictor
        reading = read_sign(predictor, frame_bgr)  # outside the lock: the page never waits for a prediction
        with self._lock:
            if predictor is not self._predictor:  # the model changed meanwhile: this reading is stale
                return cv2.flip(frame_bgr, 1)
            probabilities = reading.prediction.probabilities if reading.hand else None
            self._state = self._speller.update(probabilities, now_s)
            self._recent_s.append(now_s)
            while self._recent_s[0] < now_s - FPS_WINDOW_S:
                self._recent_s.popleft()
            self._frames, self._seen_at_s = self._frames + 1, now_s
            self._reading, self._frame_bgr = reading, frame_bgr
            state, fps = self._state, self._fps()
        return annotate(frame_bgr, reading, state, fps)

    def _fps(self) -> float | None:
        """Frames per second over the last few seconds; None before two frames."""
        span_s = self._recent_s[-1] - self._recent_s[0] if self._recent_s else 0.0
        return (len(self._recent_s) - 1) / span_s if span_s > 0 else None

    def view(self) -> LiveView:
        """The latest results (page thread)."""
        with self._lock:
            text = self._speller.text
            return LiveView(
                self._frames,
                self._fps(),
                self._reading,
                self._frame_bgr,
                self._state,
                text,
                self._seen_at_s,
                self._error,
            )

    def set_predictor(self, predictor: Predictor) -> None:
        """Use another model from the next frame on; the spelled text is kept."""
        with self._lock:
            if predictor is self._predictor:
                return
            text, settings = self._speller.text, self._speller.settings
            self._predictor, self._speller = predictor, Speller(predictor.labels, settings)
            self._speller.text = text

    def set_settings(self, settings: SpellingSettings) -> None:
        """Change how steady a letter must be."""
        with self._lock:
            self._speller.settings = settings

    def edit(self, action: str, text: str = "") -> None:
        """Edit the spelled text: "add" text, "backspace" or "clear"."""
        with self._lock:
            if action == "add":
                self._speller.add(text)
            elif action == "backspace":
                self._speller.backspace()
            elif action == "clear":
                self._speller.clear()
            else:
                raise ValueError(f"Unknown edit {action!r}: use add, backspace or clear.")

    def forget_frames(self) -> None:
        """Drop the last reading, frame count and error (a new stream starts); the spelled text stays."""
        with self._lock:
            self._frames, self._seen_at_s = 0, None
            self._recent_s.clear()
            self._reading = self._frame_bgr = self._state = self._error = None

    def report_error(self, message: str) -> None:
        """Remember a failure of the video thread, for the page to show."""
        with self._lock:
            self._error = message
