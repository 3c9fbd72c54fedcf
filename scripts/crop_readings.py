"""Read the hand crop of every asl_webcam photo with a hand found with a letters crop model, and save the result.

The crop is the square around the landmark box (core.vision.hand_tracker.landmarks_box, then
core.vision.hands.letter_from_frame at the model's input size), so the CNN sees the hand the landmarks found.
Saved per row of the asl_webcam landmark cache: the softmax (mirror-averaged, as the Sign page reads it) and the
penultimate layer's embedding (mean of the image and its mirror). scripts/evaluate_sources.py --crop-readings reads
the file for its crop-only and fused figures.

The figures in docs/letters.md used the crop model shipped until 2026-11-30 (`git show dd8d459:models/letters.keras`
and its .json), which never saw an asl_webcam person.

    HANDLAB_DATA_DIR=... HANDLAB_HOME=... python scripts/crop_readings.py CROP_MODEL.keras /tmp/work/crop_readings.npz
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from core.data import hand_landmarks  # noqa: E402
from core.paths import cache_dir, data_dir  # noqa: E402
from core.predictor import Predictor  # noqa: E402
from core.vision.hand_tracker import landmarks_box  # noqa: E402
from core.vision.hands import letter_from_frame  # noqa: E402

BATCH = 256


def main() -> None:
    """Crop, read and save every found hand of asl_webcam."""
    model, out = Path(sys.argv[1]), Path(sys.argv[2])
    photos = hand_landmarks.list_collection(data_dir(), hand_landmarks.WEBCAM_FOLDER)
    landmarks = hand_landmarks.load_collections(data_dir(), (hand_landmarks.WEBCAM_FOLDER,), cache_dir())
    predictor = Predictor(model)  # a crop model: 64×64 greyscale in, 24 letters out
    embed = keras.Model(predictor.model.inputs, predictor.model.layers[-2].output)
    size = predictor.image_size
    rows = np.flatnonzero(landmarks.found)
    crops = np.zeros((len(rows), size, size, 1), np.float32)
    started = time.monotonic()
    for i, row in enumerate(rows):
        frame_bgr = cv2.imread(photos[row].path, cv2.IMREAD_COLOR)
        box = landmarks_box(landmarks.landmarks_px[row], frame_bgr.shape)
        crops[i, ..., 0] = letter_from_frame(frame_bgr, box, size=size)
    print(f"{len(rows)} crops in {time.monotonic() - started:.0f} s", flush=True)
    softmax = np.concatenate([predictor.predict_batch(crops[i : i + BATCH]) for i in range(0, len(rows), BATCH)])
    mirrored = crops[:, :, ::-1]
    embedding = (embed.predict(crops, BATCH, 0) + embed.predict(mirrored, BATCH, 0)) / 2
    np.savez_compressed(
        out,
        rows=rows,
        sources=landmarks.sources[rows],
        labels=landmarks.labels[rows],
        softmax=softmax.astype(np.float32),
        embedding=embedding.astype(np.float32),
        predictor_labels=np.array(predictor.labels),
    )
    print(f"saved {out}: crop-only accuracy {np.mean(softmax.argmax(1) == landmarks.labels[rows]):.1%}")


if __name__ == "__main__":
    main()
