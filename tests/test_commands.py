"""The Makefile's commands for users: the app serves without a file watcher, benchmarks run as plain scripts."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent


def make_dry_run(target: str) -> str:
    """The commands `make TARGET` would run, without running them."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("needs make")
    result = subprocess.run([make, "-n", target], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    return result.stdout


def test_make_run_serves_without_watching_files_and_make_dev_with():
    # Issue #17: the watcher followed .venv too and logged thousands of "Inotify queue overflowed" lines.
    served = [line for line in make_dry_run("run").splitlines() if "streamlit run" in line]
    assert served
    assert "--server.fileWatcherType none" in served[-1]
    developed = [line for line in make_dry_run("dev").splitlines() if "streamlit run" in line]
    assert "--server.fileWatcherType auto" in developed[-1]


@pytest.mark.slow
def test_every_benchmark_imports_as_a_plain_script_without_the_test_tools(tmp_path):
    # Issue #17: `python benchmarks/draw_latency.py` failed with "No module named 'benchmarks'" outside `make bench`,
    # and `make bench` runs after `make run`, which installs no pytest, Hypothesis or Playwright.
    benchmarks = sorted(str(path) for path in (PROJECT_DIR / "benchmarks").glob("*.py"))
    script = f"""
import importlib.abc, runpy, sys

class NoTestTools(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("pytest", "_pytest", "hypothesis", "playwright"):
            raise ImportError(f"{{name}} is a test tool: benchmarks must run without it")
        return None

sys.meta_path.insert(0, NoTestTools())
for path in {benchmarks!r}:
    runpy.run_path(path, run_name="imported")  # its top level, not main()
print("imported", len({benchmarks!r}))
"""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(benchmarks)}" in result.stdout


@pytest.mark.slow
def test_evaluate_letters_refuses_the_shipped_landmarks_model_by_name():
    # The script scores crop models on image test sets; it took the shipped model by default, which reads landmarks.
    model = PROJECT_DIR / "models" / "letters.keras"
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "evaluate_letters.py"), str(model)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "reads hand landmarks" in result.stderr
    assert "evaluate_sources.py" in result.stderr
