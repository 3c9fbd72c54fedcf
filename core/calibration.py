"""Confidence that means what it says: temperature scaling of class probabilities, and how far off they are.

A model trained with label smoothing never says more than ~90% even when it is right 99.9% of the time, and
its "60%" is right far more often than 60% of the time. Dividing the log-probabilities by one number, the
temperature, fitted on held-back data, fixes most of that without changing which class comes first
(Guo et al., "On Calibration of Modern Neural Networks", 2017).
"""

import numpy as np

TEMPERATURES = np.exp(np.linspace(np.log(0.05), np.log(10.0), 400))  # the grid searched, about 1.3% apart
ECE_BINS = 15


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (N, classes) rescaled as softmax(log(p) / temperature); the order of classes is kept."""
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(probabilities.dtype, copy=False)


def app_probabilities(outputs: np.ndarray, temperature: float, binary: bool) -> np.ndarray:
    """The probabilities the app shows: a binary model's one sigmoid output as two classes, then the temperature."""
    if binary:
        outputs = np.concatenate([1 - outputs, outputs], axis=1)
    return apply_temperature(outputs, temperature)


def fit_temperature(probabilities: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of these probabilities on their true classes y."""
    if len(y) == 0:
        raise ValueError("Calibration needs at least one labelled sample.")
    losses = [log_loss(apply_temperature(probabilities, t), y) for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def log_loss(probabilities: np.ndarray, y: np.ndarray) -> float:
    """The mean negative log-probability of the true classes."""
    picked = probabilities[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def expected_calibration_error(probabilities: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """How far confidence lies from accuracy: |accuracy − mean confidence| per confidence bin, weighted by size."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == y
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    error = 0.0
    for members in (which == b for b in range(bins)):
        if members.any():
            error += abs(right[members].mean() - confidence[members].mean()) * members.mean()
    return float(error)
