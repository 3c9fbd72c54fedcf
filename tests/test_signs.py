"""Tests for core.signs: one frame read through the shared crop, the live overlay, and live results across threads."""

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.hands import SKIN_TONES_BGR, cluttered_background, draw_hand
from helpers.models import make_letters_model

from core.predictor import Predictor
from core.vision import hands
from core.vision.signs import GUIDE_BGR, HAND_BGR, LiveSign, annotate, crop_bgr, read_sign
from core.vision.spelling import SpellingSettings


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    return Predictor(make_letters_model(tmp_path_factory.mktemp("letters") / "letters.keras", "B"))


def hand_frame() -> tuple[np.ndarray, tuple[int, ...]]:
    frame = cluttered_background()
    box = draw_hand(frame, (400, 260), 1.0, SKIN_TONES_BGR["medium"])
    return frame, box


def test_hand_is_cropped_at_the_models_input_size_through_the_shared_crop(predictor):
    frame, _ = hand_frame()
    reading = read_sign(predictor, frame)
    assert reading.hand
    assert reading.image.shape == (64, 64)
    assert reading.image.dtype == np.float32
    np.testing.assert_array_equal(reading.image, hands.letter_from_frame(frame, size=64))
    assert reading.prediction.label == "B"
    assert reading.crop_xywh == hands.square_box(reading.box_xywh, frame.shape)


def test_crop_size_follows_the_model(tmp_path):
    small = Predictor(make_letters_model(tmp_path / "small.keras", "C", side=28))
    reading = read_sign(small, hand_frame()[0])
    assert reading.image.shape == (28, 28)


def test_without_a_hand_the_guide_box_is_read(predictor):
    frame = np.full((480, 640, 3), (170, 90, 40), np.uint8)  # a blue wall
    reading = read_sign(predictor, frame)
    assert not reading.hand
    assert reading.box_xywh == hands.guide_box(frame.shape)
    np.testing.assert_array_equal(reading.image, hands.letter_from_frame(frame, size=64))


def test_overlay_is_mirrored_with_the_hand_box(predictor):
    frame, _ = hand_frame()
    reading = read_sign(predictor, frame)
    out = annotate(frame, reading, None, 12.5)
    assert out.shape == frame.shape
    x, y, w, h = reading.crop_xywh
    mirrored_x = frame.shape[1] - x - w
    edge = out[y + h // 2, mirrored_x : mirrored_x + 2]  # the box's left edge in the mirrored frame
    assert (np.abs(edge.astype(int) - HAND_BGR).max(axis=1) < 40).all()
    # Away from the overlay the picture is the frame, flipped left to right.
    np.testing.assert_array_equal(out[-5:, : mirrored_x - 5], cv2.flip(frame, 1)[-5:, : mirrored_x - 5])


def test_guide_box_is_drawn_when_no_hand_is_found(predictor):
    frame = np.full((480, 640, 3), (170, 90, 40), np.uint8)
    out = annotate(frame, read_sign(predictor, frame), None, None)
    guide_colour = np.all(np.abs(out.astype(int) - GUIDE_BGR) < 40, axis=2)
    assert guide_colour.sum() > 500


def test_crop_bgr_is_clipped_to_the_frame():
    frame = np.zeros((100, 120, 3), np.uint8)
    assert crop_bgr(frame, (-10, 90, 50, 50)).shape == (10, 40, 3)


def test_live_results_spell_a_held_letter_and_keep_the_text_across_models(predictor, tmp_path):
    live = LiveSign(predictor, SpellingSettings(window_s=0.2, hold_s=0.5))
    frame, _ = hand_frame()
    for i in range(10):
        out = live.process(frame, now_s=i / 10)
    assert out.shape == frame.shape
    view = live.view()
    assert view.frames == 10
    assert view.fps == pytest.approx(10.0)
    assert view.state.letter == "B"
    assert view.text == "B"
    live.edit("add", " ")
    live.set_predictor(Predictor(make_letters_model(tmp_path / "c.keras", "C")))
    for i in range(10):
        live.process(frame, now_s=5 + i / 10)
    assert live.view().text == "B C"
    live.edit("backspace")
    assert live.view().text == "B "
    live.edit("clear")
    assert live.view().text == ""
    with pytest.raises(ValueError, match="Unknown edit"):
        live.edit("undo")


def test_live_results_are_consistent_while_frames_arrive_from_another_thread(predictor):
    live = LiveSign(predictor)
    frame, _ = hand_frame()
    errors: list[BaseException] = []

    def video_thread() -> None:
        try:
            for i in range(40):
                live.process(frame, now_s=i / 30)
        except BaseException as error:  # noqa: BLE001 - reported to the test thread
            errors.append(error)

    worker = threading.Thread(target=video_thread)
    worker.start()
    seen = []
    while worker.is_alive():
        view = live.view()
        seen.append(view.frames)
        if view.reading is not None:
            assert view.reading.image.shape == (64, 64)
        live.edit("add", "x")
    worker.join()
    assert not errors
    assert seen == sorted(seen)  # the frame count never goes backwards
    assert live.view().frames == 40


def test_letter_photo_read_through_the_predict_cli_matches_the_page(predictor, tmp_path: Path):
    from core.predict import predict_file

    frame, _ = hand_frame()
    path = tmp_path / "hand.png"
    cv2.imwrite(str(path), frame)
    cli = predict_file(predictor, "letters", path)
    page = read_sign(predictor, frame).prediction
    np.testing.assert_allclose(cli.probabilities, page.probabilities, atol=1e-6)


def test_a_new_stream_starts_with_no_leftovers_but_keeps_the_text(predictor):
    live = LiveSign(predictor, SpellingSettings(window_s=0.2, hold_s=0.3))
    frame, _ = hand_frame()
    for i in range(10):
        live.process(frame, now_s=i / 10)
    live.forget_frames()
    view = live.view()
    assert view.reading is None
    assert view.frames == 0
    assert view.fps is None
    assert view.text == "B"
