"""Training hooks: the Reporter a run reports to, and the Keras callbacks that feed it and keep the best weights."""

from typing import Protocol

import keras


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


def _floats(logs: dict | None) -> dict:
    return {key: float(value) for key, value in (logs or {}).items()}
