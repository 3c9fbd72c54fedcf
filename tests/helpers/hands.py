"""Synthetic webcam frames: hand-like shapes in four skin tones, on a plain or cluttered room background."""

import cv2
import numpy as np

SKIN_TONES_BGR = {
    "light": (140, 172, 224),
    "medium": (100, 140, 200),
    "tan": (66, 134, 198),
    "dark": (36, 85, 141),
}


def draw_hand(frame_bgr: np.ndarray, center_xy: tuple[int, int], scale: float, color_bgr) -> tuple[int, ...]:
    """Draw a hand-like shape (palm, four fingers, thumb, wrist) in place; return its box_xywh."""
    mask = np.zeros(frame_bgr.shape[:2], np.uint8)
    cx, cy = center_xy
    s = scale
    cv2.ellipse(mask, (cx, cy), (round(40 * s), round(48 * s)), 0, 0, 360, 255, -1)
    for index, dx in enumerate((-30, -10, 10, 30)):
        length = (70, 85, 80, 60)[index] * s
        tip = (round(cx + dx * s * 1.2), round(cy - 30 * s - length))
        cv2.line(mask, (round(cx + dx * s), round(cy - 20 * s)), tip, 255, max(2, round(16 * s)))
    cv2.line(
        mask,
        (round(cx - 35 * s), round(cy + 10 * s)),
        (round(cx - 80 * s), round(cy - 30 * s)),
        255,
        round(20 * s),
    )
    cv2.rectangle(mask, (round(cx - 28 * s), cy), (round(cx + 28 * s), round(cy + 90 * s)), 255, -1)
    shade = np.random.default_rng(0).normal(0, 6, frame_bgr.shape)
    skin = np.clip(np.array(color_bgr, float) + shade, 0, 255).astype(np.uint8)
    frame_bgr[mask > 0] = skin[mask > 0]
    return cv2.boundingRect(mask)


def cluttered_background(height: int = 480, width: int = 640, seed: int = 0) -> np.ndarray:
    """A room-like frame: grey wall, blue and green objects, dark furniture, sensor noise."""
    rng = np.random.default_rng(seed)
    frame_bgr = np.full((height, width, 3), (170, 170, 165), np.uint8)
    colors = [(200, 80, 30), (40, 160, 40), (60, 60, 60), (230, 230, 230), (150, 40, 120), (180, 150, 20)]
    for _ in range(25):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(20, 160)), int(rng.integers(20, 160))
        color = colors[int(rng.integers(len(colors)))]
        if rng.random() < 0.5:
            cv2.rectangle(frame_bgr, (x, y), (x + w, y + h), color, -1)
        else:
            cv2.circle(frame_bgr, (x, y), w // 2, color, -1)
    noise = rng.normal(0, 5, frame_bgr.shape)
    return np.clip(frame_bgr + noise, 0, 255).astype(np.uint8)


def hand_landmarks_px(wrist_xy: tuple[float, float] = (400.0, 380.0), palm_px: float = 80.0) -> np.ndarray:
    """(21, 3) landmarks of an open right hand, fingers up, in frame pixels: a wrist, a thumb out to the side and
    four straight fingers above a palm `palm_px` tall."""
    wx, wy = wrist_xy
    points = [(wx, wy, 0.0)]
    points += [(wx - palm_px * (0.4 + 0.25 * k), wy - palm_px * (0.3 + 0.2 * k), -2.0 * k) for k in range(4)]
    for finger, dx in enumerate((-0.35, -0.1, 0.15, 0.4)):
        base_y = wy - palm_px
        points += [(wx + dx * palm_px, base_y - palm_px * 0.35 * k, -1.0 * finger - k) for k in range(4)]
    return np.array(points, np.float32)


class FakeLandmarkModel:
    """A stand-in for LandmarkModel: every crop reads as the same landmarks with the same presence; counts reads.

    By default it sees no hand (presence 0), so a photo's reading has no more looks (core.vision.hand_views).
    """

    def __init__(self, landmarks_crop: np.ndarray | None = None, presence: float = 0.0):
        self.landmarks_crop = np.zeros((21, 3), np.float32) if landmarks_crop is None else landmarks_crop
        self.presence, self.reads = presence, 0

    def landmarks_in(self, crop_rgb: np.ndarray):
        from core.vision.landmarks import LandmarkReading

        self.reads += 1
        return LandmarkReading(np.asarray(self.landmarks_crop, np.float32), self.presence, 1.0)


class FakeTracker:
    """A stand-in for HandTracker that gives the same hand (or none) every frame and counts how it was asked."""

    def __init__(
        self,
        landmarks_px: np.ndarray | None,
        handedness: str = "right",
        others: int = 0,
        landmark_model: FakeLandmarkModel | None = None,
    ):
        from core.vision.hand_tracker import Hand, landmarks_box

        self.landmark_model = landmark_model or FakeLandmarkModel()
        self.hand = None
        if landmarks_px is not None:
            box = landmarks_box(landmarks_px, (480, 640))
            self.hand = Hand(landmarks_px, box, 0.95, handedness, 0.9, others)
        self.calls = {"find": 0, "find_in_photo": 0, "reset": 0}

    def find(self, frame_bgr: np.ndarray):
        self.calls["find"] += 1
        return self.hand

    def find_in_photo(self, frame_bgr: np.ndarray):
        self.calls["find_in_photo"] += 1
        return self.hand

    def reset(self) -> None:
        self.calls["reset"] += 1


# Hands of a given handshape, carried along a path: for J and Z (core.vision.motion_letters).
PALM_PX = 50.0
FINGER_X = {"index": -15, "middle": -5, "ring": 5, "little": 15}  # each finger's base, px from the palm's centre
FINGER_LANDMARKS = {"thumb": (1, 2, 3, 4), "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16)}
FINGER_LANDMARKS["little"] = (17, 18, 19, 20)


def shaped_hand(extended: tuple[str, ...], at_xy=(300.0, 300.0), jitter_px: float = 0.5) -> np.ndarray:
    """21 landmarks of an upright hand whose `extended` fingers point up and the others fold into the palm."""
    points = np.zeros((21, 3))
    points[0, :2] = at_xy
    for finger, (base, pip, dip, tip) in FINGER_LANDMARKS.items():
        x = at_xy[0] + FINGER_X.get(finger, -30)
        reaches = (1.0, 1.4, 1.7, 2.0) if finger in extended else (1.0, 1.25, 1.0, 0.8)  # in palm lengths
        for landmark, reach in zip((base, pip, dip, tip), reaches, strict=True):
            points[landmark, :2] = (x, at_xy[1] - reach * PALM_PX)
    points[9, :2] = (at_xy[0], at_xy[1] - PALM_PX)  # the middle finger's base: one palm length above the wrist
    points[:, :2] += np.random.default_rng(round(at_xy[0] * 7 + at_xy[1])).normal(0, jitter_px, (21, 2))
    return points


def along(extended: tuple[str, ...], path_palms: np.ndarray) -> np.ndarray:
    """Frames of the hand carried along a path given in palm lengths (its wrist follows the path)."""
    return np.stack([shaped_hand(extended, (300 + x * PALM_PX, 300 + y * PALM_PX)) for x, y in path_palms])


def j_path(frames: int = 24) -> np.ndarray:
    """Down 1.2 palm lengths, then hooking aside and up: a J."""
    down = np.stack([np.zeros(frames // 2), np.linspace(0, 1.2, frames // 2)], axis=1)
    angle = np.linspace(0, np.pi, frames - frames // 2)
    hook = np.stack([-0.4 + 0.4 * np.cos(angle), 1.2 + 0.4 * np.sin(angle)], axis=1)
    return np.vstack([down, hook])


def z_path(frames: int = 24) -> np.ndarray:
    """Across, diagonally back and down, across again."""
    corners = np.array([[0, 0], [1.2, 0], [0, 1.0], [1.2, 1.0]])
    t = np.linspace(0, 3, frames)
    return np.stack([np.interp(t, range(4), corners[:, axis]) for axis in range(2)], axis=1)
