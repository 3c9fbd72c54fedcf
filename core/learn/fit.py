"""Training: a Keras callback that reports to a Reporter, and the fit → evaluate → save path of a TrainSpec."""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import keras
import numpy as np

from core.data import datasets
from core.learn import recipes
from core.learn.spec import DEFAULT_LEARNING_RATES, TrainSpec
from core.storage import write_atomically, write_text_atomically


class Reporter(Protocol):
    """Receives progress from a training run, and may ask it to stop."""

    def on_start(self, total_epochs: int, steps_per_epoch: int) -> None: ...

    def on_batch(self, epoch: int, batch: int, logs: dict) -> None: ...

    def on_epoch(self, epoch: int, logs: dict) -> None: ...

    def should_stop(self) -> bool: ...


class ReportingCallback(keras.callbacks.Callback):
    """Forwards Keras' batch and epoch logs to a Reporter and stops training at the end of a batch on request."""

    def __init__(self, reporter: Reporter, total_epochs: int, steps_per_epoch: int):
        super().__init__()
        self.reporter = reporter
        self.total_epochs = total_epochs
        self.steps_per_epoch = steps_per_epoch
        self.epoch = 0
        self.stopped = False

    def on_train_begin(self, logs=None):
        self.reporter.on_start(self.total_epochs, self.steps_per_epoch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.reporter.on_batch(self.epoch, batch, _floats(logs))
        if self.reporter.should_stop():
            self.stopped = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = _floats(logs)
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.reporter.on_epoch(epoch, logs)


class BestWeights(keras.callbacks.Callback):
    """Remembers the weights of the epoch with the lowest validation loss."""

    def __init__(self):
        super().__init__()
        self.best_loss = float("inf")
        self.epoch: int | None = None
        self.weights: list | None = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("val_loss")
        if loss is not None and float(loss) < self.best_loss:
            self.best_loss, self.epoch, self.weights = float(loss), epoch, self.model.get_weights()


def describe_device() -> str:
    """The device TensorFlow trains on, in words: the GPU's name when there is one, else the CPU."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return f"CPU ({os.cpu_count()} cores)"
    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    return f"GPU: {name}" + (f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else "")


def _floats(logs: dict | None) -> dict:
    return {key: float(value) for key, value in (logs or {}).items()}


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced."""

    model_path: Path
    card: dict
    stopped: bool
    confusion: list[list[int]]


def train(spec: TrainSpec, reporter: Reporter, out_dir: Path, verbose: int = 0) -> TrainResult:
    """Train `spec` (resolved), reporting to `reporter`; write model.keras, model.json and test predictions."""
    spec = spec.resolved()
    recipe = recipes.get_recipe(spec.recipe)
    keras.utils.set_random_seed(spec.seed)
    data = datasets.load_dataset(spec.dataset, image_size=spec.image_size)
    x_train, y_train = _inputs(data.x_train), data.y_train
    if spec.limit:
        order = np.random.default_rng(spec.seed).permutation(len(x_train))[: spec.limit]
        x_train, y_train = x_train[order], y_train[order]
    x_test, y_test = _inputs(data.x_test), data.y_test
    num_classes = len(data.class_names)

    # A saved model already ends in a softmax, so fine-tuning a logits recipe trains on probabilities.
    loss = "sparse" if spec.init_model and recipe.loss == "sparse_logits" else recipe.loss
    if spec.init_model:
        model = _start_model(Path(spec.init_model), x_train.shape[1:], 1 if loss == "binary" else num_classes)
    else:
        model = recipe.build(x_train.shape[1:], num_classes)
        _adapt_normalization(model, x_train)
    trainer = _with_augmentation(model, recipe, spec) if spec.augment and recipe.kind == "image" else model
    x_fit, y_fit, validation = _split(x_train, y_train, spec, x_test, y_test)
    steps_per_epoch = int(np.ceil(len(x_fit) / spec.batch_size))
    trainer.compile(
        optimizer=_optimizer(spec, steps_per_epoch * spec.epochs),
        loss=_loss(loss, recipe.label_smoothing),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy") if loss == "binary" else "accuracy"],
    )
    reporting = ReportingCallback(reporter, spec.epochs, steps_per_epoch)
    best = BestWeights()
    callbacks = [reporting, best]
    if spec.patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec.patience, restore_best_weights=True)
        )
    started = time.monotonic()
    history = trainer.fit(
        batches(x_fit, _targets(y_fit, loss, num_classes), spec.batch_size, shuffle_seed=spec.seed),
        validation_data=batches(validation[0], _targets(validation[1], loss, num_classes), spec.batch_size),
        epochs=spec.epochs,
        shuffle=False,  # `batches` shuffles, afresh each epoch.
        callbacks=callbacks,
        verbose=verbose,
    )
    train_time_s = time.monotonic() - started
    # A user's stop can land mid-epoch: keep the weights of the best validated epoch, not half an epoch's.
    if reporting.stopped and best.weights is not None:
        trainer.set_weights(best.weights)

    final = keras.Sequential([model, keras.layers.Softmax()]) if loss == "sparse_logits" else model
    probabilities = _class_probabilities(final, x_test, loss)
    y_pred = probabilities.argmax(axis=1)
    confusion = confusion_matrix(y_test, y_pred, num_classes)
    test = {
        "accuracy": float(np.mean(y_pred == y_test)),
        "loss": _log_loss(probabilities, y_test),
        "samples": len(y_test),
    }
    card = {
        "dataset": spec.dataset,
        "recipe": spec.recipe,
        "provenance": recipe.provenance,
        "spec": spec.to_dict(),
        "labels": list(data.class_names),
        "input_shape": list(x_train.shape[1:]),
        **({"input": note} if (note := datasets.input_note(spec.dataset, spec.image_size)) else {}),
        "output": "sigmoid probability of the second label" if loss == "binary" else "class probabilities",
        # Trained on mirrored images too, so readers may average an image's and its mirror's probabilities.
        "test_time_mirror": bool(spec.augment and recipe.kind == "image" and recipe.augmentation.flip),
        "test": test,
        "parameters": int(model.count_params()),
        "epochs_done": len(history.epoch),
        "train_samples": len(x_fit),
        "train_time_s": round(train_time_s, 1),
        "stopped_early": reporting.stopped,
        "weights_from_epoch": best.epoch + 1 if reporting.stopped and best.weights is not None else len(history.epoch),
        "device": describe_device(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": spec.command(),
        "keras_version": keras.__version__,
    }
    model_path = save_model(final, card, Path(out_dir) / "model.keras")
    write_atomically(
        Path(out_dir) / "test_predictions.npz",
        lambda tmp: np.savez_compressed(tmp, y_true=y_test, y_pred=y_pred, confidence=probabilities.max(axis=1)),
    )
    return TrainResult(model_path, card, reporting.stopped, confusion)


def save_model(model: keras.Model, card: dict, model_path: Path) -> Path:
    """Save a model and its card (same name, .json) atomically."""
    model_path = Path(model_path)
    write_atomically(model_path, lambda tmp: model.save(tmp))
    write_text_atomically(model_path.with_suffix(".json"), json.dumps(card, indent=2) + "\n")
    return model_path


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> list[list[int]]:
    """Counts[true][predicted] as nested lists."""
    flat = np.bincount(np.asarray(y_true) * num_classes + np.asarray(y_pred), minlength=num_classes**2)
    return flat.reshape(num_classes, num_classes).tolist()


def _inputs(x: np.ndarray) -> np.ndarray:
    """Images: uint8 (N, H, W) → float32 (N, H, W, 1) in [0, 1]; tabular data passes through as float32."""
    if x.dtype == np.uint8 and x.ndim == 3:
        return (x.astype(np.float32) / 255.0)[..., None]
    return x.astype(np.float32)


def _split(x, y, spec: TrainSpec, x_test, y_test):
    """Hold out the last `validation_split` of a seeded shuffle, or validate on the test set when it is 0."""
    if not spec.validation_split:
        return x, y, (x_test, y_test)
    order = np.random.default_rng(spec.seed + 1).permutation(len(x))
    n_val = max(1, int(round(len(x) * spec.validation_split)))
    fit, val = order[n_val:], order[:n_val]
    return x[fit], y[fit], (x[val], y[val])


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None):
    """A tf.data pipeline of (x, y) batches, reshuffled each epoch when shuffle_seed is given.

    Keras builds the same from NumPy arrays, but with tf.data's autotuning on, and on this TensorFlow the
    autotuner's thread can hold up the end of each epoch for seconds (idle, waiting on its own timer). With it
    off, epochs follow each other at once. The arrays are captured, not embedded, so large datasets are fine.
    """
    import tensorflow as tf

    x_all, y_all = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    indices = tf.data.Dataset.range(len(x))
    if shuffle_seed is not None:
        indices = indices.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = indices.batch(batch_size).map(lambda i: (tf.gather(x_all, i), tf.gather(y_all, i))).prefetch(1)
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _targets(y: np.ndarray, loss: str, num_classes: int) -> np.ndarray:
    if loss == "categorical":
        return keras.utils.to_categorical(y, num_classes)
    return y.astype(np.float32) if loss == "binary" else y


def _loss(loss: str, label_smoothing: float) -> keras.losses.Loss:
    if loss == "categorical":
        return keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
    if loss == "binary":
        return keras.losses.BinaryCrossentropy()
    return keras.losses.SparseCategoricalCrossentropy(from_logits=loss == "sparse_logits")


def _start_model(path: Path, input_shape: tuple[int, ...], outputs: int) -> keras.Model:
    """Load a model to fine-tune in safe mode, checking that it fits the data."""
    model = keras.saving.load_model(path, compile=False, safe_mode=True)
    if tuple(model.input_shape[1:]) != tuple(input_shape) or model.output_shape[-1] != outputs:
        raise ValueError(
            f"The model {path.name} maps {model.input_shape[1:]} to {model.output_shape[-1]} outputs, but this "
            f"data needs {tuple(input_shape)} to {outputs}."
        )
    return model


def _optimizer(spec: TrainSpec, total_steps: int) -> keras.Optimizer:
    rate = spec.learning_rate or DEFAULT_LEARNING_RATES[spec.optimizer]
    if recipes.get_recipe(spec.recipe).schedule == "cosine":
        warmup = max(1, total_steps // 20)
        rate = keras.optimizers.schedules.CosineDecay(
            rate / 10, decay_steps=max(1, total_steps - warmup), warmup_target=rate, warmup_steps=warmup
        )
    optimizer = {
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }[spec.optimizer]
    return optimizer(learning_rate=rate)


def _with_augmentation(model: keras.Model, recipe: recipes.Recipe, spec: TrainSpec) -> keras.Model:
    """A training-only wrapper that augments inputs; the saved model stays the plain one."""
    return keras.Sequential(
        [keras.Input(shape=model.input_shape[1:]), *recipe.augmentation.build_layers(spec.seed), model]
    )


def _adapt_normalization(model: keras.Model, x: np.ndarray) -> None:
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            layer.adapt(x)


def _class_probabilities(model: keras.Model, x: np.ndarray, loss: str) -> np.ndarray:
    probabilities = model.predict(x, batch_size=512, verbose=0)
    if loss == "binary":
        return np.concatenate([1 - probabilities, probabilities], axis=1)
    return probabilities


def _log_loss(probabilities: np.ndarray, y: np.ndarray) -> float:
    picked = probabilities[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))
