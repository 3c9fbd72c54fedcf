"""Training: spec validation, a tiny real run through the store, stop requests and failures."""

import json

import keras
import numpy as np
import pytest

from core.data.loaders import NO_CLASS, Dataset
from core.labels import DIGITS
from core.learn import fit
from core.learn.fit import confusion_matrix
from core.learn.inputs import batches, split_validation
from core.learn.runs import RunStore
from core.learn.spec import TrainSpec
from core.learn.trainer import StoreReporter, execute_run
from core.paths import run_dir
from core.predictor import Predictor
from core.vision import reading
from core.vision.reading import NOT_A_DIGIT_CARD_KEY

TINY = {"recipe": "mnist-dense-512", "dataset": "mnist", "epochs": 1, "batch_size": 16}


def test_resolved_spec_takes_recipe_defaults():
    spec = TrainSpec(recipe="mnist-dense-64-32").resolved()
    assert (spec.dataset, spec.epochs, spec.batch_size, spec.validation_split) == ("mnist", 30, 128, 0.3)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 0}, "The epochs must be between 1 and 1000, not 0."),
        ({"batch_size": 10_000}, "The batch size must be between 1 and 4096, not 10000."),
        ({"learning_rate": -0.1}, "Learning rate must be above 0 and at most 1, not -0.1."),
        ({"validation_split": 0.9}, "The validation split must be between 0.0 and 0.5, not 0.9."),
        ({"optimizer": "adagrad"}, "Unknown optimizer 'adagrad'. Choose one of: adam, adamw, rmsprop, sgd."),
        ({"dataset": "pima"}, "Recipe mnist-dense-512 is for image data, but pima is tabular data."),
        (
            {"recipe": "letters-cnn"},
            "MNIST holds 28×28 images only, and recipe letters-cnn is set to read 64×64: set the image size to 28",
        ),
        ({"dataset": "cifar"}, "Unknown dataset 'cifar'"),
        ({"recipe": "nope"}, "Unknown recipe 'nope'"),
    ],
)
def test_invalid_spec_is_refused_with_a_clear_message(change, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.").replace("(", r"\(")):
        TrainSpec(**(TINY | change)).resolved()


def test_spec_round_trips_through_dict_and_command():
    spec = TrainSpec(recipe="digits-cnn", epochs=3, augment=False).resolved()
    assert TrainSpec.from_dict(spec.to_dict()) == spec
    assert "--epochs 3" in spec.command()
    assert "--no-augment" in spec.command()
    assert "gpu" not in spec.command()  # Not asked for: no flag.
    on_gpu = TrainSpec(recipe="digits-cnn", gpu=True).resolved()
    assert TrainSpec.from_dict(on_gpu.to_dict()) == on_gpu
    assert on_gpu.command().endswith(" --gpu")
    with pytest.raises(ValueError, match="Unknown training settings: colour"):
        TrainSpec.from_dict({"colour": "red"})


def test_confusion_matrix_counts_true_by_predicted():
    assert confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3) == [
        [1, 1, 0],
        [0, 1, 0],
        [0, 1, 0],
    ]


def test_one_epoch_run_records_metrics_model_and_card(tiny_mnist_dir):
    store = RunStore()
    run_id = store.create_run(TrainSpec(**TINY | {"validation_split": 0.25}).resolved().to_dict(), "tiny")
    assert execute_run(store, run_id) == 0
    run = store.get_run(run_id)
    assert run.status == "completed"
    assert run.epochs_done == 1
    assert len(store.batch_metrics(run_id)) == 3  # 48 of the 64 samples (16 held out to validate) / batch 16
    assert store.epoch_metrics(run_id)[0]["val_accuracy"] is not None
    assert 0.0 <= run.test_accuracy <= 1.0
    assert sum(map(sum, run.confusion)) == 32
    card = json.loads((run_dir(run_id) / "model.json").read_text())
    assert card["labels"] == [str(d) for d in range(10)]
    assert card["command"].startswith("python -m core.train --recipe mnist-dense-512 --dataset mnist")
    assert card["test"]["samples"] == 32
    assert card["parameters"] > 400_000
    assert card["test_time_mirror"] is False  # no mirrored training images: readers must not mirror
    assert NOT_A_DIGIT_CARD_KEY not in card  # it never learnt what is no digit
    assert 0.05 <= card["temperature"] <= 10  # fitted on the validation split
    assert 0 <= card["test"]["calibration_error"] <= 1
    assert 0 <= card["test"]["calibration_error_uncalibrated"] <= 1
    model = keras.saving.load_model(run.model_path, safe_mode=True)
    assert model.output_shape == (None, 10)


def test_a_run_without_a_validation_split_never_validates_on_its_test_set(tiny_mnist_dir):
    # Issue #17: with a split of 0 the test set was the validation set, which early stopping and the best epoch's
    # weights could see. Now there is no validation at all: no curve, no calibration.
    store = RunStore()
    run_id = store.create_run(TrainSpec(**TINY | {"validation_split": 0.0, "epochs": 2}).resolved().to_dict(), "t")
    assert execute_run(store, run_id) == 0
    assert len(store.batch_metrics(run_id)) == 8  # every one of the 64 samples trains, 2 epochs
    assert [row["val_loss"] for row in store.epoch_metrics(run_id)] == [None, None]
    assert [row["val_accuracy"] for row in store.epoch_metrics(run_id)] == [None, None]
    card = json.loads((run_dir(run_id) / "model.json").read_text())
    assert card["temperature"] == 1.0
    assert card["weights_from_epoch"] == 2
    assert card["test"]["calibration_error"] == card["test"]["calibration_error_uncalibrated"]


def test_early_stopping_without_a_validation_split_is_refused():
    with pytest.raises(ValueError, match="Early stopping needs a validation split to watch"):
        TrainSpec(**TINY | {"validation_split": 0.0, "patience": 3}).resolved().validate()


def test_logits_recipe_saves_a_model_that_outputs_probabilities(tiny_mnist_dir):
    store = RunStore()
    run_id = store.create_run(TrainSpec(**TINY | {"recipe": "mnist-tf-beginner"}).resolved().to_dict(), "t")
    assert execute_run(store, run_id) == 0
    model = keras.saving.load_model(store.get_run(run_id).model_path, safe_mode=True)
    sums = np.asarray(model(np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32))).sum(axis=1)
    np.testing.assert_allclose(sums, 1.0, rtol=1e-5)


def test_stop_request_ends_the_run_after_the_current_batch(tiny_mnist_dir, monkeypatch):
    store = RunStore()
    run_id = store.create_run(TrainSpec(**TINY | {"epochs": 3}).resolved().to_dict(), "stop me")

    def on_batch(self, epoch, batch, logs):
        original(self, epoch, batch, logs)
        if batch == 1:
            store.request_stop(run_id)

    original = StoreReporter.on_batch
    monkeypatch.setattr(StoreReporter, "on_batch", on_batch)
    assert execute_run(store, run_id) == 0
    run = store.get_run(run_id)
    assert run.status == "stopped"
    assert run.model_path
    assert [row["step"] for row in store.batch_metrics(run_id)] == [0, 1]


def test_a_stop_mid_epoch_tests_a_sample_says_so_and_counts_only_complete_epochs(tiny_mnist_dir, monkeypatch):
    # Issue #32: after Stop the page waited ~25 s for a whole validation pass and test set, and the part-epoch a
    # stop ended was counted and drawn as a complete epoch.
    monkeypatch.setattr(fit, "STOPPED_TEST_SAMPLES", 10)
    store = RunStore()
    spec = TrainSpec(**TINY | {"epochs": 3, "validation_split": 0.25}).resolved()  # 48 to fit: 3 batches an epoch
    run_id = store.create_run(spec.to_dict(), "stop me")
    phases, validations = [], []

    def on_batch(self, epoch, batch, logs):
        report_batch(self, epoch, batch, logs)
        if (epoch, batch) == (1, 0):
            store.request_stop(run_id)

    def on_phase(self, text):
        phases.append(text)
        assert store.get_run(run_id).status == "running"
        report_phase(self, text)

    report_batch, report_phase = StoreReporter.on_batch, StoreReporter.on_phase
    monkeypatch.setattr(StoreReporter, "on_batch", on_batch)
    monkeypatch.setattr(StoreReporter, "on_phase", on_phase)
    evaluate = keras.Model.evaluate
    monkeypatch.setattr(keras.Model, "evaluate", lambda *a, **k: validations.append(1) or evaluate(*a, **k))
    assert execute_run(store, run_id) == 0
    run = store.get_run(run_id)
    assert (run.status, run.epochs_done, run.phase) == ("stopped", 1, None)
    assert [row["epoch"] for row in store.epoch_metrics(run_id)] == [0]  # the cut epoch is no epoch
    assert store.epoch_metrics(run_id)[0]["val_loss"] is not None
    assert len(validations) == 1  # the first epoch's end; the cut one was not validated
    assert run.card["stopped_in_epoch"] == {"epoch": 2, "batches_done": 1, "batches": 3}
    assert run.card["weights_from_epoch"] == 1  # the validated epoch's weights, not the cut one's
    assert (run.card["test"]["samples"], run.card["test"]["test_set_size"]) == (10, 32)
    assert run.card["test"]["sampled_because"] == "stopped"
    assert sum(map(sum, run.confusion)) == 10
    assert phases[0] == "calibrating the confidence on 10 validation images"
    assert "testing the model on a sample of 10 of the 32 test images: 10 done" in phases
    assert phases[-1] == "saving the model"
    with np.load(run_dir(run_id) / "test_predictions.npz") as saved:
        assert len(saved["index"]) == 10
        assert len(set(saved["index"].tolist())) == 10
        assert saved["index"].max() < 32


def test_a_run_that_ends_tests_the_whole_test_set(tiny_mnist_dir, monkeypatch):
    monkeypatch.setattr(fit, "STOPPED_TEST_SAMPLES", 10)
    store = RunStore()
    run_id = store.create_run(TrainSpec(**TINY).resolved().to_dict(), "whole")
    assert execute_run(store, run_id) == 0
    test = store.get_run(run_id).card["test"]
    assert (test["samples"], test["test_set_size"]) == (32, 32)
    assert "sampled_because" not in test


def test_a_run_that_learns_what_is_no_digit_fits_its_not_a_digit_threshold(tiny_mnist_dir, monkeypatch):
    # Issue #32: a run on mnist_other (what the Draw page's "It's not a digit" feeds) had no threshold in its card, so
    # the Draw page never said "not a digit" with it.
    rng = np.random.default_rng(0)
    strokes = np.zeros((48, 28, 28), np.uint8)
    for image, column in zip(strokes, rng.integers(6, 20, 48), strict=True):
        image[4:24, column : column + 3] = 255  # ink the canvas drawing can find
    y = np.concatenate([np.arange(32) % 10, np.full(16, NO_CLASS)])
    tiny = Dataset("mnist_other", strokes, y, strokes[:8], np.arange(8), DIGITS)
    monkeypatch.setattr(fit.datasets, "load_dataset", lambda name, image_size: tiny)
    monkeypatch.setattr(fit, "NOT_A_DIGIT_DIGITS", 6)
    phases = []
    monkeypatch.setattr(StoreReporter, "on_phase", lambda self, text: phases.append(text))
    store = RunStore()
    spec = TrainSpec(**TINY | {"dataset": "mnist_other", "validation_split": 0.25}).resolved()
    run_id = store.create_run(spec.to_dict(), "not a digit")

    assert execute_run(store, run_id) == 0

    card = json.loads((run_dir(run_id) / "model.json").read_text())
    assert 0 < card[NOT_A_DIGIT_CARD_KEY] <= 1
    assert card["not_a_digit"]["fitted_on"].startswith("6 of the run's validation digits drawn on the canvas")
    assert "fitting the not-a-digit threshold on 6 validation digits drawn on the canvas" in phases
    assert reading.not_a_digit_threshold(Predictor(run_dir(run_id) / "model.keras")) == card[NOT_A_DIGIT_CARD_KEY]


def test_missing_dataset_marks_the_run_failed_with_the_message(tmp_path, monkeypatch):
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setattr("keras.datasets.mnist.load_data", _offline)
    store = RunStore()
    run_id = store.create_run(TrainSpec(**TINY).resolved().to_dict(), "no data")
    assert execute_run(store, run_id) == 2
    run = store.get_run(run_id)
    assert run.status == "failed"
    assert "mnist.npz" in run.error


def test_error_inside_training_marks_the_run_failed(tiny_mnist_dir, monkeypatch):
    def explode(self, epoch, batch, logs):
        raise RuntimeError("GPU on fire")

    monkeypatch.setattr(StoreReporter, "on_batch", explode)
    store = RunStore()
    run_id = store.create_run(TrainSpec(**TINY).resolved().to_dict(), "boom")
    assert execute_run(store, run_id) == 1  # the exit code of a crash; its traceback went to the run's log
    run = store.get_run(run_id)
    assert run.status == "failed"
    assert run.error == "RuntimeError: GPU on fire"


def _offline(*args, **kwargs):
    raise OSError("network is unreachable")


def test_batches_cover_every_sample_each_epoch_in_a_new_order():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    dataset = batches(x, y, batch_size=4, shuffle_seed=0)
    epochs = [np.concatenate([batch_y.numpy() for _, batch_y in dataset]) for _ in range(2)]
    assert [len(batch_y) for _, batch_y in dataset] == [4, 4, 2]
    assert all(sorted(order) == list(range(10)) for order in epochs)
    assert not np.array_equal(epochs[0], epochs[1])
    assert all(np.array_equal(batch_x.numpy()[:, 0], batch_y.numpy()) for batch_x, batch_y in dataset)


def test_batches_without_a_seed_keep_the_order():
    x, y = np.zeros((5, 2), np.float32), np.arange(5)
    assert np.concatenate([batch_y.numpy() for _, batch_y in batches(x, y, batch_size=2)]).tolist() == [0, 1, 2, 3, 4]


def test_the_validation_split_keeps_copies_of_one_sample_on_one_side():
    # 100 samples, the last 20 each repeated 10 times (as saved signs are mixed into the letters data).
    groups = np.concatenate([np.arange(80), np.repeat(np.arange(80, 100), 10)])
    x, y = groups.astype(np.float32).reshape(-1, 1), groups % 3
    spec = TrainSpec(recipe="digits-dense", dataset="mnist", validation_split=0.2, seed=3)
    x_fit, y_fit, (x_val, y_val) = split_validation(x, y, spec, groups)
    assert not set(x_fit[:, 0]) & set(x_val[:, 0])  # no sample on both sides
    assert sorted(np.concatenate([x_fit, x_val])[:, 0].tolist()) == sorted(x[:, 0].tolist())
    assert 56 <= len(x_val) < 56 + 10  # a fifth of the 280 rows, rounded up to the end of a group
    assert np.array_equal(y_val, x_val[:, 0].astype(int) % 3)
    # Without groups, the same split scatters copies on both sides.
    x_fit, _, (x_val, _) = split_validation(x, y, spec)
    assert set(x_fit[:, 0]) & set(x_val[:, 0])
