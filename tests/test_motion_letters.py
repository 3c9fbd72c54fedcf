"""Tests for core.vision.motion_letters: J and Z from a handshape held while its fingertip travels a curved path."""

import numpy as np
import pytest
from helpers.hands import along, j_path, shaped_hand, z_path

from core.vision.motion_letters import PERSONAL_MIN_PATH, MotionSettings, fitted_settings, handshape, read_motion

RNG = np.random.default_rng(0)


def test_handshapes_are_read_from_which_fingers_are_extended():
    assert handshape(shaped_hand(("little",))) == "J"
    assert handshape(shaped_hand(("index",))) == "Z"
    assert handshape(shaped_hand(("index", "middle"))) is None  # V, U, H...
    assert handshape(shaped_hand(())) is None  # a fist: A, S, E...


def test_a_j_and_a_z_are_read_from_their_motion():
    assert read_motion(along(("little",), j_path())).letter == "J"
    assert read_motion(along(("index",), z_path())).letter == "Z"


@pytest.mark.parametrize("extended", [("little",), ("index",)])
def test_a_held_or_wobbling_i_or_d_stays_still(extended):
    held = read_motion(np.stack([shaped_hand(extended) for _ in range(20)]))
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
    frames = np.vstack([np.stack([shaped_hand(("little",)) for _ in range(10)]), along((), j_path())])
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


def test_a_user_who_draws_j_small_gets_a_reader_fitted_to_it():
    small = along(("little",), j_path() * 0.35)  # about 0.8 palm lengths of path: too small for the defaults
    assert read_motion(small).letter is None
    fitted = fitted_settings([("J", small)])
    assert PERSONAL_MIN_PATH <= fitted.min_path < read_motion(small).path
    assert read_motion(small, fitted).letter == "J"
    assert read_motion(np.stack([shaped_hand(("little",)) for _ in range(20)]), fitted).letter is None  # held I


def test_clips_without_their_letters_handshape_or_tiny_ones_cannot_loosen_the_reader_much():
    assert fitted_settings([("J", along(("index",), j_path()))]) == MotionSettings()  # Z's hand saved as J
    tiny = along(("little",), j_path() * 0.1)
    assert fitted_settings([("J", tiny)]).min_path == PERSONAL_MIN_PATH
    assert fitted_settings([]) == MotionSettings()


def turned(hand: np.ndarray, degrees: float) -> np.ndarray:
    """The hand turned about its wrist in the image."""
    angle = np.radians(degrees)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    out = hand.copy()
    out[:, :2] = (hand[:, :2] - hand[0, :2]) @ turn.T + hand[0, :2]
    return out


def test_a_d_turning_into_a_g_is_not_a_z():
    # The index fingertip sweeps a long curved arc as the hand turns from pointing up (D) to aside (G) or down (Q).
    pointing = shaped_hand(("index",))
    turning = np.stack([turned(pointing, degrees) for degrees in np.linspace(0, 90, 12)])
    turning[:, :, 0] += np.linspace(0, 20, 12)[:, None]  # carried a little too
    assert read_motion(turning, MotionSettings(max_turn_deg=360)).letter == "Z"  # path and bend alone say Z
    assert read_motion(turning).letter is None
    z_drawn_turning_slightly = along(("index",), z_path())
    for frame, degrees in zip(z_drawn_turning_slightly, np.linspace(0, 10, 24), strict=True):
        frame[:] = turned(frame, degrees)
    assert read_motion(z_drawn_turning_slightly).letter == "Z"
