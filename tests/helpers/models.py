"""Tiny stand-in models for tests: letters models with the real input and labels and fixed answers; a digits net."""

from pathlib import Path

import numpy as np

from core.labels import SIGN_LETTERS

INPUT_SIDE = 64  # The shipped letters model reads 64×64 greyscale crops.


def make_letters_model(path: Path, favourite: str | None = "B", side: int = INPUT_SIDE) -> Path:
    """Save a model of 64×64×1 input and 24 softmax outputs that always answers `favourite` (~99.9% sure).

    With favourite=None it spreads its answer evenly over the 24 letters: never sure.
    """
    import keras

    from core.learn.fit import save_model

    bias = np.zeros(len(SIGN_LETTERS), np.float32)
    if favourite is not None:
        bias[SIGN_LETTERS.index(favourite)] = 10.0
    model = keras.Sequential(
        [
            keras.Input(shape=(side, side, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(len(SIGN_LETTERS), activation="softmax", kernel_initializer="zeros"),
        ]
    )
    model.layers[-1].bias.assign(bias)
    card = {
        "labels": list(SIGN_LETTERS),
        "input_shape": [side, side, 1],
        "dataset": "letters",
        "recipe": "test stand-in",
    }
    return save_model(model, card, path)


def make_landmarks_model(path: Path, favourite: str = "B", random_weights: bool = False) -> Path:
    """Save a model that reads 63 normalised landmark numbers and always answers `favourite` (~99.9% sure).

    With random_weights its probabilities also depend on the landmarks (seeded weights), while it still leans to
    `favourite`.
    """
    import keras

    from core.learn.fit import save_model
    from core.predictor import LANDMARK_FEATURES

    keras.utils.set_random_seed(0)
    kernel = "glorot_uniform" if random_weights else "zeros"
    model = keras.Sequential(
        [
            keras.Input(shape=(LANDMARK_FEATURES,)),
            keras.layers.Dense(len(SIGN_LETTERS), activation="softmax", kernel_initializer=kernel),
        ]
    )
    bias = np.zeros(len(SIGN_LETTERS), np.float32)
    bias[SIGN_LETTERS.index(favourite)] = 3.0 if random_weights else 10.0
    model.layers[-1].bias.assign(bias)
    card = {"labels": list(SIGN_LETTERS), "input_shape": [LANDMARK_FEATURES], "dataset": "asl_landmarks"}
    return save_model(model, card, path)


def tiny_digits_model(input_shape: tuple[int, ...] = (28, 28, 1), classes: int = 10) -> "keras.Model":  # noqa: F821
    """An untrained, seeded Flatten → Dense softmax model: fast to build, save and load."""
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input(shape=input_shape), keras.layers.Flatten(), keras.layers.Dense(classes, activation="softmax")]
    )
