"""Find the signing hand in BGR frames with MediaPipe's models; in live video, track it where the detector misses.

A frame runs the palm detector, then the landmark model on the palms' squares, largest first, until one holds a
hand. In live video, a frame where that finds none reads the square the last frame's landmarks give (the hand is
tracked through motion blur); when that fails too, a retry takes a second, wider look (see Retry). Photos try
harder at once (find_in_photo).
"""

from dataclasses import dataclass, replace

import cv2
import numpy as np

from core.vision.hand_rois import HandRect, crop_hand, crop_to_frame, rect_from_landmarks, rect_from_palm
from core.vision.landmarks import MIN_PRESENCE, LandmarkModel
from core.vision.palms import Palm, PalmDetector, box_iou

# Palm detection margins (a black border, as a fraction of the detector's input side), tried in turn until a hand
# is found. A hand that fills much of the picture, or touches its edge, is found more often with room around it
# (asl_photos, 96 photos: 88 found bare, 94 with a 0.2 border; asl_webcam face-in-view frames: 91.3% bare, 95.3%
# with the video margins), so photos try a border first; video tries the bare frame first, and pays for the second
# try only on frames where no hand was found.
VIDEO_MARGINS = (0.0, 0.1)
PHOTO_MARGINS = (0.2, 0.0)
SAME_HAND_IOU = 0.3  # Two hands whose landmark boxes overlap more than this are one hand.
VIEWS = ("frame", "brightened", "mirrored")  # What a retry can show the detector: see view_of.


@dataclass(frozen=True)
class Retry:
    """A second, wider look at a frame in which the first pass found no hand; it never runs when the first finds one.

    The palm detector scores many real hands 0.1-0.5, under MediaPipe's 0.5: large hands cut by the frame's edge,
    fists, hands turned sideways, dim rooms (asl_webcam 6omega9 and suprajapatoju; hands that fill an asl_photos
    photo). The landmark model, given their squares, is sure of the hand. So the retry takes palms down to
    min_score and asks the landmark model for min_presence instead of 0.5, so that a face, a shoulder or a lamp
    is not taken for a hand. Views, margins and palms are tried in that order; the first hand wins.
    """

    margins: tuple[float, ...]  # The detector's border for each try (a fraction of its input side; see letterbox).
    views: tuple[str, ...] = ("frame",)  # Of VIEWS, in order.
    min_score: float = 0.1  # The palm detector's score threshold (0.5 in the first pass).
    min_presence: float = 0.8  # The landmark model's presence threshold (0.5 in the first pass).
    palms: int = 1  # How many palms of each detector run get a landmark run, largest first.


# Video: on a frame where the first pass found nothing, two more detector runs and at most two landmark runs
# (benchmarks/sign_frame.py times it). Photos: everything that helped on the 554 photos the first pass missed (208
# of asl_webcam's 4,924, 346 of asl_photos' 24,000). The retry finds 484 of them (163 and 321); the wide border does
# most (hands that fill the picture), and the frame alone, without the brightened and mirrored views, gave ~405.
VIDEO_RETRY = Retry(margins=(0.0, 0.3))
# While no hand is in view, video retries on the first frame without one and then on every 4th: the retry costs
# ~100 ms, and paying it on every empty frame would drop the live frame rate by half just when a hand comes in.
VIDEO_RETRY_EVERY = 4
PHOTO_RETRY = Retry(margins=(0.3, 0.2, 0.0), views=VIEWS, palms=2)


def view_of(frame_bgr: np.ndarray, view: str) -> np.ndarray:
    """The frame as a retry shows it: as it is, brightened (CLAHE on the L channel of Lab), or mirrored left-right."""
    if view == "frame":
        return frame_bgr
    if view == "mirrored":
        return cv2.flip(frame_bgr, 1)
    if view == "brightened":
        lab = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2LAB)
        lab[..., 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(lab[..., 0])
        return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)
    raise ValueError(f"view must be one of {VIEWS}, not {view!r}")


def unmirrored(hand: "Hand", frame_shape: tuple[int, ...]) -> "Hand":
    """A hand found in the mirrored frame, moved back into the frame: x flipped, left and right swapped."""
    landmarks = hand.landmarks_px.copy()
    landmarks[:, 0] = frame_shape[1] - 1 - landmarks[:, 0]  # cv2.flip maps pixel x to width - 1 - x.
    handedness = {"left": "right", "right": "left"}[hand.handedness]
    return replace(hand, landmarks_px=landmarks, box_xywh=landmarks_box(landmarks, frame_shape), handedness=handedness)


@dataclass(frozen=True)
class Hand:
    """One hand in a frame, in frame pixels."""

    landmarks_px: np.ndarray  # (21, 3) float32: x, y in frame pixels; z relative depth on the same scale.
    box_xywh: tuple[int, int, int, int]  # The axis-aligned box around the landmarks, clipped to the frame.
    presence: float  # The landmark model's hand-presence score, in [0, 1].
    handedness: str  # "left" or "right", as seen in an unmirrored frame.
    score: float  # The palm detector's score for the palm this hand was found (or first tracked) from.
    others: int = 0  # How many more hands were in view when it was found (0 for one hand; 1 means "two hands").


def landmarks_box(landmarks_px: np.ndarray, frame_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """The axis-aligned box_xywh around landmarks, clipped to the frame (integer frame pixels)."""
    frame_h, frame_w = frame_shape[:2]
    low = np.floor(landmarks_px[:, :2].min(axis=0))
    high = np.ceil(landmarks_px[:, :2].max(axis=0))
    left, top = int(np.clip(low[0], 0, frame_w)), int(np.clip(low[1], 0, frame_h))
    right, bottom = int(np.clip(high[0], 0, frame_w)), int(np.clip(high[1], 0, frame_h))
    return left, top, right - left, bottom - top


def box_iou_xywh(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> float:
    """Intersection over union of two box_xywh."""
    as_xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in (first, second)], np.float32)
    return float(box_iou(as_xyxy[0], as_xyxy[1:])[0])


def signing_order(palms: list[Palm]) -> list[Palm]:
    """Palms in the order to try them as the signing hand: the largest first, then the surest."""
    return sorted(palms, key=lambda palm: (round(palm.area), palm.score), reverse=True)


class HandTracker:
    """Finds one hand per frame: find(frame_bgr) -> Hand | None (video, tracked where the detector misses) or
    find_in_photo(frame_bgr)."""

    def __init__(
        self,
        palm_detector: PalmDetector | None = None,
        landmark_model: LandmarkModel | None = None,
        min_presence: float = MIN_PRESENCE,
        threads: int = 2,
        video_retry: Retry | None = VIDEO_RETRY,
    ):
        """Use the given models, or open the checked files in models/hands/ (HandModelsMissing if they are not).

        video_retry is find's second look on a frame where no hand was found; None turns it off.
        """
        self.palm_detector = palm_detector or PalmDetector(threads=threads)
        self.landmark_model = landmark_model or LandmarkModel(threads=threads)
        self.min_presence = min_presence
        self.video_retry = video_retry
        self._tracked: tuple[HandRect, float, int] | None = None  # Next frame's rect, palm score, other hands.
        self._misses = 0  # Frames in a row without a hand (video).

    def find(self, frame_bgr: np.ndarray) -> Hand | None:
        """The signing hand in a video frame (BGR, uint8), or None; a hand the detector misses is tracked.

        The palm detector looks at every frame: its square leads to the landmarks the letters model learnt (every
        training photo goes through find_in_photo), while the square the last frame's landmarks place led to
        landmarks that read 3.5 points worse on people left out (benchmarks/live_vs_photo.py; the detector costs
        ~6 ms more a frame). Where the detector finds no hand (motion blur, a fist at the frame's edge) the last
        frame's landmarks place the square, so a moving hand is kept; then the retry, on the first frame without a
        hand and every VIDEO_RETRY_EVERY-th after that.
        """
        hand = self._detect(frame_bgr, VIDEO_MARGINS)
        if hand is None and self._tracked is not None:
            hand = self._read(frame_bgr, *self._tracked)
        if hand is None and self._misses % VIDEO_RETRY_EVERY == 0:
            hand = self._retry(frame_bgr, self.video_retry)
        self._tracked = None if hand is None else (rect_from_landmarks(hand.landmarks_px), hand.score, hand.others)
        self._misses = 0 if hand is not None else self._misses + 1
        return hand

    def find_in_photo(
        self, frame_bgr: np.ndarray, margins: tuple[float, ...] = PHOTO_MARGINS, retry: Retry | None = PHOTO_RETRY
    ) -> Hand | None:
        """The signing hand in a single picture, detected afresh (no tracking; a tracked hand is kept).

        The retry runs only when the margins found no hand, so a hand they find is the same with or without it.
        """
        hand = self._detect(frame_bgr, margins)
        return self._retry(frame_bgr, retry) if hand is None else hand

    def reset(self) -> None:
        """Forget the tracked hand: the next find runs the palm detector (and the retry, if it finds none)."""
        self._tracked, self._misses = None, 0

    def _detect(self, frame_bgr: np.ndarray, margins: tuple[float, ...]) -> Hand | None:
        """Run the palm detector, then the landmark model on each palm in signing order until one holds a hand."""
        for margin in margins:
            palms = signing_order(self.palm_detector.detect(frame_bgr, margin=margin))
            # The detector sometimes takes a face or a shoulder for a palm; the landmark model then sees no hand.
            for index, palm in enumerate(palms):
                if hand := self._read_palm(frame_bgr, palm):
                    return replace(hand, others=self._count_hands(frame_bgr, palms[index + 1 :], hand))
        return None

    def _retry(self, frame_bgr: np.ndarray, retry: Retry | None) -> Hand | None:
        """The second look (see Retry): each view, each margin, the largest palms; None when there is still no hand.

        Other hands are not counted (others=0): at a palm score of 0.1 too many are not hands.
        """
        for view in retry.views if retry else ():
            image = view_of(frame_bgr, view)
            for margin in retry.margins:
                palms = self.palm_detector.detect(image, margin=margin, min_score=retry.min_score)
                for palm in signing_order(palms)[: retry.palms]:
                    if hand := self._read_palm(image, palm, retry.min_presence):
                        return unmirrored(hand, frame_bgr.shape) if view == "mirrored" else hand
        return None

    def _count_hands(self, frame_bgr: np.ndarray, palms: list[Palm], hand: Hand) -> int:
        """How many of the palms hold a hand other than the given one (a landmark run each)."""
        count = 0
        for palm in palms:
            other = self._read_palm(frame_bgr, palm)
            # Two palm boxes on one hand (a fist seen at two scales) give the same landmarks: one hand, not two.
            count += other is not None and box_iou_xywh(other.box_xywh, hand.box_xywh) < SAME_HAND_IOU
        return count

    def _read_palm(self, frame_bgr: np.ndarray, palm: Palm, min_presence: float | None = None) -> Hand | None:
        """The hand in a palm's square, or None."""
        rect = rect_from_palm(palm.box_xyxy, palm.keypoints_xy)
        return self._read(frame_bgr, rect, palm.score, 0, min_presence)

    def _read(
        self, frame_bgr: np.ndarray, rect: HandRect, score: float, others: int, min_presence: float | None = None
    ) -> Hand | None:
        """Run the landmark model on a rect of the frame; None when it sees no hand there (presence under the bar)."""
        reading = self.landmark_model.landmarks_in(crop_hand(frame_bgr, rect))
        if reading.presence < (self.min_presence if min_presence is None else min_presence):
            return None
        landmarks = crop_to_frame(reading.landmarks_crop, rect)
        box = landmarks_box(landmarks, frame_bgr.shape)
        return Hand(landmarks, box, reading.presence, reading.handedness, score, others)
