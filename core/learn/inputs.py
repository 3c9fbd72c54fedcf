"""The input pipeline: dataset arrays to model inputs and targets, a validation split, and tf.data batches."""

import keras
import numpy as np
import tensorflow as tf

from core.data.loaders import NO_CLASS
from core.learn.spec import TrainSpec


def as_inputs(x: np.ndarray) -> np.ndarray:
    """Images: uint8 (N, H, W) → float32 (N, H, W, 1) in [0, 1]; tabular data passes through as float32."""
    if x.dtype == np.uint8 and x.ndim == 3:
        return (x.astype(np.float32) / 255.0)[..., None]
    return x.astype(np.float32)


def as_targets(y: np.ndarray, loss: str, num_classes: int) -> np.ndarray:
    """Class indices as the loss wants them: one-hot for categorical, float32 for binary, else unchanged.

    A sample of no class (NO_CLASS, outlier exposure: core.data.mnist_other) gets the same probability for every
    class, which only a categorical loss can say.
    """
    outliers = np.asarray(y) == NO_CLASS
    if outliers.any() and loss != "categorical":
        raise ValueError(f"Samples of no class need a recipe with a categorical loss, not {loss!r}.")
    if loss == "categorical":
        targets = keras.utils.to_categorical(np.where(outliers, 0, y), num_classes)
        targets[outliers] = 1 / num_classes
        return targets
    return y.astype(np.float32) if loss == "binary" else y


def split_validation(
    x: np.ndarray, y: np.ndarray, spec: TrainSpec, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Hold out the last `validation_split` of a seeded shuffle; with a split of 0 there is no validation.

    Returns x_fit, y_fit and the (x, y) validation pair, or None. Samples of no class (NO_CLASS) only ever train:
    validation measures the classes, and calibrates their probabilities. The test set is never used to validate: the
    tutorials did, which let early stopping and the best epoch's weights see the test set. With `groups` (an id per
    row; copies of one sample share it) whole groups are shuffled and held out, so no copy sits on both sides.
    """
    if not spec.validation_split:
        return x, y, None
    rng = np.random.default_rng(spec.seed + 1)
    n_val = max(1, int(round(len(x) * spec.validation_split)))
    if groups is None:
        order = rng.permutation(len(x))
        fit, val = order[n_val:], order[:n_val]
    else:
        _, group_of_row = np.unique(groups, return_inverse=True)
        rank_of_row = rng.permutation(group_of_row.max() + 1)[group_of_row]
        # Hold out the first n_val rows in the groups' shuffled order, and the rest of the group the last one is in.
        last = np.sort(rank_of_row)[n_val - 1]
        val, fit = np.flatnonzero(rank_of_row <= last), np.flatnonzero(rank_of_row > last)
    val = val[y[val] != NO_CLASS]
    return x[fit], y[fit], (x[val], y[val])


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None) -> tf.data.Dataset:
    """A tf.data pipeline of (x, y) batches, reshuffled each epoch when shuffle_seed is given.

    Keras builds the same from NumPy arrays, but with tf.data's autotuning on, and on this TensorFlow the
    autotuner's thread can hold up the end of each epoch for seconds (idle, waiting on its own timer). With it
    off, epochs follow each other at once. The arrays are captured, not embedded, so large datasets are fine.
    """
    x_all, y_all = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    indices = tf.data.Dataset.range(len(x))
    if shuffle_seed is not None:
        indices = indices.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = indices.batch(batch_size).map(lambda i: (tf.gather(x_all, i), tf.gather(y_all, i))).prefetch(1)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)
