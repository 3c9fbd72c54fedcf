"""Training: the fit → evaluate → save story of a TrainSpec, with its Keras optimizer, loss and model card."""

import os
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from core import calibration
from core.data import datasets
from core.data.loaders import NO_CLASS
from core.labels import MOTION_LETTERS, SIGN_LETTERS
from core.learn import not_a_digit, recipes
from core.learn.callbacks import BestWeights, EpochValidation, PredictionProgress, Reporter, ReportingCallback
from core.learn.inputs import as_inputs, as_targets, batches, split_validation
from core.learn.spec import DEFAULT_LEARNING_RATES, TrainSpec
from core.predictor import Predictor, save_card
from core.storage import write_atomically

# After a user's Stop the model is tested (and its confidence calibrated) on a seeded sample of this many images, not
# on all of them: a whole test set took seconds (letters-cnn on Sign MNIST: ~8 s from Stop to stopped on 2 cores,
# and several times that beside other work) while the user waited. 2,000 images give the accuracy to about ±1.3
# points (95%); the run record and History say that the test was a sample and why.
STOPPED_TEST_SAMPLES = 2000
PREDICT_BATCH = 512
# A digits model trained on ink that is no digit (core.data.mnist_other) gets its "not a digit" threshold from this
# many of its validation digits drawn on the canvas (core.learn.not_a_digit): ~20 s on 2 cores; fewer after a Stop.
NOT_A_DIGIT_DIGITS, STOPPED_NOT_A_DIGIT_DIGITS = 2000, 500


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced."""

    model_path: Path
    card: dict
    stopped: bool
    confusion: list[list[int]]


@dataclass(frozen=True)
class _Data:
    """A dataset's arrays as the model reads them: float32 inputs, int64 class indices."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    train_groups: np.ndarray | None  # see Dataset.train_groups
    about: str  # see Dataset.about


@dataclass(frozen=True)
class _Fitted:
    """How model.fit went: what the model card reports about training."""

    epochs_done: int  # complete epochs
    train_samples: int
    train_time_s: float
    stopped: bool
    weights_from_epoch: int  # 1-based; the epoch a stop cut short when the model keeps the weights it had then
    # Where a stop cut an epoch short: {"epoch": 1-based, "batches_done": n, "batches": per epoch}; None otherwise.
    stopped_in_epoch: dict | None = None

    def card_fields(self) -> dict:
        """The model card's entries about training, in the card's order."""
        return {
            "epochs_done": self.epochs_done,
            **({"stopped_in_epoch": self.stopped_in_epoch} if self.stopped_in_epoch else {}),
            "train_samples": self.train_samples,
            "train_time_s": round(self.train_time_s, 1),
            "stopped_early": self.stopped,
            "weights_from_epoch": self.weights_from_epoch,
        }


@dataclass(frozen=True)
class _Evaluation:
    """The final model on the test set."""

    probabilities: np.ndarray  # (N, classes)
    y_pred: np.ndarray
    confusion: list[list[int]]
    test: dict  # accuracy, loss, samples (and test_set_size), calibration errors
    temperature: float  # divides the model's log-probabilities (1.0: not calibrated)
    index: np.ndarray  # (N,) the rows of the test set tested: all of them, or a sample after a stop


def train(spec: TrainSpec, reporter: Reporter, out_dir: Path, verbose: int = 0) -> TrainResult:
    """Train `spec` (resolved), reporting to `reporter`; write model.keras, model.json and test predictions."""
    spec = spec.resolved()
    recipe = recipes.get_recipe(spec.recipe)
    keras.utils.set_random_seed(spec.seed)
    data = _load_data(spec)
    # A saved model already ends in a softmax, so fine-tuning a logits recipe trains on probabilities.
    loss = "sparse" if spec.init_model and recipe.loss == "sparse_logits" else recipe.loss
    model = _build_or_load_model(spec, recipe, data, loss)
    x_fit, y_fit, validation = split_validation(data.x_train, data.y_train, spec, data.train_groups)
    fitted = _fit(model, spec, recipe, (x_fit, y_fit), validation, len(data.class_names), loss, reporter, verbose)
    final = keras.Sequential([model, keras.layers.Softmax()]) if loss == "sparse_logits" else model
    # After a stop the user waits: calibrate and test on samples (seeded), and say what is being done meanwhile.
    cap = STOPPED_TEST_SAMPLES if fitted.stopped else None
    if validation is not None:
        reporter.on_phase(f"calibrating the confidence on {min(len(validation[1]), cap or np.inf):,} validation images")
    temperature = 1.0 if validation is None else _fit_temperature(final, _sample(validation, cap, spec.seed), loss)
    evaluation = _evaluate(final, data, loss, temperature, _test_rows(len(data.y_test), cap, spec.seed), reporter)
    reporter.on_phase("saving the model")
    card = _card(spec, recipe, data, model, loss, fitted, evaluation)
    model_path = save_model(final, card, Path(out_dir) / "model.keras")
    if validation is not None and (data.y_train == NO_CLASS).any() and datasets.task_of(spec.dataset) == "digits":
        cap = STOPPED_NOT_A_DIGIT_DIGITS if fitted.stopped else NOT_A_DIGIT_DIGITS
        card |= _not_a_digit_fields(model_path, _sample(validation, cap, spec.seed), spec.seed, reporter)
        save_card(model_path, card)
    _save_predictions(Path(out_dir) / "test_predictions.npz", data.y_test, evaluation)
    return TrainResult(model_path, card, fitted.stopped, evaluation.confusion)


def _load_data(spec: TrainSpec) -> _Data:
    """Load the spec's dataset as model inputs, keeping a seeded random `limit` of the training samples."""
    dataset = datasets.load_dataset(spec.dataset, image_size=spec.image_size or 28)  # landmarks, tables: no size
    x_train, y_train, groups = as_inputs(dataset.x_train), dataset.y_train, dataset.train_groups
    if spec.limit:
        order = np.random.default_rng(spec.seed).permutation(len(x_train))[: spec.limit]
        x_train, y_train = x_train[order], y_train[order]
        groups = None if groups is None else groups[order]
    x_test = as_inputs(dataset.x_test)
    return _Data(x_train, y_train, x_test, dataset.y_test, dataset.class_names, groups, dataset.about)


def _build_or_load_model(spec: TrainSpec, recipe: recipes.Recipe, data: _Data, loss: str) -> keras.Model:
    """The recipe's fresh model (its Normalization adapted to the data), or the model to fine-tune."""
    input_shape, num_classes = data.x_train.shape[1:], len(data.class_names)
    if spec.init_model:
        return _start_model(Path(spec.init_model), input_shape, 1 if loss == "binary" else num_classes)
    model = recipe.build(input_shape, num_classes)
    _adapt_normalization(model, data.x_train)
    return model


def _fit(
    model: keras.Model,
    spec: TrainSpec,
    recipe: recipes.Recipe,
    fit_data: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None,
    num_classes: int,
    loss: str,
    reporter: Reporter,
    verbose: int,
) -> _Fitted:
    """Compile and fit `model` (wrapped in augmentation when asked), reporting as it goes; returns a _Fitted."""
    trainer = _with_augmentation(model, recipe, spec) if spec.augment and recipe.kind == "image" else model
    x_fit, y_fit = fit_data
    steps_per_epoch = int(np.ceil(len(x_fit) / spec.batch_size))
    _compile(trainer, spec, recipe, loss, steps_per_epoch * spec.epochs)
    reporting, best = ReportingCallback(reporter, spec.epochs, steps_per_epoch), BestWeights()
    # Validation runs in a callback rather than through fit's validation_data, so that a Stop skips it.
    validating = (
        [] if validation is None else [EpochValidation(_targets(validation, loss, num_classes, 512), reporting)]
    )
    started = time.monotonic()
    history = trainer.fit(
        batches(x_fit, as_targets(y_fit, loss, num_classes), spec.batch_size, shuffle_seed=spec.seed),
        epochs=spec.epochs,
        shuffle=False,  # `batches` shuffles, afresh each epoch.
        callbacks=[*validating, reporting, best, *_early_stopping(spec)],
        verbose=verbose,
    )
    train_time_s = time.monotonic() - started
    epochs_done = len(history.epoch) - reporting.cut_short  # Keras counts the epoch a stop cut short.
    cut = {"epoch": epochs_done + 1, "batches_done": reporting.batches_done, "batches": steps_per_epoch}
    weights_from_epoch = _restore_after_stop(trainer, reporting, best, len(history.epoch))
    stopped_in = cut if reporting.cut_short else None
    return _Fitted(epochs_done, len(x_fit), train_time_s, reporting.stopped, weights_from_epoch, stopped_in)


def _targets(pair: tuple[np.ndarray, np.ndarray], loss: str, num_classes: int, batch_size: int) -> tf.data.Dataset:
    """Batches of (x, y) with y in the form the loss wants."""
    x, y = pair
    return batches(x, as_targets(y, loss, num_classes), batch_size)


def _restore_after_stop(trainer: keras.Model, reporting: ReportingCallback, best: BestWeights, epochs_run: int) -> int:
    """After a user's stop, go back to the best validated epoch's weights; returns the (1-based) epoch kept.

    `epochs_run` counts the epoch a stop cut short: without a validated epoch to go back to, the model keeps the
    weights it had when stopped, in that epoch.
    """
    # A user's stop can land mid-epoch: keep the weights of the best validated epoch, not half an epoch's.
    if reporting.stopped and best.weights is not None:
        trainer.set_weights(best.weights)
        return best.epoch + 1
    return epochs_run


def _compile(trainer: keras.Model, spec: TrainSpec, recipe: recipes.Recipe, loss: str, total_steps: int) -> None:
    """Compile with the spec's optimizer and schedule, the recipe's loss, and accuracy."""
    trainer.compile(
        optimizer=_optimizer(spec, total_steps),
        loss=_loss(loss, recipe.label_smoothing),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy") if loss == "binary" else "accuracy"],
    )


def _early_stopping(spec: TrainSpec) -> list[keras.callbacks.Callback]:
    """Keras' early stopping on val_loss when the spec has a patience, else nothing."""
    if not spec.patience:
        return []
    return [keras.callbacks.EarlyStopping(monitor="val_loss", patience=spec.patience, restore_best_weights=True)]


def _fit_temperature(final: keras.Model, validation: tuple[np.ndarray, np.ndarray], loss: str) -> float:
    """The temperature that calibrates the model's confidence on the validation split (never on the test set)."""
    x_val, y_val = validation
    return calibration.fit_temperature(_class_probabilities(final, x_val, loss), y_val)


def _evaluate(
    final: keras.Model, data: _Data, loss: str, temperature: float, rows: np.ndarray, reporter: Reporter
) -> _Evaluation:
    """Predict the test set's `rows` with the final model, calibrated: probabilities, predictions, confusion, test
    figures; the progress goes to the reporter.

    The test figures include the expected calibration error before and after the temperature.
    """
    y_test, sampled = data.y_test[rows], len(rows) < len(data.y_test)
    of = f"a sample of {len(rows):,} of the {len(data.y_test):,}" if sampled else f"the {len(rows):,}"
    what = f"testing the model on {of} test images"
    progress = PredictionProgress(reporter, what, len(rows), PREDICT_BATCH)
    raw = _class_probabilities(final, data.x_test[rows], loss, progress)
    probabilities = calibration.apply_temperature(raw, temperature)
    y_pred = probabilities.argmax(axis=1)
    confusion = confusion_matrix(y_test, y_pred, len(data.class_names))
    test = {
        "accuracy": float(np.mean(y_pred == y_test)),
        "loss": calibration.log_loss(probabilities, y_test),
        "samples": len(rows),
        "test_set_size": len(data.y_test),
        **({"sampled_because": "stopped"} if sampled else {}),
        "calibration_error": round(calibration.expected_calibration_error(probabilities, y_test), 4),
        "calibration_error_uncalibrated": round(calibration.expected_calibration_error(raw, y_test), 4),
    }
    return _Evaluation(probabilities, y_pred, confusion, test, temperature, rows)


def _test_rows(size: int, cap: int | None, seed: int) -> np.ndarray:
    """The test set's rows to test: all of them, or a seeded random `cap` of them in their order."""
    if cap is None or size <= cap:
        return np.arange(size)
    return np.sort(np.random.default_rng(seed).permutation(size)[:cap])


def _sample(pair: tuple[np.ndarray, np.ndarray], cap: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random `cap` of an (x, y) pair's rows, or all of them."""
    rows = _test_rows(len(pair[1]), cap, seed)
    return pair[0][rows], pair[1][rows]


# A letters model names the 24 still letters; the card says where the other two of A–Z come from.
MOTION_LETTERS_CARD = {
    "letters": list(MOTION_LETTERS),
    "read_by": "core.vision.motion_letters, from the hand's motion in live video and `python -m core.predict letters "
    "--video` (the handshape from the landmarks, then the fingertip's path); not by this model, which reads the "
    "other 24 of A–Z from a still hand",
}


def _not_a_digit_fields(
    model_path: Path, validation: tuple[np.ndarray, np.ndarray], seed: int, reporter: Reporter
) -> dict:
    """The card's "not a digit" threshold, fitted on validation digits drawn on the canvas as the Draw page reads."""
    count = len(validation[1])
    reporter.on_phase(f"fitting the not-a-digit threshold on {count:,} validation digits drawn on the canvas")
    digits28 = np.round(255 * validation[0][..., 0]).astype(np.uint8)
    scores = not_a_digit.canvas_digit_scores(Predictor(model_path), digits28, np.random.default_rng(seed))
    return not_a_digit.card_fields(scores, f"{count:,} of the run's validation digits drawn on the canvas")


def _card(
    spec: TrainSpec,
    recipe: recipes.Recipe,
    data: _Data,
    model: keras.Model,
    loss: str,
    fitted: _Fitted,
    evaluation: _Evaluation,
) -> dict:
    """The model card saved beside the model: what it reads, how it was trained and how it scored."""
    note = datasets.input_note(spec.dataset, spec.image_size)
    return {
        "dataset": spec.dataset,
        "recipe": spec.recipe,
        "provenance": recipe.provenance,
        "spec": spec.to_dict(),
        "labels": list(data.class_names),
        **({"motion_letters": MOTION_LETTERS_CARD} if tuple(data.class_names) == SIGN_LETTERS else {}),
        "input_shape": list(data.x_train.shape[1:]),
        **({"input": note} if note else {}),
        **({"data": data.about} if data.about else {}),
        "output": "sigmoid probability of the second label" if loss == "binary" else "class probabilities",
        # Trained on mirrored images too, so readers may average an image's and its mirror's probabilities.
        "test_time_mirror": bool(spec.augment and recipe.kind == "image" and recipe.augmentation.flip),
        # Readers divide the log-probabilities by this (fitted on the validation split) so that confidence means
        # what it says; 1.0 when the run held back no validation split to fit it on.
        "temperature": round(evaluation.temperature, 4),
        "test": evaluation.test,
        "parameters": int(model.count_params()),
        **fitted.card_fields(),
        "device": describe_device(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": spec.command(),
        "keras_version": keras.__version__,
    }


def _save_predictions(path: Path, y_test: np.ndarray, evaluation: _Evaluation) -> None:
    """Write the tested rows of the test set with their true labels, predictions and confidences, for History."""
    confidence = evaluation.probabilities.max(axis=1)
    rows = evaluation.index
    write_atomically(
        path,
        lambda tmp: np.savez_compressed(
            tmp, index=rows, y_true=y_test[rows], y_pred=evaluation.y_pred, confidence=confidence
        ),
    )


def describe_device() -> str:
    """The device TensorFlow trains on, in words: the GPU's name when there is one, else the CPU."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return f"CPU ({os.cpu_count()} cores)"
    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    return f"GPU: {name}" + (f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else "")


def save_model(model: keras.Model, card: dict, model_path: Path) -> Path:
    """Save a model and its card (same name, .json) atomically."""
    model_path = Path(model_path)
    write_atomically(model_path, lambda tmp: model.save(tmp))
    save_card(model_path, card)
    return model_path


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> list[list[int]]:
    """Counts[true][predicted] as nested lists."""
    flat = np.bincount(np.asarray(y_true) * num_classes + np.asarray(y_pred), minlength=num_classes**2)
    return flat.reshape(num_classes, num_classes).tolist()


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


def _class_probabilities(
    model: keras.Model, x: np.ndarray, loss: str, progress: keras.callbacks.Callback | None = None
) -> np.ndarray:
    probabilities = model.predict(x, batch_size=PREDICT_BATCH, verbose=0, callbacks=[progress] if progress else None)
    if loss == "binary":
        return np.concatenate([1 - probabilities, probabilities], axis=1)
    return probabilities
