"""A Predictor: a safely loaded model with its card and a compiled call that reads one image in about a millisecond."""

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core import calibration, tasks
from core.storage import write_text_atomically

# Keras and TensorFlow take seconds to import: they are imported where a model is loaded or called, so that
# pages (and a fresh server) can import this module, and show themselves, before any model is ready.
if TYPE_CHECKING:
    import keras
    import tensorflow as tf


@dataclass(frozen=True)
class Prediction:
    """Class probabilities for one input, with the most likely label first."""

    labels: tuple[str, ...]
    probabilities: np.ndarray  # (num_classes,) float32, sums to 1

    @property
    def label(self) -> str:
        """The most likely label."""
        return self.labels[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float:
        """The probability of the most likely label."""
        return float(np.max(self.probabilities))

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely labels with their probabilities, best first."""
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]


def load_card(model_path: Path) -> dict:
    """The model card beside a model (same name, .json); ValueError when missing or unreadable."""
    card_path = Path(model_path).with_suffix(".json")
    try:
        return json.loads(card_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"The model card {card_path.name} is missing beside {Path(model_path).name}.") from None
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"The model card {card_path.name} cannot be read: {error}") from None


def save_card(model_path: Path, card: dict) -> None:
    """Write the model card beside a model (same name, .json), atomically."""
    write_text_atomically(Path(model_path).with_suffix(".json"), json.dumps(card, indent=2) + "\n")


def load_model(model_path: Path) -> "keras.Model":
    """Load a .keras model in safe mode (no arbitrary code); ValueError says why a file is refused."""
    import keras

    model_path = Path(model_path)
    if not model_path.is_file():
        raise ValueError(f"There is no model file at {model_path}.")
    refused = f"The model {model_path.name} cannot be loaded safely"
    if not zipfile.is_zipfile(model_path):  # Keras would say "File not found" about a damaged file.
        raise ValueError(f"{refused}: it is not a .keras file, or it is damaged. Save or download it again.")
    try:
        return keras.saving.load_model(model_path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many types for bad files; all mean "not loadable".
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "safe_mode" in reason or "Lambda" in reason:
            reason = "it contains Python code (a Lambda layer), which Handlab never runs. Train it without one."
        raise ValueError(f"{refused}: {reason}") from None


LANDMARK_FEATURES = 63  # 21 hand landmarks × (x, y, z), as core.vision.landmarks.normalize_landmarks gives them.


def serve_one_at_a_time() -> None:
    """Set TensorFlow up for a server that reads one input at a time (the app; not training, not the CLI).

    Streamlit clears Keras' session after every script run, and with it TensorFlow's kernel cache: the next call
    of a compiled model instantiates its function again, and TensorFlow's graph optimiser (Grappler) made that cost
    23 ms for the letters model and 51 ms for the digits model, on every redraw of the live Sign page and every
    stroke on the Draw page. Without it: 7 and 16 ms, and a steady call is no slower (0.8 and 3.2 ms).
    """
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def _card_temperature(card: dict, model_path: Path) -> float:
    """The card's calibration temperature (1.0 when it has none); ValueError for a value that is no temperature."""
    temperature = card.get("temperature", 1.0)
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0.01 <= temperature <= 100:
        raise ValueError(
            f"The model card {model_path.with_suffix('.json').name} has a temperature of {temperature!r}: "
            "it must be a number from 0.01 to 100."
        )
    return float(temperature)


class Predictor:
    """A loaded model with a compiled call; safe to share between threads and sessions."""

    def __init__(self, model_path: Path):
        self.model_path = Path(model_path)
        self.model = load_model(self.model_path)
        self.card = load_card(self.model_path)
        self.labels = tuple(self.card["labels"])
        self.input_shape = tuple(self.model.input_shape[1:])
        outputs = self.model.output_shape[-1]
        self._binary = outputs == 1 and len(self.labels) == 2
        if outputs != len(self.labels) and not self._binary:
            raise ValueError(
                f"The model {self.model_path.name} gives {outputs} outputs but its card lists "
                f"{len(self.labels)} labels."
            )
        # A model trained on mirrored images too (the card says so) reads each image and its mirror and averages
        # the two: on the ASL photos' held-out blocks this took the letters model from 98.1% to 99.2%.
        self.mirror = bool(self.card.get("test_time_mirror")) and len(self.input_shape) == 3
        self.temperature = _card_temperature(self.card, self.model_path)
        # A traced function skips Keras' per-call setup: ~1 ms per image instead of ~90 ms for model.predict.
        import tensorflow as tf

        signature = [tf.TensorSpec((None, *self.input_shape), tf.float32)]
        self._call = tf.function(self._probabilities, input_signature=signature)
        self.predict_batch(np.zeros((1, *self.input_shape), np.float32))

    def _probabilities(self, x: "tf.Tensor") -> "tf.Tensor":
        import tensorflow as tf

        if not self.mirror:
            return self.model(x, training=False)
        both = self.model(tf.concat([x, tf.reverse(x, axis=[2])], axis=0), training=False)
        plain, mirrored = tf.split(both, 2, axis=0)
        return (plain + mirrored) / 2

    @property
    def reads_landmarks(self) -> bool:
        """Whether the model reads a hand's normalised landmarks (63 numbers) rather than an image."""
        return self.input_shape == (LANDMARK_FEATURES,)

    @property
    def image_size(self) -> int:
        """The side of the square image the model reads (0 for a model that reads landmarks)."""
        return 0 if self.reads_landmarks else int(self.input_shape[0])

    def predict_batch(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (N, classes) for inputs shaped like the model's input, with or without the batch axis."""
        x = np.asarray(x, dtype=np.float32)
        rank = len(self.input_shape)
        if x.ndim == rank - 1:  # one image without its channel axis
            x = x[None, ..., None]
        elif x.ndim == rank:  # one image, or a batch without the channel axis
            x = x[None] if x.shape == self.input_shape else x[..., None]
        if x.ndim != rank + 1 or x.shape[1:] != self.input_shape:
            raise ValueError(f"The model expects inputs of shape {self.input_shape}, not {x.shape[1:]}.")
        import tensorflow as tf  # loaded with the model already: this only looks it up

        return calibration.app_probabilities(self._call(tf.constant(x)).numpy(), self.temperature, self._binary)

    def predict(self, x: np.ndarray) -> Prediction:
        """The prediction for one input."""
        return Prediction(self.labels, self.predict_batch(x)[0])

    def check_task(self, task: str) -> None:
        """Raise ValueError when this model cannot read what the pages of `task` give it (core.tasks says what)."""
        name, shape, wanted = self.model_path.name, self.input_shape, tasks.get_task(task)
        with_channel = (*shape, 1) if len(shape) == 2 else shape  # predict_batch adds a missing channel axis
        square_grey = len(with_channel) == 3 and shape[0] == shape[1] and with_channel[2] == 1
        fits_shape = wanted.input_shape is None or with_channel == wanted.input_shape
        if not (wanted.landmarks and self.reads_landmarks) and not (fits_shape and square_grey):
            size = wanted.input_shape
            needs = f"{size[0]}×{size[1]} greyscale" if size else "square greyscale"
            raise ValueError(f"The model {name} reads inputs of shape {shape}, but {task} are {needs} images.")
        if wanted.fits_labels(self.labels):
            return
        shown = ", ".join(self.labels[:5]) + (", …" if len(self.labels) > 5 else "")
        raise ValueError(f"The model {name} names {len(self.labels)} classes ({shown}), not {wanted.classes}.")
