"""Readers the dataset loaders share: checked npz archives, Keras' download under a timeout, upscaling, a split."""

import contextlib
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

SPLITS = ("x_train", "y_train", "x_test", "y_test")
DOWNLOAD_TIMEOUT_S = 15.0


def read_npz(path: Path) -> tuple[np.ndarray, ...]:
    """Read and check x_train, y_train, x_test, y_test (uint8 28×28 images, integer labels) from an npz."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in SPLITS if key not in archive.files]
            if missing:
                raise KeyError(missing[0])
            arrays = tuple(archive[key] for key in SPLITS)
    except KeyError as error:
        raise ValueError(f"{path.name}: missing array {error}; expected {', '.join(SPLITS)}") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path.name}: not a readable npz archive ({error})") from error
    check_arrays(path.name, arrays)
    return arrays


def check_arrays(source: str, arrays: tuple[np.ndarray, ...]) -> None:
    """Check image and label arrays' dtypes and shapes."""
    for x, y, split in ((arrays[0], arrays[1], "train"), (arrays[2], arrays[3], "test")):
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"{source}: x_{split} must be uint8 (N, 28, 28), found {x.dtype} {x.shape}")
        if not np.issubdtype(y.dtype, np.integer) or y.shape != (len(x),):
            raise ValueError(f"{source}: y_{split} must be {len(x)} integer labels, found {y.dtype} {y.shape}")


def check_labels(source: str, arrays: tuple[np.ndarray, ...], valid: tuple[int, ...]) -> None:
    """Check that every label is one of `valid`."""
    for y, split in ((arrays[1], "y_train"), (arrays[3], "y_test")):
        bad = ~np.isin(y, valid)
        if bad.any():
            raise ValueError(f"{source}: {split}[{int(np.argmax(bad))}] is {y[bad][0]}, not a valid label")


def download_with_keras(name: str) -> tuple[np.ndarray, ...]:
    """MNIST or Fashion-MNIST from Keras' download (or its cache), giving up soon when offline; not yet checked."""
    with socket_timeout(DOWNLOAD_TIMEOUT_S):
        return fetch_with_keras(name)


def fetch_with_keras(name: str) -> tuple[np.ndarray, ...]:
    """Download (or reuse Keras' cached copy of) MNIST or Fashion-MNIST."""
    import keras  # late: loads TensorFlow, seconds; only a dataset missing from the data folder needs it

    module = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[name]
    (x_train, y_train), (x_test, y_test) = module.load_data()
    return x_train, y_train, x_test, y_test


@contextlib.contextmanager
def socket_timeout(seconds: float) -> Iterator[None]:
    """Make new sockets give up after `seconds` without data, so an offline download fails fast."""
    # The default is process-wide, so sockets other threads open meanwhile get it too; for the short
    # requests a Streamlit server makes, a 15 s limit is harmless.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def upscale(images: np.ndarray, image_size: int) -> np.ndarray:
    """Resize uint8 (N, 28, 28) images to (N, size, size) with cv2.INTER_LINEAR, the mapping model cards state."""
    if images.shape[1:] == (image_size, image_size):
        return images
    resized = [cv2.resize(image, (image_size, image_size), interpolation=cv2.INTER_LINEAR) for image in images]
    return np.stack(resized) if resized else np.zeros((0, image_size, image_size), np.uint8)


def stratified_test_mask(y: np.ndarray, test_fraction: float, seed: int) -> np.ndarray:
    """A boolean mask that puts `test_fraction` of each class in the test set, the same one every time."""
    # RandomState, unlike Generator, keeps the same stream in every NumPy version, so the split never moves.
    rng = np.random.RandomState(seed)
    is_test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        is_test[rng.permutation(members)[: round(len(members) * test_fraction)]] = True
    return is_test
