"""Tests for core.vision.motion_letters: J and Z from a handshape held while its fingertip travels a curved path."""

import numpy as np
import pytest

from core.vision.motion_letters import MotionSettings, handshape, read_motion

PALM_PX = 50.0
RNG = np.random.default_rng(0)
FINGER_X = {"index": -15, "middle": -5, "ring": 5, "little": 15}  # each finger's base, px from the palm's centre
FINGER_LANDMARKS = {"thumb": (1, 2, 3, 4), "index": (5, 6, 7, 8), "middle": (9, 10, 11, 12), "ring": (13, 14, 15, 16)}
FINGER_LANDMARKS["little"] = (17, 18, 19, 20)


def hand(extended: tuple[str, ...], at_xy=(300.0, 300.0), jitter_px: float = 0.5) -> np.ndarray:
    """21 landmarks of an upright hand whose `extended` fingers point up and the others fold into the palm."""
    points = np.zeros((21, 3))
    points[0, :2] = at_xy
    for finger, (base, pip, dip, tip) in FINGER_LANDMARKS.items():
        x = at_xy[0] + FINGER_X.get(finger, -30)
        reaches = (1.0, 1.4, 1.7, 2.0) if finger in extended else (1.0, 1.25, 1.0, 0.8)  # in palm lengths
        for landmark, reach in zip((base, pip, dip, tip), reaches, strict=True):
            points[landmark, :2] = (x, at_xy[1] - reach * PALM_PX)
    points[9, :2] = (at_xy[0], at_xy[1] - PALM_PX)  # the middle finger's base: one palm length above the wrist
    points[:, :2] += RNG.normal(0, jitter_px, (21, 2))
    return points


def along(extended: tuple[str, ...], path_palms: np.ndarray) -> np.ndarray:
    """Frames of the hand carried along a path given in palm lengths (its wrist follows the path)."""
    return np.stack([hand(extended, (300 + x * PALM_PX, 300 + y * PALM_PX)) for x, y in path_palms])


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


def test_handshapes_are_read_from_which_fingers_are_extended():
    assert handshape(hand(("little",))) == "J"
    assert handshape(hand(("index",))) == "Z"
    assert handshape(hand(("index", "middle"))) is None  # V, U, H...
    assert handshape(hand(())) is None  # a fist: A, S, E...


def test_a_j_and_a_z_are_read_from_their_motion():
    assert read_motion(along(("little",), j_path())).letter == "J"
    assert read_motion(along(("index",), z_path())).letter == "Z"


@pytest.mark.parametrize("extended", [("little",), ("index",)])
def test_a_held_or_wobbling_i_or_d_stays_still(extended):
    held = read_motion(np.stack([hand(extended) for _ in range(20)]))
    assert held.letter is None
    assert held.too_small
    wobble = RNG.normal(0, 0.08, (20, 2))  # a shaky hand: a tenth of a palm either way, every frame
    assert read_motion(along(extended, wobble)).letter is None


def test_a_hand_carried_straight_into_place_is_not_a_letter():
    carried = np.stack([np.linspace(0, 2.0, 20), np.linspace(0, 0.5, 20)], axis=1)
    reading = read_motion(along(("little",), carried))
    assert reading.letter is None
    assert reading.path > MotionSettings().min_path
    assert reading.bend < MotionSettings().min_bend


def test_the_path_is_followed_only_while_the_handshape_holds():
    # An I, then the hand changes to a fist and moves along a J: no J, the I's handshape never moved.
    frames = np.vstack([np.stack([hand(("little",)) for _ in range(10)]), along((), j_path())])
    assert read_motion(frames).letter is None
    # Frames without a hand (NaN) in the middle of a J: still a J.
    j = along(("little",), j_path())
    j[10] = np.nan
    assert read_motion(j).letter == "J"


def test_too_few_frames_read_nothing():
    assert read_motion(np.full((2, 21, 3), np.nan)).letter is None


@pytest.mark.data
@pytest.mark.parametrize(("clip", "letter"), [("mariia00/J", "J"), ("yogesh0801/Z", "Z")])
def test_real_clips_of_a_j_and_a_z_through_the_live_tracker(clip, letter):
    """Two asl_motion clips whose motion is clear (its README), read frame by frame as live video reads them."""
    import cv2

    from core import paths
    from core.vision.hand_tracker import HandTracker

    folder = paths.data_dir() / "asl_motion" / clip
    if not folder.is_dir():
        pytest.skip(f"needs the asl_motion clips in {folder.parent.parent}")
    tracker = HandTracker()
    hands = [tracker.find(cv2.imread(str(frame), cv2.IMREAD_COLOR)) for frame in sorted(folder.glob("*.jpg"))]
    landmarks = np.stack([h.landmarks_px if h else np.full((21, 3), np.nan, np.float32) for h in hands])
    assert read_motion(landmarks).letter == letter
