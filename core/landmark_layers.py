"""Keras layers for the 63 normalised landmark numbers: training-time jitter, and invariant features.

Both are registered with Keras so a model that holds them saves and loads in safe mode (no Lambda layers);
importing this module registers them, and core.predictor imports it before it loads a model. The input of either
is what core.vision.landmarks.normalize_landmarks gives: 21 × (x, y, z), wrist at the origin, palm size 1.
"""

import keras
from keras import layers, ops

POINTS = 21
THUMB_TIP = 4
FINGER_TIPS = (8, 12, 16, 20)
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
INDEX_MCP, MIDDLE_MCP, LITTLE_MCP = 5, 9, 17
# 2 (pointing direction) + 42 (x, y in the hand's own frame) + 16 (thumb tip to the other fingers' points)
# + 6 (between the other fingertips) + 15 (cosine of each joint's bend) + 3 (palm normal).
EXTRA_FEATURES = 2 + 2 * POINTS + 16 + 6 + 15 + 3


def _points(x):
    """(batch, 63) → (batch, 21, 3)."""
    return ops.reshape(x, (-1, POINTS, 3))


@keras.saving.register_keras_serializable(package="handlab")
class LandmarkJitter(layers.Layer):
    """In training only: turn each hand in the image plane, stretch it, and scale its depth, at random.

    A new person holds a letter a little turned, with other hand proportions, at another distance from a camera
    with another lens; the landmark model's z is the least reliable of the three. Outside training the input
    passes unchanged.
    """

    def __init__(self, rotation_deg: float = 15.0, scale: float = 0.1, z_scale: float = 0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rotation_deg, self.scale, self.z_scale, self.seed = rotation_deg, scale, z_scale, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        batch = ops.shape(inputs)[0]
        points = _points(inputs)

        def uniform(spread):
            return keras.random.uniform((batch, 1), -spread, spread, seed=self.seed_generator)

        angle = uniform(self.rotation_deg * 3.141592653589793 / 180)
        cos, sin = ops.cos(angle), ops.sin(angle)
        x, y, z = points[..., 0], points[..., 1], points[..., 2]
        x, y = cos * x - sin * y, sin * x + cos * y
        x, y = x * (1 + uniform(self.scale)), y * (1 + uniform(self.scale))
        z = z * (1 + uniform(self.z_scale))
        return ops.reshape(ops.stack([x, y, z], axis=-1), (-1, POINTS * 3))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(rotation_deg=self.rotation_deg, scale=self.scale, z_scale=self.z_scale, seed=self.seed)
        return config


@keras.saving.register_keras_serializable(package="handlab")
class LandmarkFeatures(layers.Layer):
    """The 63 numbers (z times `z_weight`), followed by features that do not depend on where the hand points.

    Appended: the pointing direction (wrist to middle-finger base, as cos/sin), every point in the hand's own
    frame (turned so the hand points up), distances from the thumb tip to the other fingers' points and between
    the other fingertips, the cosine of each finger joint's bend, and the palm's normal. The thumb's place among
    the fingers is what tells M, N, S, T, K, U and V apart.
    """

    def __init__(self, z_weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.z_weight = z_weight

    def call(self, inputs):
        points = _points(inputs) * ops.convert_to_tensor([1.0, 1.0, self.z_weight], dtype=inputs.dtype)
        direction = points[:, MIDDLE_MCP, :2]
        direction = direction / (ops.norm(direction, axis=-1, keepdims=True) + 1e-6)
        dx, dy = direction[:, :1], direction[:, 1:]
        x, y = points[..., 0], points[..., 1]
        own_frame = ops.concatenate([x * dy - y * dx, x * dx + y * dy], axis=-1)
        thumb = ops.norm(points[:, 5:, :] - points[:, THUMB_TIP : THUMB_TIP + 1, :], axis=-1)
        tips = [
            ops.norm(points[:, a, :] - points[:, b, :], axis=-1, keepdims=True)
            for i, a in enumerate(FINGER_TIPS)
            for b in FINGER_TIPS[i + 1 :]
        ]
        return ops.concatenate(
            [ops.reshape(points, (-1, POINTS * 3)), direction, own_frame, thumb, *tips, self._bends(points)]
            + [self._palm_normal(points)],
            axis=-1,
        )

    @staticmethod
    def _bends(points):
        """(batch, 15): cosine between successive bones of each finger, from the wrist out."""
        cosines = []
        for finger in FINGERS:
            chain = [0, *finger]
            bones = [points[:, b, :] - points[:, a, :] for a, b in zip(chain, chain[1:], strict=False)]
            for first, second in zip(bones, bones[1:], strict=False):
                dot = ops.sum(first * second, axis=-1, keepdims=True)
                cosines.append(
                    dot / (ops.norm(first, axis=-1, keepdims=True) * ops.norm(second, axis=-1, keepdims=True) + 1e-6)
                )
        return ops.concatenate(cosines, axis=-1)

    @staticmethod
    def _palm_normal(points):
        """(batch, 3): the unit normal of the palm (wrist, index-finger base, little-finger base)."""
        normal = ops.cross(points[:, INDEX_MCP, :] - points[:, 0, :], points[:, LITTLE_MCP, :] - points[:, 0, :])
        return normal / (ops.norm(normal, axis=-1, keepdims=True) + 1e-6)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], POINTS * 3 + EXTRA_FEATURES)

    def get_config(self):
        config = super().get_config()
        config.update(z_weight=self.z_weight)
        return config
