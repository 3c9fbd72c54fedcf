"""More readings of a hand found in a photo: the landmark model run again on squares its first landmarks place.

The first reading of a photo comes from the palm detector's square, which sits the hand loosely. MediaPipe's
tracking square, taken from the landmarks themselves, sits it better, and the same square turned or widened
gives the landmark model other looks at the same hand. Its errors differ from look to look (a fist read with
the fingers up in one, folded in another), so a letters model that averages its probabilities over all the
readings misreads fewer photos: leave one source out, see docs/letters.md. Live video needs none of this: it
tracks the hand with the landmarks' square already and averages over frames.

The landmark caches hold first readings only (core.data.hand_landmarks): a change here does not touch them.
"""

import math
from dataclasses import replace

import numpy as np

from core.vision.hand_rois import HandRect, crop_hand, crop_to_frame, rect_from_landmarks
from core.vision.hand_tracker import Hand
from core.vision.landmarks import MIN_PRESENCE, LandmarkModel

TURN_RAD = math.radians(15)  # The tracking square turned this much either way.
WIDEN = 1.25  # The tracking square this much wider.


def more_readings(landmark_model: LandmarkModel, frame_bgr: np.ndarray, hand: Hand) -> list[np.ndarray]:
    """Up to five more (21, 3) landmark readings of `hand`, in frame pixels; looks without a hand are left out.

    The looks: MediaPipe's tracking square (placed by the hand's landmarks), the tracking square of that reading,
    and the first tracking square turned by ±TURN_RAD and widened by WIDEN.
    """
    tracking = rect_from_landmarks(hand.landmarks_px)
    readings = []
    refined = _read(landmark_model, frame_bgr, tracking)
    if refined is not None:
        readings.append(refined)
        again = _read(landmark_model, frame_bgr, rect_from_landmarks(refined))
        readings += [] if again is None else [again]
    for rect in (
        replace(tracking, angle_rad=tracking.angle_rad + TURN_RAD),
        replace(tracking, angle_rad=tracking.angle_rad - TURN_RAD),
        replace(tracking, side_px=tracking.side_px * WIDEN),
    ):
        reading = _read(landmark_model, frame_bgr, rect)
        readings += [] if reading is None else [reading]
    return readings


def _read(landmark_model: LandmarkModel, frame_bgr: np.ndarray, rect: HandRect) -> np.ndarray | None:
    """The landmarks the model reads in a square of the frame (frame pixels), or None when it sees no hand there."""
    reading = landmark_model.landmarks_in(crop_hand(frame_bgr, rect))
    return crop_to_frame(reading.landmarks_crop, rect) if reading.presence >= MIN_PRESENCE else None
