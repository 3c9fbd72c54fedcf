"""The model catalog: shipped and run models per task, and the active choice."""

import pytest

from core.data import datasets
from core.learn import catalog
from core.learn.runs import RunStore
from core.tasks import TASKS


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setattr(catalog.paths, "MODELS_DIR", folder)
    return folder


def _finished_run(store, tmp_path, dataset, status="completed", accuracy=0.95):
    run_id = store.create_run({"dataset": dataset, "recipe": "r"}, f"{dataset} run")
    model = tmp_path / f"run{run_id}.keras"
    model.write_bytes(b"model")
    store.update_run(run_id, model_path=str(model), test_accuracy=accuracy)
    store.mark_finished(run_id, status)
    return run_id, model


def test_choices_list_the_shipped_model_then_finished_runs_of_the_task(models_dir, tmp_path):
    (models_dir / "digits.keras").write_bytes(b"shipped")
    store = RunStore()
    digits_run, digits_model = _finished_run(store, tmp_path, "mnist", accuracy=0.991)
    _finished_run(store, tmp_path, "sign_mnist")
    _finished_run(store, tmp_path, "mnist", status="failed")
    choices = catalog.model_choices("digits", store)
    assert [c.label for c in choices] == ["Shipped model", f"Run {digits_run}: mnist run (99.1%)"]
    assert choices[1].path == digits_model
    assert choices[1].run_id == digits_run


def test_active_model_defaults_to_shipped_and_follows_the_users_choice(models_dir, tmp_path):
    assert catalog.active_model("digits") == models_dir / "digits.keras"
    _, run_model = _finished_run(RunStore(), tmp_path, "mnist")
    catalog.set_active_model("digits", run_model)
    assert catalog.active_model("digits") == run_model.resolve()
    assert catalog.active_model("letters") == models_dir / "letters.keras"
    run_model.unlink()  # a deleted run's model falls back to the shipped one
    assert catalog.active_model("digits") == models_dir / "digits.keras"


def test_reset_and_unknown_task(models_dir, tmp_path):
    _, run_model = _finished_run(RunStore(), tmp_path, "mnist")
    catalog.set_active_model("digits", run_model)
    catalog.set_active_model("digits", None)
    assert catalog.active_model("digits") == models_dir / "digits.keras"
    with pytest.raises(ValueError, match="Unknown task 'colours'"):
        catalog.set_active_model("colours", None)


@pytest.mark.parametrize("dataset", [name for name, info in datasets.DATASETS.items() if info.task])
def test_a_finished_run_on_any_dataset_of_a_task_is_offered_for_that_task_only(models_dir, tmp_path, dataset):
    store = RunStore()
    run_id, model = _finished_run(store, tmp_path, dataset)
    task = datasets.task_of(dataset)
    assert [(c.run_id, c.path) for c in catalog.model_choices(task, store)] == [(run_id, model)]
    for other in set(TASKS) - {task}:
        assert catalog.model_choices(other, store) == []


def test_a_mnist_pen_run_is_offered_as_a_digits_model(models_dir, tmp_path):
    run_id, _ = _finished_run(RunStore(), tmp_path, "mnist_pen", accuracy=0.993)
    assert [c.label for c in catalog.model_choices("digits")] == [f"Run {run_id}: mnist_pen run (99.3%)"]


def test_a_run_no_page_reads_is_offered_for_no_task(models_dir, tmp_path):
    store = RunStore()
    _finished_run(store, tmp_path, "pima")
    _finished_run(store, tmp_path, "a_dataset_since_removed")
    assert all(catalog.model_choices(task, store) == [] for task in TASKS)
