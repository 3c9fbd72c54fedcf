"""The landmark layers: jitter in training only, features that ignore where the hand points, safe save and load."""

from pathlib import Path

import numpy as np

from core.landmark_layers import EXTRA_FEATURES, LandmarkFeatures, LandmarkJitter
from core.learn import architectures, recipes
from core.predictor import load_model

RNG = np.random.default_rng(0)
HANDS = RNG.normal(size=(8, 63)).astype(np.float32)


def turned(x: np.ndarray, degrees: float) -> np.ndarray:
    """The hands turned in the image plane about the wrist (the origin)."""
    angle = np.radians(degrees)
    points = x.reshape(-1, 21, 3).copy()
    px, py = points[..., 0].copy(), points[..., 1].copy()
    points[..., 0] = np.cos(angle) * px - np.sin(angle) * py
    points[..., 1] = np.sin(angle) * px + np.cos(angle) * py
    return points.reshape(-1, 63)


def test_jitter_changes_training_inputs_only():
    jitter = LandmarkJitter(rotation_deg=15, scale=0.1, z_scale=0.5, seed=1)
    assert np.array_equal(np.asarray(jitter(HANDS, training=False)), HANDS)
    assert not np.allclose(np.asarray(jitter(HANDS, training=True)), HANDS)


def test_features_in_the_hands_own_frame_do_not_change_when_the_hand_turns():
    features = LandmarkFeatures()
    plain, rotated = np.asarray(features(HANDS)), np.asarray(features(turned(HANDS, 40)))
    assert plain.shape == (8, 63 + EXTRA_FEATURES)
    # The raw points and the pointing direction turn with the hand; the rest (own frame, distances, bends, and
    # the palm normal's z) does not.
    invariant = slice(63 + 2, 63 + EXTRA_FEATURES - 3)
    np.testing.assert_allclose(plain[:, invariant], rotated[:, invariant], atol=1e-4)
    assert not np.allclose(plain[:, :63], rotated[:, :63])


def test_z_weight_zero_drops_depth():
    flat = HANDS.reshape(-1, 21, 3).copy()
    flat[..., 2] = 0
    deep = LandmarkFeatures(z_weight=0.0)
    np.testing.assert_allclose(np.asarray(deep(HANDS)), np.asarray(deep(flat.reshape(-1, 63))), atol=1e-5)


def test_landmarks_recipe_saves_and_loads_in_safe_mode(tmp_path: Path):
    model = recipes.get_recipe("letters-landmarks").build((63,), 24)
    path = tmp_path / "landmarks.keras"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(HANDS)), np.asarray(model(HANDS)), atol=1e-6)


def test_every_landmark_layer_survives_a_save(tmp_path: Path):
    jitter = dict(rotation_deg=10, scale=0.1, z_scale=0.3, seed=2)
    model = architectures.landmarks_mlp((16,), 0.1, 0.02, jitter, features=True, z_weight=0.5)((63,), 24)
    model.save(tmp_path / "all.keras")
    loaded = load_model(tmp_path / "all.keras")
    assert [type(layer).__name__ for layer in loaded.layers[:3]] == [
        "LandmarkJitter",
        "GaussianNoise",
        "LandmarkFeatures",
    ]
    assert loaded.layers[2].z_weight == 0.5
    np.testing.assert_allclose(np.asarray(loaded(HANDS)), np.asarray(model(HANDS)), atol=1e-6)
