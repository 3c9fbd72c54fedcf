"""Tests for core.vision.signs and core.ui.sign_session: one frame read through the hand models (stand-ins here),
the live overlay with the skeleton, live results across threads and the spelled text.

The hand models themselves are tested in test_hand_tracker.py (synthetic tensors) and test_hand_models.py (real
files and photos); here a FakeTracker gives a known hand so that every branch of the reader is checked exactly.
"""

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers.hands import (
    SKIN_TONES_BGR,
    FakeLandmarkModel,
    FakeTracker,
    cluttered_background,
    draw_hand,
    hand_landmarks_px,
)
from helpers.models import make_landmarks_model, make_letters_model

from core.predictor import Predictor
from core.ui import sign_session
from core.ui.sign_session import LiveSign, SpelledText
from core.vision import hand_model_files, hand_views, hands, signs
from core.vision.landmarks import normalize_landmarks
from core.vision.signs import (
    GUIDE_BGR,
    HAND_BGR,
    JOINT_BGR,
    SignReader,
    annotate,
    crop_bgr,
    landmarks_picture,
)
from core.vision.spelling import SpellingSettings
from core.vision.words import WordGuess

LANDMARKS = hand_landmarks_px()


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """A crop model (64×64 greyscale) that always says B."""
    return Predictor(make_letters_model(tmp_path_factory.mktemp("letters") / "letters.keras", "B"))


@pytest.fixture(scope="module")
def landmarks_predictor(tmp_path_factory: pytest.TempPathFactory) -> Predictor:
    """A landmarks model (63 numbers) that always says L."""
    return Predictor(make_landmarks_model(tmp_path_factory.mktemp("landmarks") / "letters.keras", "L"))


def hand_frame() -> tuple[np.ndarray, tuple[int, ...]]:
    frame = cluttered_background()
    box = draw_hand(frame, (400, 260), 1.0, SKIN_TONES_BGR["medium"])
    return frame, box


def test_a_crop_model_reads_the_square_around_the_landmarks(predictor):
    frame = cluttered_background()
    tracker = FakeTracker(LANDMARKS)
    reading = SignReader(tracker).read(predictor, frame)
    assert reading.hand_found
    assert reading.box_xywh == tracker.hand.box_xywh
    assert reading.crop_xywh == hands.square_box(tracker.hand.box_xywh, frame.shape)
    np.testing.assert_array_equal(reading.image, hands.letter_from_frame(frame, tracker.hand.box_xywh, size=64))
    assert reading.prediction.label == "B"
    assert not reading.model_reads_landmarks
    np.testing.assert_array_equal(reading.features, normalize_landmarks(LANDMARKS, "right"))


def test_a_landmarks_model_reads_the_normalised_landmarks(landmarks_predictor):
    frame = cluttered_background()
    reading = SignReader(FakeTracker(LANDMARKS, handedness="left")).read(landmarks_predictor, frame)
    assert reading.model_reads_landmarks
    assert reading.prediction.label == "L"
    features = normalize_landmarks(LANDMARKS, "left")
    np.testing.assert_array_equal(reading.features, features)
    np.testing.assert_allclose(
        reading.prediction.probabilities, landmarks_predictor.predict(features).probabilities, atol=1e-6
    )
    assert reading.image.shape == (signs.CROP_SIDE, signs.CROP_SIDE)  # the crop is still shown


def test_a_photo_is_read_from_more_looks_at_the_hand_and_video_from_one(tmp_path: Path):
    # A photo's letter is the model's probabilities averaged over the first landmarks and the more looks of
    # core.vision.hand_views; live video reads each frame's landmarks once (it tracks the hand instead).
    predictor = Predictor(make_landmarks_model(tmp_path / "letters.keras", "L", random_weights=True))
    look = hand_landmarks_px()[:, :3] * 0.5  # any other hand shape, in the 224 px crop
    model = FakeLandmarkModel(look, presence=0.9)
    reader = SignReader(FakeTracker(LANDMARKS, landmark_model=model))
    frame = cluttered_background()

    looks = hand_views.more_readings(model, frame, reader.tracker.hand)
    assert len(looks) == 5
    features = [normalize_landmarks(LANDMARKS, "right")] + [normalize_landmarks(points, "right") for points in looks]
    expected = predictor.predict_batch(np.stack(features)).mean(axis=0)
    first_only = predictor.predict(features[0]).probabilities
    assert np.abs(expected - first_only).max() > 1e-3  # the looks change the reading

    model.reads = 0
    photo = reader.read(predictor, frame)
    np.testing.assert_allclose(photo.prediction.probabilities, expected, atol=1e-6)
    np.testing.assert_array_equal(photo.features, features[0])  # the page shows the first landmarks
    assert model.reads == 5
    assert photo.readings == 6

    model.reads = 0
    video = reader.read(predictor, frame, video=True)
    np.testing.assert_allclose(video.prediction.probabilities, first_only, atol=1e-6)
    assert model.reads == 0
    assert video.readings == 1


def test_looks_in_which_the_landmark_model_sees_no_hand_are_left_out():
    hand = FakeTracker(LANDMARKS).hand
    frame = cluttered_background()
    assert hand_views.more_readings(FakeLandmarkModel(presence=0.1), frame, hand) == []
    assert len(hand_views.more_readings(FakeLandmarkModel(presence=0.6), frame, hand)) == 5


def test_no_hand_in_view_gives_no_letter_and_the_guide_box(landmarks_predictor):
    frame = cluttered_background()
    reading = SignReader(FakeTracker(None)).read(landmarks_predictor, frame)
    assert not reading.hand_found
    assert reading.prediction is None
    assert reading.features is None
    assert reading.box_xywh == hands.guide_box(frame.shape)
    out = annotate(frame, reading, None, None)
    assert np.all(np.abs(out.astype(int) - GUIDE_BGR) < 40, axis=2).sum() > 500


def test_video_tracks_the_hand_and_photos_detect_afresh(predictor):
    tracker = FakeTracker(LANDMARKS)
    reader = SignReader(tracker)
    frame = cluttered_background()
    reader.read(predictor, frame, video=True)
    reader.read(predictor, frame, video=True)
    reader.read(predictor, frame)
    assert tracker.calls == {"find": 2, "find_in_photo": 1, "reset": 0}


def test_two_hands_in_view_are_reported(predictor):
    reading = SignReader(FakeTracker(LANDMARKS, others=1)).read(predictor, cluttered_background())
    assert reading.two_hands
    assert not SignReader(FakeTracker(LANDMARKS)).read(predictor, cluttered_background()).two_hands


def test_without_the_hand_models_the_reader_says_how_to_fetch_them(monkeypatch, tmp_path):
    monkeypatch.setattr(hand_model_files, "HAND_MODELS_DIR", tmp_path)
    with pytest.raises(hand_model_files.HandModelsMissing, match="scripts.fetch_hand_models"):
        SignReader.open()
    monkeypatch.setattr(signs, "_photo_reader", None)
    with pytest.raises(hand_model_files.HandModelsMissing, match="scripts.fetch_hand_models"):
        signs.read_sign(Predictor.__new__(Predictor), cluttered_background())


def test_crop_size_follows_the_model(tmp_path):
    small = Predictor(make_letters_model(tmp_path / "small.keras", "C", side=28))
    assert SignReader(FakeTracker(LANDMARKS)).read(small, cluttered_background()).image.shape == (28, 28)


def test_overlay_is_mirrored_with_the_hand_box_and_the_skeleton(predictor):
    frame = cluttered_background()
    reading = SignReader(FakeTracker(LANDMARKS)).read(predictor, frame)
    out = annotate(frame, reading, None, 12.5)
    assert out.shape == frame.shape
    x, y, w, h = reading.crop_xywh
    mirrored_x = frame.shape[1] - x - w
    edge = out[y + h // 2, mirrored_x : mirrored_x + 2]  # the box's left edge in the mirrored frame
    assert (np.abs(edge.astype(int) - HAND_BGR).max(axis=1) < 40).all()
    for px, py, _ in LANDMARKS[[0, 4, 8, 20]]:  # joints are drawn where the landmarks are, mirrored
        mx, my = frame.shape[1] - 1 - round(px), round(py)
        assert np.abs(out[my, mx].astype(int) - JOINT_BGR).max() < 40
    # Away from the overlay the picture is the frame, flipped left to right.
    np.testing.assert_array_equal(out[-5:, : mirrored_x - 5], cv2.flip(frame, 1)[-5:, : mirrored_x - 5])


def test_landmarks_picture_draws_the_normalised_hand():
    picture = landmarks_picture(normalize_landmarks(LANDMARKS, "right"), 160)
    assert picture.shape == (160, 160, 3)
    assert picture.dtype == np.uint8
    drawn = np.any(picture < 200, axis=2)
    rows, columns = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    assert drawn.sum() > 300
    assert rows[0] >= 8
    assert rows[-1] <= 152
    assert columns[0] >= 8
    assert columns[-1] <= 152
    # The hand points up in the frame, so its fingertips are at the top of the picture and the wrist at the bottom.
    assert rows[-1] - rows[0] > 100


def test_crop_bgr_is_clipped_to_the_frame():
    frame = np.zeros((100, 120, 3), np.uint8)
    assert crop_bgr(frame, (-10, 90, 50, 50)).shape == (10, 40, 3)


def test_live_results_spell_a_held_letter_and_keep_the_text_across_models(predictor, tmp_path):
    text = SpelledText()
    live = LiveSign(predictor, text, SpellingSettings(), SignReader(FakeTracker(LANDMARKS)))
    frame = cluttered_background()
    for i in range(12):  # 1.1 s of a still B: written without waiting for the hand to move on
        out = live.process(frame, now_s=i / 10)
    assert out.shape == frame.shape
    view = live.view()
    assert view.frames == 12
    assert view.fps == pytest.approx(10.0)
    assert view.state.letter == "B"
    assert view.state.word == "B"
    assert text.text == "B"
    text.edit("add", " ")
    live.set_predictor(Predictor(make_letters_model(tmp_path / "c.keras", "C")))
    for i in range(12):
        live.process(frame, now_s=5 + i / 10)
    assert text.text == "B C"
    text.edit("backspace")
    assert text.text == "B "
    text.edit("clear")
    assert text.text == ""
    with pytest.raises(ValueError, match="Unknown edit"):
        text.edit("undo")


def test_live_video_ends_the_word_when_the_hand_leaves(predictor):
    tracker = FakeTracker(LANDMARKS)
    text = SpelledText()
    live = LiveSign(predictor, text, SpellingSettings(), SignReader(tracker))
    frame = cluttered_background()
    for i in range(8):  # a B held 0.7 s: not written while it is held...
        live.process(frame, now_s=i / 10)
    assert text.text == ""
    hand, tracker.hand = tracker.hand, None
    for i in range(8):  # ...but when the hand leaves; gone for 0.5 s, the word ends with a space
        live.process(frame, now_s=0.8 + i / 10)
    assert text.text == "B "
    assert live.view().state.word == ""
    tracker.hand = hand
    for i in range(12):
        live.process(frame, now_s=2 + i / 10)
    assert text.text == "B B"


def test_spelled_text_writes_the_chosen_reading_and_offers_the_other():
    text = SpelledText()
    text.edit("add", "HI ")
    text.edit("add", "HELO")
    text.end_word(WordGuess(raw="HELO", word="HELLO", chosen="HELLO"))
    assert text.text == "HI HELLO "
    assert text.last_word.other == "HELO"
    text.edit("add", "A")  # the next word is being spelled: the last one can still be swapped
    text.take_other()
    assert text.text == "HI HELO A"
    assert text.last_word.chosen == "HELO"
    assert text.last_word.other == "HELLO"
    text.edit("clear")
    assert text.last_word is None
    text.take_other()  # nothing to swap: nothing happens
    assert text.text == ""


def test_a_word_ended_after_the_user_edited_it_keeps_the_edit():
    text = SpelledText()
    text.edit("add", "CA")
    text.edit("backspace")
    text.end_word(WordGuess(raw="CA", word="CAB", chosen="CAB"))
    assert text.text == "C "
    assert text.last_word is None


def test_live_video_without_a_hand_writes_nothing(landmarks_predictor):
    text = SpelledText()
    live = LiveSign(landmarks_predictor, text, SpellingSettings(), SignReader(FakeTracker(None)))
    for i in range(10):
        live.process(cluttered_background(), now_s=i / 10)
    view = live.view()
    assert view.reading.prediction is None
    assert view.state.letter is None
    assert text.text == ""


def test_live_results_are_consistent_while_frames_arrive_from_another_thread(predictor):
    text = SpelledText()
    live = LiveSign(predictor, text, reader=SignReader(FakeTracker(LANDMARKS)))
    frame = cluttered_background()
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
        text.edit("add", "x")
    worker.join()
    assert not errors
    assert seen == sorted(seen)  # the frame count never goes backwards
    assert live.view().frames == 40


def test_letter_photo_read_through_the_predict_cli_matches_the_page(landmarks_predictor, tmp_path: Path, monkeypatch):
    from core.predict import predict_file

    monkeypatch.setattr(signs, "_photo_reader", SignReader(FakeTracker(LANDMARKS)))
    frame = cluttered_background()
    path = tmp_path / "hand.png"
    cv2.imwrite(str(path), frame)
    cli = predict_file(landmarks_predictor, "letters", path)
    page = signs.read_sign(landmarks_predictor, frame).prediction
    np.testing.assert_allclose(cli.probabilities, page.probabilities, atol=1e-6)
    monkeypatch.setattr(signs, "_photo_reader", SignReader(FakeTracker(None)))
    with pytest.raises(ValueError, match="No hand found"):
        predict_file(landmarks_predictor, "letters", path)


def test_a_new_stream_starts_with_no_leftovers_but_keeps_the_text(predictor):
    tracker = FakeTracker(LANDMARKS)
    text = SpelledText()
    live = LiveSign(predictor, text, SpellingSettings(), SignReader(tracker))
    frame = cluttered_background()
    for i in range(12):
        live.process(frame, now_s=i / 10)
    live.forget_frames()
    view = live.view()
    assert view.reading is None
    assert view.frames == 0
    assert view.fps is None
    assert text.text == "B"
    assert tracker.calls["reset"] == 1  # the next stream looks for the hand afresh


def test_the_overlay_and_the_page_show_one_frame_rate_that_changes_at_most_once_a_second(predictor, monkeypatch):
    drawn: list[float | None] = []  # the frame rate drawn on each frame's overlay
    real_annotate = signs.annotate

    def recording_annotate(frame_bgr, reading, state, fps, mirror=True):
        drawn.append(fps)
        return real_annotate(frame_bgr, reading, state, fps, mirror)

    monkeypatch.setattr(sign_session, "annotate", recording_annotate)
    live = LiveSign(predictor, SpelledText(), reader=SignReader(FakeTracker(LANDMARKS)))
    frame = cluttered_background()
    jitter_s = np.random.default_rng(0).uniform(-0.02, 0.02, 48)
    shown = []  # what the page shows after each frame
    for i in range(48):  # 4 s at about 12 fps, each frame a little early or late, as from a real camera
        live.process(frame, now_s=i / 12 + jitter_s[i])
        shown.append(live.view().fps)
    assert shown == drawn  # one number: the page shows what the video's overlay says
    changes = sum(before != after for before, after in zip(drawn[1:], drawn[2:], strict=False))
    assert changes <= 4, f"the frame rate changed {changes} times in 4 s: {drawn}"
    assert drawn[-1] == pytest.approx(12.0, abs=0.5)
    assert signs.fps_text(drawn[-1]) == "12 fps"


def test_the_overlay_and_the_page_show_one_letter_for_each_frame():
    # Issue #32: the video said "No hand in view" while the metric, reading the speller's last hold, said "E 98%".
    from core.predictor import Prediction
    from core.vision.signs import MOVING, NO_HAND, NOT_SURE, SignReading, live_letter
    from core.vision.spelling import SpellState

    image = np.zeros((64, 64), np.float32)
    box = (0, 0, 64, 64)
    found = FakeTracker(hand_landmarks_px((320, 330), 70)).hand
    labels = ("D", "E")
    seen = SignReading(found, box, box, image, Prediction(labels, np.array([0.25, 0.75], np.float32)))
    gone = SignReading(None, box, box, image, None)
    held = SpellState("E", 0.98, np.array([0.02, 0.98], np.float32), 1.0)
    cases = [
        (gone, held, NO_HAND, "No hand in view"),
        (seen, held, "E", "E 98%"),
        (seen, SpellState(None, 0.4, held.probabilities, 0.0, moving=True), MOVING, "moving"),
        (seen, SpellState(None, 0.25, held.probabilities, 1.0), NOT_SURE, "not sure"),
        (seen, None, "E", "E 75%"),  # a single photo: its own prediction
    ]
    for reading, state, shown, on_video in cases:
        letter = live_letter(reading, state)
        assert (letter.text, letter.overlay_text) == (shown, on_video)


def test_live_video_loads_the_word_list_before_the_first_word_ends(predictor):
    # Loading it (~0.35 s) when the first word ended stalled the video thread for a frame.
    from core.vision.words import word_list

    word_list.cache_clear()
    LiveSign(predictor, SpelledText(), reader=signs.SignReader(FakeTracker(None)))
    for _ in range(100):
        if word_list.cache_info().currsize:
            break
        time.sleep(0.05)
    assert word_list.cache_info().currsize == 1


def test_keeping_a_frame_after_a_j_was_written_offers_j_with_the_motion_it_was_read_from(landmarks_predictor):
    from helpers.hands import along, j_path, shaped_hand

    from core.vision.hand_tracker import Hand, landmarks_box

    def seen(points: np.ndarray) -> Hand:
        return Hand(points, landmarks_box(points, (480, 640)), 0.95, "right", 0.9, 0)

    tracker = FakeTracker(None)
    live = LiveSign(landmarks_predictor, SpelledText(), reader=SignReader(tracker))
    frame = np.zeros((480, 640, 3), np.uint8)
    hands = [shaped_hand(("little",))] * 9 + list(along(("little",), j_path())) + [shaped_hand(()) + (20, 60, 0)] * 12
    for index, points in enumerate(hands):
        tracker.hand = seen(points)
        live.process(frame, now_s=index / 15)
    tracker.hand = None  # the signer reaches for the mouse
    for index in range(len(hands), len(hands) + 60):  # 4 s later: the last seconds no longer hold the J
        live.process(frame, now_s=index / 15)
    assert "J" in live._text.last_word.raw  # written (the word decoder may read the word otherwise)
    kept = live.keep()
    assert kept is None  # no hand in the last 3 s
    tracker.hand = seen(shaped_hand(()) + (20, 60, 0))
    live.process(frame, now_s=(len(hands) + 61) / 15)
    kept = live.keep()
    assert kept.suggestion == "J"
    assert len(kept.motion_px) >= len(j_path())
