"""Read an ASL letter from a webcam frame or a photo, and draw the live overlay (live results: core.ui.sign_session).

One path for every source (`SignReader.read`): MediaPipe's hand models find the hand and its 21 landmarks
(`HandTracker`, tracking from frame to frame in live video), OpenCV crops the square around the landmarks and
shrinks it, and a `Predictor` names the letter, from the normalised landmarks or from the crop, whichever the
model reads. The webcam, snapshots, uploads, `python -m core.predict letters` and the landmark datasets all go
through the same tracker. Without the hand model files there is no reader: `HandModelsMissing` says how to
fetch them.
"""

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

from core import images
from core.predictor import Prediction, Predictor
from core.vision import hand_views, hands
from core.vision.hand_tracker import Hand, HandTracker
from core.vision.landmarks import normalize_landmarks
from core.vision.spelling import SpellState

HAND_BGR = (80, 200, 60)  # green: a hand was found
GUIDE_BGR = (0, 200, 255)  # amber: the guide box where the hand should go
BONE_BGR = (255, 255, 255)  # the skeleton's lines, drawn over a dark outline
JOINT_BGR = (60, 60, 230)  # red dots on the 21 landmarks
TEXT_BGR = (255, 255, 255)
TRAIL_BGR = (255, 120, 0)  # blue: the path a J or Z fingertip draws
CROP_SIDE = 64  # The crop shown (and saved) for a model that reads landmarks: what an image model would read.
NO_HAND_TEXT = "No hand in view"
PHOTO_THRESHOLD = 0.6  # A photo's letter read with less confidence is "not sure" (the Sign page, exported cards).
MOVING, NOT_SURE, NO_HAND = "moving", "not sure", "no hand"  # what live video shows in place of a letter
# The skeleton: which landmarks are joined (0 wrist; 1–4 thumb; 5–8 index; 9–12 middle; 13–16 ring; 17–20 little).
HAND_CONNECTIONS = (
    *((0, 1), (1, 2), (2, 3), (3, 4)),
    *((0, 5), (5, 6), (6, 7), (7, 8)),
    *((5, 9), (9, 10), (10, 11), (11, 12)),
    *((9, 13), (13, 14), (14, 15), (15, 16)),
    *((13, 17), (0, 17), (17, 18), (18, 19), (19, 20)),
)


@dataclass(frozen=True)
class SignReading:
    """A letter read from one frame, or why none was."""

    hand: Hand | None  # the hand found: 21 landmarks, handedness, other hands in view; None when there is none
    box_xywh: tuple[int, int, int, int]  # the hand's box, or the guide box when there is no hand (frame pixels)
    crop_xywh: tuple[int, int, int, int]  # the square around it that was cropped
    image: np.ndarray = field(repr=False)  # (side, side) float32 in [0, 1]: the crop, as an image model reads it
    prediction: Prediction | None  # None when no hand was found
    features: np.ndarray | None = field(default=None, repr=False)  # (63,) normalised landmarks, when found
    model_reads_landmarks: bool = False  # whether the prediction came from the landmarks, not the crop
    readings: int = 1  # how many landmark readings the prediction averages (a photo's: see core.vision.hand_views)

    @property
    def hand_found(self) -> bool:
        """Whether the hand models found a hand."""
        return self.hand is not None

    @property
    def two_hands(self) -> bool:
        """Whether another hand was in view beside the one read."""
        return self.hand is not None and self.hand.others > 0


class SignReader:
    """Reads letters from frames with one HandTracker (not thread-safe: one reader per video stream or a lock)."""

    def __init__(self, tracker: HandTracker):
        self.tracker = tracker

    @classmethod
    def open(cls) -> "SignReader":
        """A reader with the checked hand models of models/hands/; HandModelsMissing says how to fetch them."""
        return cls(HandTracker())

    def read(self, predictor: Predictor, frame_bgr: np.ndarray, video: bool = False) -> SignReading:
        """Find the hand and read its letter; `video` tracks the hand from the last frame (live video only).

        A photo's landmarks model averages its probabilities over the first reading of the hand and up to five more
        looks at it (core.vision.hand_views: five landmark runs, ~50 ms here); live video reads each frame once.
        """
        frame_bgr = images.to_bgr(frame_bgr)
        hand = self.tracker.find(frame_bgr) if video else self.tracker.find_in_photo(frame_bgr)
        by_landmarks = predictor.reads_landmarks
        side = CROP_SIDE if by_landmarks else predictor.image_size
        if hand is None:
            box = hands.guide_box(frame_bgr.shape)
            image = hands.letter_from_frame(frame_bgr, box, size=side)
            square = hands.square_box(box, frame_bgr.shape)
            return SignReading(None, box, square, image, None, model_reads_landmarks=by_landmarks)
        image = hands.letter_from_frame(frame_bgr, hand.box_xywh, size=side)
        features = normalize_landmarks(hand.landmarks_px, hand.handedness)
        if by_landmarks:
            prediction, readings = self._read_landmarks(predictor, frame_bgr, hand, features, video)
        else:
            prediction, readings = predictor.predict(image), 1
        crop = hands.square_box(hand.box_xywh, frame_bgr.shape)
        return SignReading(hand, hand.box_xywh, crop, image, prediction, features, by_landmarks, readings)

    def _read_landmarks(
        self, predictor: Predictor, frame_bgr: np.ndarray, hand: Hand, features: np.ndarray, video: bool
    ) -> tuple[Prediction, int]:
        """The prediction from the landmarks (a photo's averaged over more looks) and how many readings it averages."""
        looks = [] if video else hand_views.more_readings(self.tracker.landmark_model, frame_bgr, hand)
        batch = np.stack([features, *(normalize_landmarks(points, hand.handedness) for points in looks)])
        return Prediction(predictor.labels, predictor.predict_batch(batch).mean(axis=0)), len(batch)


_photo_reader: SignReader | None = None
_photo_lock = threading.Lock()


def read_sign(predictor: Predictor, frame_bgr: np.ndarray) -> SignReading:
    """Read one photo (snapshot, upload, CLI) with a reader shared by every session, one photo at a time.

    Raises HandModelsMissing, saying how to fetch them, when the hand model files are missing or damaged.
    """
    global _photo_reader
    with _photo_lock:
        if _photo_reader is None:
            _photo_reader = SignReader.open()
        return _photo_reader.read(predictor, frame_bgr)


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
    """The frame, mirrored as people expect to see themselves, with the box, the skeleton, the letter and the fps.

    Without a spelling state (a single photo) the label is the frame's own prediction.
    """
    frame_bgr = images.to_bgr(frame_bgr)
    out = cv2.flip(frame_bgr, 1) if mirror else frame_bgr.copy()
    x, y, w, h = reading.crop_xywh
    if mirror:
        x = out.shape[1] - x - w  # the box in the mirrored frame
    scale = max(0.5, out.shape[0] / 480)
    if reading.hand is not None:
        cv2.rectangle(out, (x, y), (x + w, y + h), HAND_BGR, max(2, round(2 * scale)))
        _skeleton(out, reading.hand.landmarks_px, mirror, scale)
        _label(out, live_letter(reading, state).overlay_text, (x, y), HAND_BGR, scale)
        if state is not None and state.trail_px is not None:  # a J or Z being drawn: its fingertip's path
            _trail(out, state.trail_px, mirror, scale)
        if state is not None and state.held > 0:  # how far the letter is towards being written
            cv2.rectangle(out, (x, y + h + 4), (x + round(w * state.held), y + h + 10), HAND_BGR, -1)
    else:
        _dashed_rectangle(out, (x, y, w, h), GUIDE_BGR, max(2, round(2 * scale)))
        _label(out, NO_HAND_TEXT, (x, y), GUIDE_BGR, scale)
    if fps is not None:
        _label(out, fps_text(fps), (4, round(28 * scale)), (40, 40, 40), scale * 0.8)
    return out


def _trail(frame: np.ndarray, trail_px: np.ndarray, mirror: bool, scale: float) -> None:
    """Draw a fingertip's recent path, thicker towards its newest point."""
    points = trail_px.astype(np.float64).copy()
    if mirror:
        points[:, 0] = frame.shape[1] - 1 - points[:, 0]
    points = np.round(points).astype(np.int32)
    for i in range(1, len(points)):
        thickness = max(1, round(scale * (1 + 4 * i / len(points))))
        cv2.line(frame, tuple(map(int, points[i - 1])), tuple(map(int, points[i])), TRAIL_BGR, thickness, cv2.LINE_AA)


def fps_text(fps: float) -> str:
    """The frame rate as the overlay and the page both write it."""
    return f"{fps:.0f} fps"


def _skeleton(
    frame: np.ndarray, landmarks_px: np.ndarray, mirror: bool, scale: float, bone_bgr: tuple = BONE_BGR
) -> None:
    """Draw the hand's 21 landmarks and the bones between them."""
    points = landmarks_px[:, :2].copy()
    if mirror:
        points[:, 0] = frame.shape[1] - 1 - points[:, 0]
    points = np.round(points).astype(np.int32)
    thickness = max(1, round(2 * scale))
    for start, end in HAND_CONNECTIONS:
        first, second = tuple(int(v) for v in points[start]), tuple(int(v) for v in points[end])
        cv2.line(frame, first, second, (30, 30, 30), thickness + 2, cv2.LINE_AA)  # an outline, seen on white walls
        cv2.line(frame, first, second, bone_bgr, thickness, cv2.LINE_AA)
    for point in points:
        cv2.circle(frame, (int(point[0]), int(point[1])), thickness + 2, JOINT_BGR, -1, cv2.LINE_AA)


def landmarks_picture(features: np.ndarray, side: int = 160) -> np.ndarray:
    """What a landmarks model sees: the normalised hand (63 numbers) drawn as a skeleton on a white square (BGR).

    x and y are drawn as they are (the wrist at the origin, the palm one unit long, left hands mirrored), fitted
    into the square with a margin; z, the depth, is left out.
    """
    points = np.asarray(features, np.float32).reshape(-1, 3)[:, :2]
    low, high = points.min(axis=0), points.max(axis=0)
    span = float(max(high - low)) or 1.0
    margin = 0.1 * side
    fitted = (points - (low + high) / 2) * ((side - 2 * margin) / span) + side / 2
    picture = np.full((side, side, 3), 255, np.uint8)
    _skeleton(picture, fitted, mirror=False, scale=side / 480, bone_bgr=(90, 90, 90))
    return picture


@dataclass(frozen=True)
class LiveLetter:
    """What live video shows for one frame, the same on the overlay, the page's metric and its bars: the letter
    held, or why there is none."""

    text: str  # a letter, or MOVING, NOT_SURE or NO_HAND
    confidence: float | None  # how sure the reading is; None while moving or without a hand

    @property
    def is_letter(self) -> bool:
        """Whether a letter is held (rather than moving, not sure or no hand)."""
        return self.text not in (MOVING, NOT_SURE, NO_HAND)

    @property
    def overlay_text(self) -> str:
        """The text on the hand's box."""
        if self.text == NO_HAND:
            return NO_HAND_TEXT
        return f"{self.text} {int(self.confidence * 100)}%" if self.is_letter else self.text


def live_letter(reading: SignReading, state: SpellState | None) -> LiveLetter:
    """One frame's letter as every part of the page shows it: the letter held (its hold's frames together), "moving",
    "not sure" or "no hand"; without a spelling state (a single photo) the frame's own prediction."""
    if reading.hand is None or reading.prediction is None:
        return LiveLetter(NO_HAND, None)
    if state is None:
        return LiveLetter(reading.prediction.label, reading.prediction.confidence)
    if state.letter is not None:
        return LiveLetter(state.letter, state.confidence)
    return LiveLetter(MOVING, None) if state.moving else LiveLetter(NOT_SURE, state.confidence)


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


def no_hand_picture(side: int = 160) -> np.ndarray:
    """What a landmarks model sees without a hand: an empty square saying so (BGR)."""
    picture = np.full((side, side, 3), 255, np.uint8)
    scale = side / 160
    (text_w, _), _ = cv2.getTextSize("no hand", cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale, 1)
    cv2.putText(picture, "no hand", ((side - text_w) // 2, side // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * scale,
                (140, 140, 140), max(1, round(scale)), cv2.LINE_AA)  # fmt: skip
    return picture
