"""The rotated square around a hand that the landmark model reads: from a palm, from last frame's landmarks, and
the affine warp between it and the model's 224×224 crop (MediaPipe's hand-tracking geometry).

Angles are in radians, clockwise on screen (image y points down): 0 when the hand points up, π/2 when it points to
the right of the frame. The crop is turned so that the hand always points up in it.
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np

CROP_SIDE = 224  # The landmark model's square input (px).
# From a palm: MediaPipe's palm-to-hand transformation (the palm box is far smaller than the hand).
PALM_SCALE = 2.6
PALM_SHIFT_Y = -0.5  # Along the rotated y, in box heights: negative moves toward the fingers.
# From landmarks, for the next frame: a box around the palm and lower fingers, grown to hold the whole hand.
LANDMARK_SCALE = 2.0
LANDMARK_SHIFT_Y = -0.1
# Landmarks that MediaPipe boxes for the next frame: wrist, thumb base joints, and the two lower joints of each
# finger; the fingertips move too fast to be trusted.
PARTIAL_LANDMARKS = (0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18)
WRIST, INDEX_MCP, MIDDLE_MCP, RING_MCP = 0, 5, 9, 13


@dataclass(frozen=True)
class HandRect:
    """A rotated square in frame pixels: its centre, side and clockwise angle."""

    centre_xy: tuple[float, float]
    side_px: float
    angle_rad: float

    def corners_xy(self) -> np.ndarray:
        """(4, 2) float32 corners in frame pixels: top-left, top-right, bottom-right, bottom-left of the crop."""
        half = self.side_px / 2
        local = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float32)
        return local @ _rotation(self.angle_rad).T + np.asarray(self.centre_xy, np.float32)


def _rotation(angle_rad: float) -> np.ndarray:
    """The 2×2 matrix that turns crop axes into frame axes (clockwise on screen for a positive angle)."""
    cos, sin = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[cos, -sin], [sin, cos]], np.float32)


def pointing_angle(start_xy: np.ndarray, end_xy: np.ndarray) -> float:
    """The clockwise angle (radians, in [-π, π)) that turns "up" into the direction from start to end."""
    dx, dy = float(end_xy[0] - start_xy[0]), float(end_xy[1] - start_xy[1])
    angle = math.pi / 2 - math.atan2(-dy, dx)
    return (angle + math.pi) % (2 * math.pi) - math.pi


def grow_rect(
    centre_xy: np.ndarray, size_wh: tuple[float, float], angle_rad: float, scale: float, shift_y: float
) -> HandRect:
    """MediaPipe's RectTransformation: shift along the rotated y (in heights), then square on the long side, scale."""
    width, height = size_wh
    offset = _rotation(angle_rad) @ np.array([0.0, height * shift_y], np.float32)
    centre = np.asarray(centre_xy, np.float32) + offset
    return HandRect((float(centre[0]), float(centre[1])), float(max(width, height) * scale), angle_rad)


def rect_from_palm(box_xyxy: np.ndarray, keypoints_xy: np.ndarray) -> HandRect:
    """The hand's square from a palm box and its keypoints (frame pixels): turned so wrist→middle finger is up."""
    angle = pointing_angle(keypoints_xy[0], keypoints_xy[2])
    left, top, right, bottom = (float(v) for v in box_xyxy)
    centre = np.array([(left + right) / 2, (top + bottom) / 2], np.float32)
    return grow_rect(centre, (right - left, bottom - top), angle, PALM_SCALE, PALM_SHIFT_Y)


def rect_from_landmarks(landmarks_px: np.ndarray) -> HandRect:
    """The next frame's square from this frame's 21 landmarks (frame pixels), as MediaPipe tracks a hand.

    The direction runs from the wrist to a blend of the index, middle and ring finger bases; the box is taken
    around the palm landmarks in that turned frame, then grown to hold the fingers.
    """
    points = np.asarray(landmarks_px, np.float32)[:, :2]
    towards = ((points[INDEX_MCP] + points[RING_MCP]) / 2 + points[MIDDLE_MCP]) / 2
    angle = pointing_angle(points[WRIST], towards)
    partial = points[list(PARTIAL_LANDMARKS)]
    middle = (partial.min(axis=0) + partial.max(axis=0)) / 2
    turned = (partial - middle) @ _rotation(angle)  # Row vectors times R: the inverse turn, into hand axes.
    low, high = turned.min(axis=0), turned.max(axis=0)
    centre = middle + _rotation(angle) @ ((low + high) / 2)
    width, height = (float(v) for v in high - low)
    return grow_rect(centre, (width, height), angle, LANDMARK_SCALE, LANDMARK_SHIFT_Y)


def crop_matrix(rect: HandRect, side: int = CROP_SIDE) -> np.ndarray:
    """The 2×3 affine matrix that maps frame pixels into the side×side crop of a hand rect."""
    corners = rect.corners_xy()
    crop_corners = np.array([[0, 0], [side, 0], [side, side]], np.float32)
    return cv2.getAffineTransform(corners[:3], crop_corners)


def crop_hand(frame_bgr: np.ndarray, rect: HandRect, side: int = CROP_SIDE) -> np.ndarray:
    """The side×side RGB float32 crop in [0, 1] of a hand rect, hand pointing up; black beyond the frame."""
    crop = cv2.warpAffine(
        frame_bgr, crop_matrix(rect, side), (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255


def crop_to_frame(points_crop: np.ndarray, rect: HandRect, side: int = CROP_SIDE) -> np.ndarray:
    """Map (N, 3) points from crop pixels back to frame pixels; z is scaled like x and y."""
    points = np.asarray(points_crop, np.float32)
    scale = rect.side_px / side
    local = (points[:, :2] - side / 2) * scale
    xy = local @ _rotation(rect.angle_rad).T + np.asarray(rect.centre_xy, np.float32)
    return np.concatenate([xy, points[:, 2:3] * scale], axis=1).astype(np.float32)
