"""Stand-ins for the benchmarks when the real data or model is absent: drawn hands, an untrained landmarks model."""

from pathlib import Path

import cv2
import numpy as np

from core.labels import SIGN_LETTERS

SKIN_BGR = (100, 140, 200)  # A medium skin tone.
WALL_BGR = (170, 170, 165)  # A grey wall.


def hand_frame(seed: int, height: int = 480, width: int = 640) -> np.ndarray:
    """A BGR frame of a room with coloured objects and a hand-like shape (palm and four fingers) in skin colour."""
    rng = np.random.default_rng(seed)
    frame_bgr = np.full((height, width, 3), WALL_BGR, np.uint8)
    for _ in range(25):  # Clutter in colours that are not skin, so finding the hand costs what it does in a room.
        x, y, side = (int(v) for v in rng.integers((0, 0, 20), (width, height, 160)))
        colour = [(200, 80, 30), (40, 160, 40), (60, 60, 60), (230, 230, 230)][int(rng.integers(4))]
        cv2.rectangle(frame_bgr, (x, y), (x + side, y + side), colour, -1)
    cx, cy, s = int(rng.integers(150, 490)), 260, float(rng.uniform(0.6, 1.3))
    cv2.ellipse(frame_bgr, (cx, cy), (round(40 * s), round(48 * s)), 0, 0, 360, SKIN_BGR, -1)
    for dx, length in zip((-30, -10, 10, 30), (70, 85, 80, 60), strict=True):
        tip = (round(cx + dx * s * 1.2), round(cy - (30 + length) * s))
        cv2.line(frame_bgr, (round(cx + dx * s), round(cy - 20 * s)), tip, SKIN_BGR, max(2, round(16 * s)))
    noise = rng.normal(0, 5, frame_bgr.shape)
    return np.clip(frame_bgr + noise, 0, 255).astype(np.uint8)


def landmarks_model(path: Path, widths: tuple[int, ...] = (256, 128)) -> Path:
    """Save an untrained landmarks MLP (63 numbers in, Dense 256 → 128 → 24 out), the letters-landmarks shape."""
    import keras

    from core.learn.fit import save_model

    hidden = [keras.layers.Dense(width, activation="relu") for width in widths]
    model = keras.Sequential([keras.Input(shape=(63,)), *hidden, keras.layers.Dense(len(SIGN_LETTERS), "softmax")])
    card = {"labels": list(SIGN_LETTERS), "input_shape": [63], "recipe": "benchmark stand-in (landmarks MLP)"}
    return save_model(model, card, path)
