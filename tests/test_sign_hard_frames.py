"""Hard frames through the Sign page's photo path (real hand models, the shipped letters model): every one gets a
clear answer (a letter, or no hand in view), never a traceback.

The frames are made at test time from a webcam photo of a person the shipped model never trained on (nothing
from the dataset is kept); a frame without a hand needs no data.
"""

import cv2
import numpy as np
import pytest

from core import paths
from core.learn import catalog
from core.predictor import Predictor
from core.vision import hands, signs

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor(catalog.shipped_model("letters"))


@pytest.fixture(scope="module")
def l_photo() -> np.ndarray:
    """A face-in-view webcam frame of the letter L, by a person the shipped model never saw."""
    folder = paths.data_dir() / "asl_webcam" / "kingdavidko" / "L"
    photos = sorted(folder.glob("*.jpg"))
    if not photos:
        pytest.skip(f"needs the asl_webcam photos in {folder.parent.parent}")
    return cv2.imread(str(photos[0]), cv2.IMREAD_COLOR)


def test_the_plain_photo_reads_l(predictor, l_photo):
    reading = signs.read_sign(predictor, l_photo)
    assert reading.prediction.label == "L"
    x, y, w, h = reading.box_xywh
    assert w * h < 0.5 * l_photo.shape[0] * l_photo.shape[1]  # the hand, not the whole frame


def test_a_frame_without_a_hand_says_so(predictor):
    room = np.full((480, 640, 3), (150, 160, 170), np.uint8)
    cv2.rectangle(room, (100, 100), (300, 400), (40, 60, 120), -1)  # a bookcase
    reading = signs.read_sign(predictor, room)
    assert not reading.hand_found
    assert reading.prediction is None
    assert signs.annotate(room, reading, None, None, mirror=False).shape == room.shape


def test_two_hands_are_counted_and_the_larger_one_is_read(predictor, l_photo):
    hand_box = signs.read_sign(predictor, l_photo).box_xywh
    x, y, w, h = hands.square_box(hand_box, l_photo.shape, margin=0.4)
    hand = l_photo[max(y, 0) : y + h, max(x, 0) : x + w]
    frame = np.full((480, 640, 3), 128, np.uint8)
    frame[90:410, :320] = cv2.resize(hand, (320, 320))  # the signing hand, larger, on the left
    frame[120:420, 340:] = cv2.flip(cv2.resize(hand, (300, 300)), 1)  # the other hand
    reading = signs.read_sign(predictor, frame)
    assert reading.two_hands
    assert reading.box_xywh[0] + reading.box_xywh[2] <= 320
    assert reading.prediction.label == "L"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda f: cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), id="greyscale"),
        pytest.param(lambda f: (f * 0.15).astype(np.uint8), id="dark"),
        pytest.param(lambda f: np.zeros((480, 640, 3), np.uint8), id="black"),
        pytest.param(lambda f: cv2.rotate(f, cv2.ROTATE_90_CLOCKWISE), id="turned-90"),
        pytest.param(
            lambda f: cv2.copyMakeBorder(cv2.resize(f, (64, 36)), 0, 444, 0, 576, cv2.BORDER_CONSTANT), id="tiny"
        ),
        pytest.param(lambda f: cv2.resize(f, (4000, 2250)), id="huge"),
        pytest.param(lambda f: f[:1, :1], id="one-pixel"),
    ],
)
def test_hard_frames_get_a_letter_or_no_hand_never_an_error(predictor, l_photo, make):
    frame = make(l_photo)
    reading = signs.read_sign(predictor, frame)
    assert (reading.prediction is not None) == reading.hand_found
    if reading.hand_found:
        assert reading.prediction.label in predictor.labels
        assert 0 <= reading.prediction.confidence <= 1
    assert signs.annotate(frame, reading, None, None).ndim == 3


def test_a_hand_turned_sideways_is_still_found(predictor, l_photo):
    reading = signs.read_sign(predictor, cv2.rotate(l_photo, cv2.ROTATE_90_CLOCKWISE))
    assert reading.hand_found  # the letter may change: which way the hand points is part of some letters (G/H, P/Q)


def test_a_huge_frame_reads_like_the_photo(predictor, l_photo):
    reading = signs.read_sign(predictor, cv2.resize(l_photo, (4000, 2250), interpolation=cv2.INTER_CUBIC))
    assert reading.prediction.label == "L"
