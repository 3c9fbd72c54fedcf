"""The Makefile's commands for users: the app serves without a file watcher; scripts and benchmarks find `core`."""

import ast
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


def test_no_script_or_benchmark_puts_the_project_on_sys_path_by_hand():
    # `core` is an installed package (`pip install -e .`, which make runs): no file needs sys.path.insert.
    offenders = [
        path.relative_to(PROJECT_DIR).as_posix()
        for folder in ("scripts", "benchmarks")
        for path in sorted((PROJECT_DIR / folder).glob("*.py"))
        if "sys.path" in path.read_text(encoding="utf-8")
    ]
    assert not offenders


@pytest.mark.slow
def test_every_script_imports_core_from_any_folder_without_pythonpath(tmp_path):
    scripts = sorted(str(path) for path in (PROJECT_DIR / "scripts").glob("*.py"))
    script = f"""
import runpy
for path in {scripts!r}:
    runpy.run_path(path, run_name="imported")  # its top level, not main(); like `python scripts/NAME.py`
import core
print("core from", core.__file__)
"""
    result = run_python(script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:] + "\n(is the project installed? `make` runs pip install -e .)"
    assert f"core from {PROJECT_DIR / 'core' / '__init__.py'}" in result.stdout


@pytest.mark.slow
def test_every_benchmark_imports_as_a_module_without_the_test_tools():
    # Issue #17: a benchmark failed with "No module named 'benchmarks'" outside `make bench`; they run as
    # `python -m benchmarks.NAME` from the project folder, as `make bench` does, and `make bench` runs after
    # `make run`, which installs no pytest, Hypothesis or Playwright.
    benchmarks = sorted(f"benchmarks.{path.stem}" for path in (PROJECT_DIR / "benchmarks").glob("*.py"))
    script = f"""
import importlib.abc, runpy, sys

class NoTestTools(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("pytest", "_pytest", "hypothesis", "playwright"):
            raise ImportError(f"{{name}} is a test tool: benchmarks must run without it")
        return None

sys.meta_path.insert(0, NoTestTools())
for name in {benchmarks!r}:
    runpy.run_module(name, run_name="imported")  # its top level, not main()
print("imported", len({benchmarks!r}))
"""
    result = run_python(script, cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(benchmarks)}" in result.stdout


def run_python(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a Python snippet in a fresh interpreter in `cwd`, without PYTHONPATH, as a user's shell would."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_every_benchmark_runs_without_arguments_as_make_bench_runs_it():
    # `make bench` runs each as `python -m benchmarks.NAME` with no arguments and stops at the first that fails: a
    # required positional argument (benchmarks/not_a_digit_threshold.py had one) ended it there.
    required = []
    for path in sorted((PROJECT_DIR / "benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_call = isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_argument"
            if not (is_call and node.args and isinstance(node.args[0], ast.Constant)):
                continue
            optional = {k.arg: getattr(k.value, "value", None) for k in node.keywords}.get("nargs") in ("?", "*")
            if not str(node.args[0].value).startswith("-") and not optional:
                required.append(f"{path.name}: {node.args[0].value}")
    assert not required
