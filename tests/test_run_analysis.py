"""History's queries: tables, filters, differing settings, smoothing, per-class metrics, mistakes, CSV."""

import io

import numpy as np
import pandas as pd
import pytest

from core.learn import run_analysis
from core.learn.runs import RunStore


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs.db")


def _run(store, name, status="completed", **spec):
    run_id = store.create_run({"dataset": "mnist", "recipe": "digits-cnn", "epochs": 3, "seed": 0} | spec, name)
    store.mark_started(run_id, pid=1, total_epochs=3, steps_per_epoch=2)
    for epoch, val in enumerate([0.9, 0.95]):
        store.add_epoch_metrics(run_id, {"epoch": epoch, "loss": 1.0, "val_accuracy": val, "time_s": epoch})
    store.mark_finished(run_id, status)
    return store.get_run(run_id)


def test_table_has_a_row_per_run_with_best_validation_accuracy(store):
    runs = [_run(store, "a"), _run(store, "b", epochs=5)]
    table = run_analysis.runs_table(runs, store)
    assert list(table["name"]) == ["a", "b"]
    assert list(table["best val accuracy"]) == [0.95, 0.95]
    assert list(table["epochs"]) == [3, 5]
    assert list(table["epochs done"]) == ["2", "2"]


def test_a_run_stopped_mid_epoch_shows_the_part_epoch_and_no_figure_of_it(store):
    # Issue #32: a run stopped 37% into its second epoch read "epochs done 2", with the part-epoch's figures as if
    # complete. Runs recorded before the fix counted the part-epoch; the batches tell what really happened.
    run_id = store.create_run({"dataset": "mnist", "recipe": "digits-cnn", "epochs": 3}, "stopped")
    store.mark_started(run_id, pid=1, total_epochs=3, steps_per_epoch=100)
    rows = [{"step": s, "epoch": s // 100, "batch": s % 100, "loss": 1.0, "time_s": s} for s in range(137)]
    store.add_batch_metrics(run_id, rows)
    for epoch, val in enumerate([0.9, 0.97]):  # the old trainer's record of the part-epoch: 0.97
        store.add_epoch_metrics(run_id, {"epoch": epoch, "loss": 1.0, "val_accuracy": val, "time_s": epoch})
    store.update_run(run_id, card={"test": {"samples": 2000, "test_set_size": 10000}}, test_accuracy=0.9)
    store.mark_finished(run_id, "stopped")
    run = store.get_run(run_id)
    table = run_analysis.runs_table([run], store)
    assert table["epochs done"].tolist() == ["1 + 37% of epoch 2"]
    assert table["best val accuracy"].tolist() == [0.9]  # of the complete epoch only
    assert table["tested on"].tolist() == ["2,000 of 10,000 (stopped)"]
    assert run_analysis.cut_epoch(run, store.last_batch(run_id)) == run_analysis.CutEpoch(2, 0.37)


def test_a_run_cancelled_before_training_reads_cancelled_not_stopped(store):
    cancelled = store.create_run({"dataset": "mnist", "recipe": "digits-cnn"}, "cancelled")
    store.request_stop(cancelled)
    stopped = _run(store, "stopped", status="stopped")
    runs = [store.get_run(cancelled), stopped]
    assert run_analysis.runs_table(runs, store)["status"].tolist() == ["cancelled", "stopped"]
    assert [run.name for run in run_analysis.filter_runs(runs, statuses=["cancelled"])] == ["cancelled"]


def test_the_newest_run_with_results_is_the_one_history_opens(store):
    older = _run(store, "trained")
    cancelled = store.create_run({"dataset": "mnist", "recipe": "digits-cnn"}, "cancelled")
    store.request_stop(cancelled)
    store.create_run({"dataset": "mnist", "recipe": "digits-cnn"}, "queued")
    assert run_analysis.newest_with_results(store.list_runs()).id == older.id
    assert run_analysis.newest_with_results([store.get_run(cancelled)]) is None


def test_filters_combine(store):
    a = _run(store, "a")
    b = _run(store, "b", dataset="fashion_mnist")
    c = _run(store, "c", status="failed", recipe="mnist-dense-512")
    runs = [a, b, c]
    assert [r.name for r in run_analysis.filter_runs(runs, datasets=["mnist"])] == ["a", "c"]
    assert [r.name for r in run_analysis.filter_runs(runs, datasets=["mnist"], statuses=["completed"])] == ["a"]
    assert [r.name for r in run_analysis.filter_runs(runs, recipes=["mnist-dense-512"])] == ["c"]
    assert run_analysis.filter_runs(runs) == runs


def test_differing_settings_lists_only_what_changed(store):
    a, b = _run(store, "a", learning_rate=0.001), _run(store, "b", learning_rate=0.01, epochs=3)
    table = run_analysis.differing_settings([a, b])
    assert list(table.index) == ["learning_rate"]
    assert table.loc["learning_rate"].tolist() == ["0.001", "0.01"]


def test_per_class_metrics_from_confusion():
    metrics = run_analysis.per_class_metrics([[8, 2, 0], [1, 9, 0], [0, 0, 0]], ["a", "b", "c"])
    assert metrics[0] == run_analysis.ClassMetrics("a", 8 / 9, 0.8, 10)
    assert metrics[1] == run_analysis.ClassMetrics("b", 9 / 11, 0.9, 10)
    assert metrics[2] == run_analysis.ClassMetrics("c", None, None, 0)
    with pytest.raises(ValueError, match="there are 2 labels"):
        run_analysis.per_class_metrics([[1]], ["a", "b"])


def test_worst_mistakes_come_most_confident_first(tmp_path):
    path = tmp_path / "test_predictions.npz"
    np.savez(
        path,
        y_true=np.array([0, 1, 2, 1]),
        y_pred=np.array([0, 2, 1, 0]),
        confidence=np.array([0.99, 0.6, 0.9, 0.7], np.float32),
    )
    mistakes = run_analysis.worst_mistakes(path, ["x", "y", "z"], limit=2)
    assert [(m.index, m.true_label, m.predicted_label) for m in mistakes] == [(2, "z", "y"), (3, "y", "x")]
    assert mistakes[0].confidence == pytest.approx(0.9)


def test_metrics_csv_holds_epoch_and_batch_rows(store):
    run = _run(store, "a")
    store.add_batch_metrics(run.id, [{"step": 0, "epoch": 0, "batch": 0, "loss": 2.0, "time_s": 0.1}])
    table = pd.read_csv(io.StringIO(run_analysis.metrics_csv(store, run.id)))
    assert list(table.columns) == list(run_analysis.CSV_COLUMNS)
    assert list(table["level"]) == ["epoch", "epoch", "batch"]
    assert table["val_accuracy"].tolist()[:2] == [0.9, 0.95]
    empty = store.create_run({}, "new")
    assert run_analysis.metrics_csv(store, empty).strip() == ",".join(run_analysis.CSV_COLUMNS)
