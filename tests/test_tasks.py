"""The task registry: every dataset makes a model for a task (or for no page), and each task's facts hold together."""

import pytest

from core import paths, tasks
from core import train as train_cli
from core.data import datasets
from core.learn import recipes

# Datasets whose models no page reads: Pima's tabular rows are for the Train and History pages only.
NO_PAGE_READS = {"pima"}


def test_every_dataset_makes_a_model_for_a_task_or_is_one_no_page_reads():
    for name, info in datasets.DATASETS.items():
        assert info.task in tasks.TASKS or (info.task is None and name in NO_PAGE_READS), name
    assert {name for name, info in datasets.DATASETS.items() if info.task is None} == NO_PAGE_READS


@pytest.mark.parametrize("name", [name for name in datasets.DATASETS if name not in NO_PAGE_READS])
def test_a_datasets_classes_are_as_many_as_its_tasks(name):
    info = datasets.get_info(name)
    assert info.num_classes == len(tasks.get_task(info.task).labels)


def test_mnist_pen_runs_make_digits_models():
    assert datasets.task_of("mnist_pen") == "digits"
    assert "mnist_pen" in datasets.datasets_for("digits")
    assert "mnist_pen" not in datasets.datasets_for("letters")


def test_each_dataset_belongs_to_one_task_and_an_unknown_one_to_none():
    by_task = [name for task in tasks.TASKS for name in datasets.datasets_for(task)]
    assert sorted(by_task) == sorted(set(datasets.DATASETS) - NO_PAGE_READS)
    assert datasets.task_of("gone_dataset") is None  # a run on a dataset since removed
    assert datasets.task_of("pima") is None


@pytest.mark.parametrize("task", list(tasks.TASKS))
def test_each_tasks_training_command_trains_on_one_of_its_datasets(task):
    args = train_cli._parser().parse_args(tasks.get_task(task).train_args.split())
    dataset = args.dataset or recipes.get_recipe(args.recipe).datasets[0]
    assert datasets.task_of(dataset) == task


def test_the_missing_model_texts_say_where_and_how_to_train_one():
    assert tasks.get_task("digits").missing_text() == (
        "There is no digits model yet. Train one on the **Train** page, or from the command line: "
        "`python -m core.train --recipe digits-cnn --save-to models/digits.keras`."
    )
    assert tasks.get_task("letters").missing_text() == (
        "No letters model yet: train one on the **Train** page (dataset *ASL hand landmarks*), or from the "
        "command line: `python -m core.train --dataset asl_landmarks --recipe letters-landmarks "
        "--save-to models/letters.keras`."
    )


def test_a_tasks_shipped_model_is_models_task_keras(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "MODELS_DIR", tmp_path)
    assert tasks.get_task("fashion").shipped_model == tmp_path / "fashion.keras"


@pytest.mark.parametrize(
    ("task", "names", "fits"),
    [
        ("digits", tuple("0123456789"), True),
        ("digits", tuple("ABCDEFGHIJ"), False),  # ten classes, but not the digits
        ("fashion", tuple("0123456789"), True),  # any ten names: a fashion model's card may word them its own way
        ("fashion", ("Bag", "Coat"), False),
        ("letters", tuple("ABC"), True),  # any letters: letter models differ in their classes
        ("letters", ("A", "1"), False),
    ],
)
def test_a_task_accepts_the_class_names_its_pages_can_show(task, names, fits):
    assert tasks.get_task(task).fits_labels(names) is fits


def test_an_unknown_task_lists_the_known_ones():
    with pytest.raises(ValueError, match="Unknown task 'colours'. Choose one of: digits, letters, fashion."):
        tasks.get_task("colours")
