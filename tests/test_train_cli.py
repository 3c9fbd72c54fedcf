"""`python -m core.train`: listing recipes, training a run into the store, refusing bad settings."""

import json
import os
import subprocess
import sys

from core import paths, train
from core.learn.runs import RunStore


def test_list_prints_every_recipe_with_its_source():
    result = subprocess.run(
        [sys.executable, "-m", "core.train", "--list"],
        capture_output=True,
        text=True,
        cwd=paths.PROJECT_DIR,
        env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3"},
        check=True,
    )
    assert "mnist-dense-512" in result.stdout
    assert "asl-cnn-augmented" in result.stdout
    assert "Chollet, Deep Learning with Python" in result.stdout


def test_cli_run_is_recorded_and_copied(tiny_mnist_dir, tmp_path, capsys):
    target = tmp_path / "shipped" / "digits.keras"
    code = train.main(
        [
            "--recipe",
            "mnist-dense-512",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--name",
            "cli",
            "--save-to",
            str(target),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    (run,) = RunStore().list_runs()
    assert (run.name, run.status) == ("cli", "completed")
    assert f"Run {run.id} completed: test accuracy" in out
    assert target.is_file()
    assert json.loads(target.with_suffix(".json").read_text())["recipe"] == "mnist-dense-512"


def test_cli_refuses_invalid_settings_without_recording_a_run(tiny_mnist_dir, capsys):
    assert train.main(["--recipe", "mnist-dense-512", "--epochs", "0"]) == 2
    assert "The epochs must be between 1 and 1000, not 0." in capsys.readouterr().err
    assert RunStore().list_runs() == []
