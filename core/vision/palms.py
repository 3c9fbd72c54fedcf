"""MediaPipe's palm detector (palm_detection_full) on a BGR frame: letterbox, SSD anchors, decoding, weighted NMS.

The model reads a 192×192 RGB image in [0, 1] and answers, for each of 2016 SSD anchors, a score logit and 18 box
regressors: the box centre and size, then 7 palm keypoints (0 wrist, 2 middle-finger base, ...), all in input
pixels and, for positions, relative to the anchor centre.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from core.vision import hand_model_files

INPUT_SIDE = 192  # The detector's square input (px).
# SSD anchors (MediaPipe's SsdAnchorsCalculator for this model): a 24×24 grid with 2 anchors per cell at stride 8,
# then three stride-16 layers that share one 12×12 grid, 2 anchors each, hence 6 per cell. With fixed anchor size
# every anchor is 1×1, so only its centre matters.
ANCHOR_GRIDS = ((INPUT_SIDE // 8, 2), (INPUT_SIDE // 16, 6))
KEYPOINTS = 7
MIN_SCORE = 0.5  # A palm scores at least this (after the sigmoid).
SCORE_CLIP = 100.0  # Logits are clipped to ±this before the sigmoid, as MediaPipe does.
NMS_MIN_IOU = 0.3  # Boxes that overlap more than this are one palm (blended by weighted NMS).


@dataclass(frozen=True)
class Letterbox:
    """How a frame was placed in the square model input: input_px = frame_px * scale_xy + pad_xy."""

    scale_xy: tuple[float, float]
    pad_xy: tuple[float, float]

    def to_frame(self, points_input_px: np.ndarray) -> np.ndarray:
        """Map (..., 2) points from input pixels back to frame pixels."""
        return (np.asarray(points_input_px, np.float32) - self.pad_xy) / np.asarray(self.scale_xy, np.float32)


@dataclass(frozen=True)
class Palm:
    """One detected palm in frame pixels."""

    box_xyxy: np.ndarray  # (4,) float32: left, top, right, bottom.
    keypoints_xy: np.ndarray  # (7, 2) float32; 0 is the wrist, 2 the base of the middle finger.
    score: float  # In [0, 1].

    @property
    def area(self) -> float:
        """The box's area in square frame pixels."""
        left, top, right, bottom = self.box_xyxy
        return float(max(0.0, right - left) * max(0.0, bottom - top))


def letterbox(frame_bgr: np.ndarray, side: int = INPUT_SIDE, margin: float = 0.0) -> tuple[np.ndarray, Letterbox]:
    """Fit a BGR frame into a side×side RGB float32 image in [0, 1], centred on black, keeping its aspect ratio.

    margin (a fraction of side) adds a black border on every side: a hand that fills a photo is found far more
    often with room around it, as at a webcam.
    """
    frame_h, frame_w = frame_bgr.shape[:2]
    inner = side * (1 - 2 * margin)
    factor = inner / max(frame_h, frame_w)
    new_w, new_h = max(1, round(frame_w * factor)), max(1, round(frame_h * factor))
    pad_x, pad_y = (side - new_w) // 2, (side - new_h) // 2
    image = np.zeros((side, side, 3), np.float32)
    resized = cv2.resize(frame_bgr, (new_w, new_h), interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    image[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB) / np.float32(255)
    return image, Letterbox((new_w / frame_w, new_h / frame_h), (float(pad_x), float(pad_y)))


def palm_anchors() -> np.ndarray:
    """The 2016 anchor centres, (2016, 2) float32 as (x, y) fractions of the input, in the model's output order."""
    centres = []
    for grid, per_cell in ANCHOR_GRIDS:
        ys, xs = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
        cells = (np.stack([xs.ravel(), ys.ravel()], axis=1) + 0.5) / grid
        centres.append(np.repeat(cells, per_cell, axis=0))  # Row-major cells, each cell's anchors together.
    return np.concatenate(centres).astype(np.float32)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Scores in [0, 1] from logits, clipped first as MediaPipe does."""
    return (1 / (1 + np.exp(-np.clip(logits, -SCORE_CLIP, SCORE_CLIP)))).astype(np.float32)


def decode_boxes(raw_boxes: np.ndarray, anchors: np.ndarray, side: int = INPUT_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """Boxes and keypoints in input pixels from the model's raw regressors.

    Args:
        raw_boxes: (N, 18): centre x, y, width, height, then 7 keypoints as x, y; input pixels relative to the anchor.
        anchors: (N, 2) anchor centres as fractions of the input.

    Returns:
        boxes_xyxy (N, 4) and keypoints_xy (N, 7, 2), float32 in input pixels.
    """
    anchors_px = anchors * side
    centre = raw_boxes[:, 0:2] + anchors_px
    half = raw_boxes[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw_boxes[:, 4 : 4 + 2 * KEYPOINTS].reshape(-1, KEYPOINTS, 2) + anchors_px[:, None, :]
    return boxes.astype(np.float32), keypoints.astype(np.float32)


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one xyxy box with each of (N, 4) boxes."""
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    area = np.prod(np.clip(box[2:] - box[:2], 0, None))
    areas = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def weighted_nms(
    boxes_xyxy: np.ndarray, keypoints_xy: np.ndarray, scores: np.ndarray, min_iou: float = NMS_MIN_IOU
) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """MediaPipe's weighted non-maximum suppression: each cluster of overlapping boxes becomes one detection.

    The best-scoring box takes every remaining box that overlaps it by more than min_iou; the cluster's boxes and
    keypoints are averaged with the scores as weights, and the cluster keeps its best score. Returns
    (box_xyxy, keypoints_xy, score) tuples, best first.
    """
    remaining = np.argsort(-scores, kind="stable")
    kept = []
    while remaining.size:
        best = remaining[0]
        in_cluster = box_iou(boxes_xyxy[best], boxes_xyxy[remaining]) > min_iou
        in_cluster[0] = True  # A box with no area has IoU 0 with itself; it still belongs to its own cluster.
        cluster, remaining = remaining[in_cluster], remaining[~in_cluster]
        weights = scores[cluster] / scores[cluster].sum()
        box = (boxes_xyxy[cluster] * weights[:, None]).sum(axis=0)
        keypoints = (keypoints_xy[cluster] * weights[:, None, None]).sum(axis=0)
        kept.append((box.astype(np.float32), keypoints.astype(np.float32), float(scores[best])))
    return kept


def palms_from_outputs(
    raw_boxes: np.ndarray, raw_logits: np.ndarray, box: Letterbox, anchors: np.ndarray, min_score: float = MIN_SCORE
) -> list[Palm]:
    """The palms, in frame pixels and best first, from the detector's raw outputs for one letterboxed frame."""
    scores = sigmoid(raw_logits.reshape(-1))
    keep = scores >= min_score
    boxes, keypoints = decode_boxes(raw_boxes.reshape(-1, 4 + 2 * KEYPOINTS)[keep], anchors[keep])
    palms = []
    for box_input, keypoints_input, score in weighted_nms(boxes, keypoints, scores[keep]):
        corners = box.to_frame(box_input.reshape(2, 2)).reshape(4)
        palms.append(Palm(corners, box.to_frame(keypoints_input), score))
    return palms


class PalmDetector:
    """Runs palm_detection_full with LiteRT: detect(frame_bgr) -> palms in frame pixels, best first."""

    def __init__(self, interpreter=None, threads: int = 2):
        """Use a LiteRT interpreter for the model; by default open the checked file in models/hands/."""
        interpreter = interpreter or hand_model_files.open_model(hand_model_files.PALM_MODEL, threads)
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]["index"]
        outputs = sorted(interpreter.get_output_details(), key=lambda d: int(np.prod(d["shape"])))
        self._logits, self._boxes = outputs[0]["index"], outputs[1]["index"]  # 2016 scores, then 2016×18 boxes.
        self._anchors = palm_anchors()

    def detect(self, frame_bgr: np.ndarray, margin: float = 0.0, min_score: float = MIN_SCORE) -> list[Palm]:
        """The palms in a BGR frame, best first; margin adds a border first (see letterbox)."""
        image, box = letterbox(frame_bgr, INPUT_SIDE, margin)
        self._interpreter.set_tensor(self._input, image[None])
        self._interpreter.invoke()
        raw_boxes = self._interpreter.get_tensor(self._boxes)[0]
        raw_logits = self._interpreter.get_tensor(self._logits)[0]
        return palms_from_outputs(raw_boxes, raw_logits, box, self._anchors, min_score)
