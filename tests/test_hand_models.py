"""The hand-model pipeline on synthetic tensors: no model files needed (anchors, decoding, NMS, rects, tracking)."""

import hashlib
import math
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.vision import hand_model_files, hand_rois, palms
from core.vision.hand_tracker import (
    PHOTO_MARGINS,
    PHOTO_RETRY,
    VIDEO_MARGINS,
    VIDEO_RETRY,
    VIDEO_RETRY_EVERY,
    HandTracker,
    Retry,
    landmarks_box,
    signing_order,
    view_of,
)
from core.vision.landmarks import LandmarkReading, normalize_landmarks

# A right hand pointing up in frame pixels: wrist at the bottom, finger bases in a row above it, tips higher still.
UPRIGHT_HAND = np.array(
    [[95, 200, 0]]  # wrist, below the middle finger
    + [[80 - 5 * i, 185 - 12 * i, 0] for i in range(4)]  # thumb
    + [[85 + 10 * f, 150 - 15 * j, 0] for f in range(4) for j in range(4)],  # index, middle, ring, little
    np.float32,
)


def turned(points: np.ndarray, angle_rad: float, centre=(100.0, 150.0)) -> np.ndarray:
    """Points turned clockwise on screen (y down) by an angle about a centre."""
    cos, sin = math.cos(angle_rad), math.sin(angle_rad)
    xy = points[:, :2] - centre
    out = points.copy()
    out[:, 0] = cos * xy[:, 0] - sin * xy[:, 1] + centre[0]
    out[:, 1] = sin * xy[:, 0] + cos * xy[:, 1] + centre[1]
    return out


def test_anchors_cover_both_grids_in_model_order():
    anchors = palms.palm_anchors()
    assert anchors.shape == (2016, 2)
    np.testing.assert_allclose(anchors[0], [0.5 / 24, 0.5 / 24])
    np.testing.assert_allclose(anchors[1], anchors[0])  # two anchors per cell of the 24×24 grid
    np.testing.assert_allclose(anchors[2], [1.5 / 24, 0.5 / 24])  # x runs first
    np.testing.assert_allclose(anchors[24 * 24 * 2], [0.5 / 12, 0.5 / 12])  # then the 12×12 grid, 6 per cell
    np.testing.assert_allclose(anchors[24 * 24 * 2 + 5], [0.5 / 12, 0.5 / 12])
    np.testing.assert_allclose(anchors[-1], [11.5 / 12, 11.5 / 12])


def test_letterbox_centres_a_wide_frame_and_maps_back():
    frame = np.full((480, 640, 3), 255, np.uint8)
    image, box = palms.letterbox(frame)
    assert image.shape == (192, 192, 3)
    assert image.dtype == np.float32
    assert box.pad_xy == (0.0, 24.0)
    assert image[23].max() == 0  # black bar above
    assert image[24].min() == pytest.approx(1.0)
    np.testing.assert_allclose(box.to_frame(np.array([[0.0, 24.0], [192.0, 168.0]])), [[0, 0], [640, 480]])


def test_letterbox_margin_adds_a_border():
    _, box = palms.letterbox(np.zeros((100, 100, 3), np.uint8), margin=0.25)
    assert box.pad_xy == (48.0, 48.0)
    assert box.scale_xy == (0.96, 0.96)


def test_raw_box_at_a_known_anchor_decodes_to_frame_pixels():
    # A 100×80 palm centred at (400, 300) in a 640×480 frame is 30×24 at (120, 114) in the letterboxed input
    # (scale 0.3, 24 px bar on top). Its centre falls in cell (15, 14) of the stride-8 grid: anchor 2·(14·24+15).
    _, box = palms.letterbox(np.zeros((480, 640, 3), np.uint8))
    anchors = palms.palm_anchors()
    index = 2 * (14 * 24 + 15)
    anchor_px = anchors[index] * 192
    raw_boxes = np.zeros((2016, 18), np.float32)
    raw_boxes[index, :4] = [120 - anchor_px[0], 114 - anchor_px[1], 30, 24]
    raw_boxes[index, 4:6] = [120 - anchor_px[0], 126 - anchor_px[1]]  # keypoint 0 (wrist) at (120, 126)
    logits = np.full(2016, -10.0, np.float32)
    logits[index] = 3.0
    found = palms.palms_from_outputs(raw_boxes, logits, box, anchors)
    assert len(found) == 1
    np.testing.assert_allclose(found[0].box_xyxy, [350, 260, 450, 340], atol=1e-3)
    np.testing.assert_allclose(found[0].keypoints_xy[0], [400, 340], atol=1e-3)
    assert found[0].score == pytest.approx(1 / (1 + math.exp(-3)))


def test_scores_under_the_threshold_give_no_palm():
    _, box = palms.letterbox(np.zeros((192, 192, 3), np.uint8))
    found = palms.palms_from_outputs(np.zeros((2016, 18)), np.full(2016, -1.0), box, palms.palm_anchors())
    assert found == []


def test_sigmoid_clips_huge_logits():
    np.testing.assert_allclose(palms.sigmoid(np.array([-1e6, 0.0, 1e6])), [0, 0.5, 1], atol=1e-6)


def test_weighted_nms_blends_overlapping_boxes_and_keeps_a_distant_one():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float32)
    keypoints = np.array([[[0, 0]] * 7, [[3, 0]] * 7, [[55, 55]] * 7], np.float32)
    scores = np.array([0.9, 0.6, 0.7], np.float32)
    kept = palms.weighted_nms(boxes, keypoints, scores)
    assert len(kept) == 2
    (box, points, score), (far_box, _, far_score) = kept
    np.testing.assert_allclose(box, [0.4, 0, 10.4, 10], atol=1e-5)  # 0.9·0 + 0.6·1 over 1.5
    np.testing.assert_allclose(points[0], [1.2, 0], atol=1e-5)
    assert score == pytest.approx(0.9)  # a cluster keeps its best score
    np.testing.assert_allclose(far_box, boxes[2])
    assert far_score == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("finger_base", "angle", "shift"),
    [((100, 150), 0.0, (0, -20)), ((150, 200), math.pi / 2, (20, 0)), ((100, 250), -math.pi, (0, 20))],
    ids=["up", "right", "down"],
)
def test_rect_from_palm_turns_the_hand_up_and_moves_toward_the_fingers(finger_base, angle, shift):
    box = np.array([80, 180, 120, 220], np.float32)  # 40×40 palm centred at (100, 200)
    keypoints = np.zeros((7, 2), np.float32)
    keypoints[0] = (100, 200)  # wrist
    keypoints[2] = finger_base
    rect = hand_rois.rect_from_palm(box, keypoints)
    assert rect.angle_rad == pytest.approx(angle)
    assert rect.side_px == pytest.approx(40 * 2.6)
    np.testing.assert_allclose(rect.centre_xy, np.add((100, 200), shift), atol=1e-4)


def test_crop_puts_the_fingers_at_the_top():
    frame = np.zeros((300, 300, 3), np.uint8)
    cv2.circle(frame, (200, 150), 6, (255, 255, 255), -1)  # a bright fingertip to the right of the wrist
    rect = hand_rois.HandRect((150.0, 150.0), 120.0, math.pi / 2)  # a hand pointing right
    crop = hand_rois.crop_hand(frame, rect)
    row, col = np.unravel_index(np.argmax(crop[..., 0]), crop.shape[:2])
    assert row < 224 * 0.2  # the fingertip is near the top of the crop...
    assert abs(col - 112) < 10  # ...in the middle


def test_crop_pixels_map_back_to_where_they_came_from():
    rect = hand_rois.HandRect((320.0, 200.0), 150.0, 0.7)
    points_frame = np.array([[300, 190, 0], [350, 240, 0], [280, 150, 0]], np.float32)
    matrix = hand_rois.crop_matrix(rect)
    points_crop = np.concatenate([cv2.transform(points_frame[None, :, :2], matrix)[0], points_frame[:, 2:]], axis=1)
    np.testing.assert_allclose(hand_rois.crop_to_frame(points_crop, rect), points_frame, atol=1e-3)


@pytest.mark.parametrize("angle", [0.0, math.pi / 2, -math.pi / 2, 3.0])
def test_rect_from_landmarks_follows_the_hand(angle):
    hand = turned(UPRIGHT_HAND, angle)
    rect = hand_rois.rect_from_landmarks(hand)
    assert math.cos(rect.angle_rad - angle) == pytest.approx(1, abs=1e-3)
    # The square holds every landmark: the next crop sees the whole hand.
    inside = cv2.transform(hand[None, :, :2], hand_rois.crop_matrix(rect))[0]
    assert inside.min() > 0
    assert inside.max() < 224


def test_normalized_landmarks_ignore_position_and_size():
    reference = normalize_landmarks(UPRIGHT_HAND, "right")
    moved = UPRIGHT_HAND * np.float32(2.5) + np.array([40, -30, 7], np.float32)
    assert reference.shape == (63,)
    assert reference.dtype == np.float32
    np.testing.assert_allclose(normalize_landmarks(moved, "right"), reference, atol=1e-5)
    np.testing.assert_allclose(reference[:3], 0)  # the wrist is the origin
    assert np.linalg.norm(reference[27:29]) == pytest.approx(1)  # the middle-finger base is one palm away


def test_a_left_hand_reads_like_the_mirrored_right_hand():
    mirrored = UPRIGHT_HAND.copy()
    mirrored[:, 0] = 640 - mirrored[:, 0]
    np.testing.assert_allclose(
        normalize_landmarks(mirrored, "left"), normalize_landmarks(UPRIGHT_HAND, "right"), atol=1e-5
    )
    assert not np.allclose(normalize_landmarks(mirrored, "right"), normalize_landmarks(UPRIGHT_HAND, "right"))


def test_normalized_landmarks_keep_the_orientation():
    sideways = turned(UPRIGHT_HAND, math.pi / 2)
    assert not np.allclose(normalize_landmarks(sideways, "right"), normalize_landmarks(UPRIGHT_HAND, "right"), atol=0.1)


def test_normalize_landmarks_rejects_bad_input():
    with pytest.raises(ValueError, match="handedness"):
        normalize_landmarks(UPRIGHT_HAND, "Right")
    with pytest.raises(ValueError, match="not a hand"):
        normalize_landmarks(np.zeros((21, 3)), "left")


class FakePalmDetector:
    """Answers the given palms and counts its calls."""

    def __init__(self, found: list[palms.Palm]):
        self.found, self.calls = found, 0

    def detect(self, frame_bgr, margin=0.0, min_score=palms.MIN_SCORE):
        self.calls += 1
        return self.found


class FakeLandmarkModel:
    """Answers UPRIGHT_HAND-like landmarks in the crop with the presence scores it is given, one per call."""

    def __init__(self, presences: list[float]):
        self.presences = list(presences)

    def landmarks_in(self, crop_rgb):
        assert crop_rgb.shape == (224, 224, 3)
        landmarks = UPRIGHT_HAND - UPRIGHT_HAND.mean(axis=0) + np.array([112, 112, 0], np.float32)
        return LandmarkReading(landmarks, self.presences.pop(0), right_score=0.8)


def a_palm(centre_x: float, side: float, score: float) -> palms.Palm:
    """A palm pointing up, of a given size, at a given x."""
    keypoints = np.zeros((7, 2), np.float32)
    keypoints[0], keypoints[2] = (centre_x, 260), (centre_x, 220)
    box = np.array([centre_x - side / 2, 240 - side / 2, centre_x + side / 2, 240 + side / 2], np.float32)
    return palms.Palm(box, keypoints, score)


def test_video_runs_the_detector_on_every_frame_and_tracks_only_where_it_misses():
    # Issue #29: the tracked square's landmarks read 3.5 points worse than the detector's on people left out.
    detector = ThresholdPalmDetector([a_palm(320, 60, 0.9)], shows=lambda frame_bgr: frame_bgr.mean() < 100)
    tracker = HandTracker(detector, FakeLandmarkModel([0.95, 0.9, 0.9, 0.2]), video_retry=None)
    frame, blurred = np.zeros((480, 640, 3), np.uint8), np.full((480, 640, 3), 200, np.uint8)
    first = tracker.find(frame)
    assert first is not None
    assert first.handedness == "right"
    assert first.score == pytest.approx(0.9)
    assert len(detector.log) == 1
    assert tracker.find(frame) is not None  # the detector again, not the tracked square
    assert len(detector.log) == 2
    tracked = tracker.find(blurred)  # the detector sees no palm: the last landmarks place the square
    assert tracked is not None
    assert len(detector.log) == 2 + len(VIDEO_MARGINS)
    assert tracked.score == pytest.approx(0.9)  # the palm it was first found from
    assert tracker.find(blurred) is None  # presence 0.2 in the tracked square: lost


def test_tracker_without_palms_finds_nothing_and_keeps_looking():
    detector = FakePalmDetector([])
    tracker = HandTracker(detector, FakeLandmarkModel([]))
    frame = np.zeros((480, 640, 3), np.uint8)
    assert tracker.find(frame) is None
    assert tracker.find(frame) is None
    retry = len(VIDEO_RETRY.margins) * len(VIDEO_RETRY.views)
    # Every margin on every frame; the retry on the first empty frame (the second waits its turn).
    assert detector.calls == 2 * len(VIDEO_MARGINS) + retry


def test_a_palm_without_a_hand_is_passed_over_for_the_next():
    detector = FakePalmDetector([a_palm(100, 80, 0.9), a_palm(400, 40, 0.6)])  # a large false palm, then the hand
    tracker = HandTracker(detector, FakeLandmarkModel([0.1, 0.9]))
    hand = tracker.find(np.zeros((480, 640, 3), np.uint8))
    assert hand is not None
    assert hand.score == pytest.approx(0.6)
    assert hand.box_xywh[0] > 250
    assert detector.calls == 1


def test_the_largest_palm_signs_and_the_others_are_counted():
    small_sure, large = a_palm(100, 40, 0.99), a_palm(400, 80, 0.7)
    assert signing_order([small_sure, large]) == [large, small_sure]
    assert signing_order([a_palm(100, 80, 0.6), a_palm(400, 80, 0.8)])[0].score == pytest.approx(0.8)
    tracker = HandTracker(FakePalmDetector([small_sure, large]), FakeLandmarkModel([0.9, 0.9]))
    hand = tracker.find(np.zeros((480, 640, 3), np.uint8))
    assert hand.others == 1
    assert hand.box_xywh[0] > 250  # around the large palm at x = 400, not the small one at x = 100


def test_palms_that_hold_no_hand_or_the_same_hand_are_not_other_hands():
    palm_list = [a_palm(400, 80, 0.9), a_palm(100, 60, 0.8), a_palm(400, 70, 0.7)]  # the third on the first hand
    # Read largest first: the hand, the same hand again, then no hand where the small palm was.
    tracker = HandTracker(FakePalmDetector(palm_list), FakeLandmarkModel([0.9, 0.9, 0.1]))
    hand = tracker.find(np.zeros((480, 640, 3), np.uint8))
    assert hand.others == 0


class ThresholdPalmDetector:
    """Answers its palms that reach min_score, only on frames `shows` accepts; logs each call's margin and min_score."""

    def __init__(self, found: list[palms.Palm], shows=lambda frame_bgr: True):
        self.found, self.shows, self.log = found, shows, []

    def detect(self, frame_bgr, margin=0.0, min_score=palms.MIN_SCORE):
        self.log.append((margin, min_score))
        return [palm for palm in self.found if palm.score >= min_score] if self.shows(frame_bgr) else []


def test_the_retry_runs_only_where_the_first_pass_finds_no_hand():
    frame = np.zeros((480, 640, 3), np.uint8)
    sure = ThresholdPalmDetector([a_palm(320, 60, 0.9)])
    assert HandTracker(sure, FakeLandmarkModel([0.9])).find_in_photo(frame) is not None
    assert sure.log == [(PHOTO_MARGINS[0], palms.MIN_SCORE)]  # found at once: no retry
    faint = ThresholdPalmDetector([a_palm(320, 60, 0.3)])  # a real hand the detector scores under 0.5
    hand = HandTracker(faint, FakeLandmarkModel([0.9])).find_in_photo(frame)
    assert hand is not None
    assert hand.score == pytest.approx(0.3)
    assert hand.others == 0
    first_pass = [(margin, palms.MIN_SCORE) for margin in PHOTO_MARGINS]
    assert faint.log == [*first_pass, (PHOTO_RETRY.margins[0], PHOTO_RETRY.min_score)]


def test_the_retry_tries_every_view_and_margin_in_order_then_gives_up():
    detector = ThresholdPalmDetector([])
    assert HandTracker(detector, FakeLandmarkModel([])).find_in_photo(np.zeros((480, 640, 3), np.uint8)) is None
    retries = [(margin, PHOTO_RETRY.min_score) for _ in PHOTO_RETRY.views for margin in PHOTO_RETRY.margins]
    assert detector.log == [(margin, palms.MIN_SCORE) for margin in PHOTO_MARGINS] + retries
    assert HandTracker(detector, FakeLandmarkModel([])).find_in_photo(np.zeros((9, 9, 3), np.uint8), retry=None) is None


def test_the_retry_wants_a_surer_landmark_model():
    frame = np.zeros((480, 640, 3), np.uint8)
    retry = Retry(margins=(0.0,), min_presence=0.8)
    faint = ThresholdPalmDetector([a_palm(320, 60, 0.3)])
    assert HandTracker(faint, FakeLandmarkModel([0.7])).find_in_photo(frame, retry=retry) is None  # 0.7 < 0.8
    assert HandTracker(faint, FakeLandmarkModel([0.85])).find_in_photo(frame, retry=retry) is not None


def test_video_retries_on_the_frame_where_no_hand_is_found_then_tracks():
    frame = np.zeros((480, 640, 3), np.uint8)
    detector = ThresholdPalmDetector([a_palm(320, 60, 0.3)])
    tracker = HandTracker(detector, FakeLandmarkModel([0.9, 0.9]))
    assert tracker.find(frame) is not None
    assert detector.log == [(m, palms.MIN_SCORE) for m in VIDEO_MARGINS] + [(VIDEO_RETRY.margins[0], 0.1)]
    assert tracker.find(frame) is not None  # the first pass misses the faint palm again; the tracked square holds it
    assert len(detector.log) == 2 * len(VIDEO_MARGINS) + 1  # and the retry did not run
    off = HandTracker(ThresholdPalmDetector([a_palm(320, 60, 0.3)]), FakeLandmarkModel([]), video_retry=None)
    assert off.find(frame) is None


def test_video_without_a_hand_retries_on_the_first_empty_frame_then_every_few():
    detector = ThresholdPalmDetector([])
    tracker = HandTracker(detector, FakeLandmarkModel([]))
    retried = []
    for _ in range(2 * VIDEO_RETRY_EVERY + 1):
        before = len(detector.log)
        assert tracker.find(np.zeros((48, 64, 3), np.uint8)) is None
        retried.append(len(detector.log) - before > len(VIDEO_MARGINS))
    assert retried == [index % VIDEO_RETRY_EVERY == 0 for index in range(2 * VIDEO_RETRY_EVERY + 1)]
    tracker.reset()
    before = len(detector.log)
    tracker.find(np.zeros((48, 64, 3), np.uint8))
    assert len(detector.log) - before > len(VIDEO_MARGINS)  # a new stream retries at once


def test_a_hand_found_in_the_mirrored_view_is_moved_back_and_changes_hands():
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, :100] = 200  # bright on the left: the mirrored view is bright on the right
    detector = ThresholdPalmDetector([a_palm(400, 60, 0.9)], shows=lambda image: image[0, -1, 0] > 100)
    mirrored_only = Retry(margins=(0.0,), views=("frame", "mirrored"))
    hand = HandTracker(detector, FakeLandmarkModel([0.9])).find_in_photo(frame, retry=mirrored_only)
    assert hand is not None
    assert hand.handedness == "left"  # FakeLandmarkModel reads a right hand in the mirrored view
    assert abs(hand.landmarks_px[:, 0].mean() - (639 - 400)) < 15
    assert hand.box_xywh == landmarks_box(hand.landmarks_px, frame.shape)


def test_views_brighten_a_dim_frame_and_refuse_unknown_names():
    dim = np.random.default_rng(0).integers(10, 60, (64, 64, 3), dtype=np.uint8)
    assert view_of(dim, "frame") is dim
    assert view_of(dim, "brightened").mean() > dim.mean() + 10
    np.testing.assert_array_equal(view_of(dim, "mirrored"), dim[:, ::-1])
    with pytest.raises(ValueError, match="view must be one of"):
        view_of(dim, "upside down")


def test_landmarks_box_is_clipped_to_the_frame():
    points = np.array([[-10, 5, 0], [50.2, 700, 0]], np.float32)
    assert landmarks_box(points, (480, 640, 3)) == (0, 5, 51, 475)


# Model files: a clear message, never a traceback from LiteRT.


def test_missing_model_files_say_how_to_fetch_them(tmp_path: Path):
    with pytest.raises(hand_model_files.HandModelsMissing, match="scripts.fetch_hand_models") as caught:
        hand_model_files.open_model(hand_model_files.PALM_MODEL, folder=tmp_path)
    assert "missing" in str(caught.value)
    assert "make run" in str(caught.value)


def test_damaged_model_files_say_how_to_fetch_them(tmp_path: Path):
    (tmp_path / hand_model_files.LANDMARK_MODEL).write_bytes(b"not a model")
    with pytest.raises(hand_model_files.HandModelsMissing, match="damaged"):
        hand_model_files.model_path(hand_model_files.LANDMARK_MODEL, tmp_path)
    assert any("damaged" in line for line in hand_model_files.problems(tmp_path))


def test_a_tracker_without_model_files_says_how_to_fetch_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hand_model_files, "HAND_MODELS_DIR", tmp_path)
    with pytest.raises(hand_model_files.HandModelsMissing, match="fetch_hand_models"):
        HandTracker()


@pytest.fixture
def fake_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Pin small stand-in files and a wheel holding them; `pip download` copies that wheel."""
    contents = {name: f"{name} bytes".encode() for name in hand_model_files.MODEL_FILES}
    members = {name: (f"pkg/{name}", hashlib.sha256(data).hexdigest()) for name, data in contents.items()}
    wheel = tmp_path / "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in contents.items():
            archive.writestr(members[name][0], data)
    monkeypatch.setattr(hand_model_files, "MODEL_FILES", members)
    monkeypatch.setattr(hand_model_files, "WHEEL_SHA256", hand_model_files.sha256_of(wheel))
    downloads = []

    def fake_run(command, **kwargs):
        target = Path(command[command.index("-d") + 1])
        (target / wheel.name).write_bytes(wheel.read_bytes())
        downloads.append(command)
        return type("Result", (), {"returncode": 0, "stderr": ""})()

    monkeypatch.setattr(hand_model_files.subprocess, "run", fake_run)
    contents["downloads"] = downloads
    return contents


def test_fetch_extracts_checked_files_once(tmp_path: Path, fake_wheel: dict):
    folder = tmp_path / "hands"
    assert hand_model_files.fetch(folder, log=lambda _: None)
    for name in hand_model_files.MODEL_FILES:
        assert (folder / name).read_bytes() == fake_wheel[name]
    assert hand_model_files.problems(folder) == []
    assert not hand_model_files.fetch(folder, log=lambda _: None)  # idempotent: no second download
    assert len(fake_wheel["downloads"]) == 1
    assert "--no-deps" in fake_wheel["downloads"][0]


def test_fetch_refuses_a_wheel_with_the_wrong_hash(tmp_path: Path, fake_wheel: dict, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(hand_model_files, "WHEEL_SHA256", "0" * 64)
    folder = tmp_path / "hands"
    with pytest.raises(RuntimeError, match="pinned sha256"):
        hand_model_files.fetch(folder, log=lambda _: None)
    assert not folder.exists() or not any(folder.iterdir())
