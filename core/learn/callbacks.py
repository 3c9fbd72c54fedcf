"""Training hooks: the Reporter a run reports to, and the Keras callbacks that feed it, validate each epoch and keep
the best weights."""

from typing import Protocol

import keras
import tensorflow as tf


class Reporter(Protocol):
    """Receives progress from a training run, and may ask it to stop."""

    def on_start(self, total_epochs: int, steps_per_epoch: int) -> None: ...

    def on_batch(self, epoch: int, batch: int, logs: dict) -> None: ...

    def on_epoch(self, epoch: int, logs: dict) -> None: ...

    def on_phase(self, text: str) -> None:
        """What the run does after training (testing, saving), in words with its progress."""
        ...

    def should_stop(self) -> bool: ...


class ReportingCallback(keras.callbacks.Callback):
    """Forwards Keras' batch and epoch logs to a Reporter and stops training at the end of a batch on request.

    An epoch that a stop cut short is not reported as an epoch: its batches are reported, and `cut_short` says so.
    """

    def __init__(self, reporter: Reporter, total_epochs: int, steps_per_epoch: int):
        super().__init__()
        self.reporter = reporter
        self.total_epochs = total_epochs
        self.steps_per_epoch = steps_per_epoch
        self.epoch = 0
        self.batches_done = 0  # in the current epoch
        self.stopped = False

    @property
    def cut_short(self) -> bool:
        """Whether a stop ended the current epoch before its last batch."""
        return self.stopped and self.batches_done < self.steps_per_epoch

    def on_train_begin(self, logs=None):
        self.reporter.on_start(self.total_epochs, self.steps_per_epoch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.batches_done = epoch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches_done = batch + 1
        self.reporter.on_batch(self.epoch, batch, _floats(logs))
        if self.reporter.should_stop():
            self.stopped = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if self.cut_short:
            return  # Keras closes the epoch it stopped in; its figures cover part of it only, so it is no epoch.
        logs = _floats(logs)
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.reporter.on_epoch(epoch, logs)


class EpochValidation(keras.callbacks.Callback):
    """Validates at the end of each epoch, as model.fit's validation_data does, except after a stop cut it short.

    Keras validates the epoch it stopped in too: on 2 cores that kept a user's Stop waiting seconds for figures of a
    part-epoch that are not reported anyway. Put it before the callbacks that read val_loss: they see its figures.
    """

    def __init__(self, validation: tf.data.Dataset, reporting: ReportingCallback):
        super().__init__()
        self.validation = validation
        self.reporting = reporting

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self.reporting.cut_short:
            return
        figures = self.model.evaluate(self.validation, verbose=0, return_dict=True)
        logs.update({f"val_{name}": float(value) for name, value in figures.items()})


class PredictionProgress(keras.callbacks.Callback):
    """Reports model.predict's progress as a phase: "<what>: 1,024 done"."""

    def __init__(self, reporter: Reporter, what: str, samples: int, batch_size: int):
        super().__init__()
        self.reporter, self.what, self.samples, self.batch_size = reporter, what, samples, batch_size

    def on_predict_begin(self, logs=None):
        self.reporter.on_phase(f"{self.what}: 0 done")

    def on_predict_batch_end(self, batch, logs=None):
        done = min(self.samples, (batch + 1) * self.batch_size)
        self.reporter.on_phase(f"{self.what}: {done:,} done")


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


def _floats(logs: dict | None) -> dict:
    return {key: float(value) for key, value in (logs or {}).items()}
