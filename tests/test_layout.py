"""The layout's rules: one Streamlit boundary, core's logic importable without Streamlit, no import cycles."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
STREAMLIT_PACKAGES = ("streamlit", "streamlit_webrtc", "streamlit_drawable_canvas")
# Only these may import Streamlit: the router, the pages and core/ui/.
UI_PLACES = ("streamlit_app.py", "pages/", "core/ui/")


def project_modules() -> list[Path]:
    """Every Python file of the app, its CLIs, scripts and benchmarks (tests may drive Streamlit)."""
    files = [PROJECT_DIR / "streamlit_app.py"]
    for folder in ("core", "pages", "scripts", "benchmarks"):
        files += sorted((PROJECT_DIR / folder).rglob("*.py"))
    return files


def imported_names(path: Path) -> list[str]:
    """The absolute module names a file imports, anywhere in it (function-level imports too)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from core.vision import hands` imports core.vision.hands when that is a module.
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def core_module_name(path: Path) -> str:
    """core/vision/hands.py -> core.vision.hands; core/ui/__init__.py -> core.ui."""
    parts = path.relative_to(PROJECT_DIR).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_import_graph() -> dict[str, set[str]]:
    """Which core modules each core module imports (packages' __init__ files count as modules)."""
    paths = sorted((PROJECT_DIR / "core").rglob("*.py"))
    modules = {core_module_name(path): path for path in paths}
    return {
        name: {imported for imported in imported_names(path) if imported in modules and imported != name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, nxt])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def import_levels(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each module's level: 0 imports no core module, else one more than the highest level it imports."""
    levels: dict[str, int] = {}

    def level(node: str) -> int:
        if node not in levels:
            levels[node] = 1 + max((level(dep) for dep in graph[node]), default=-1)
        return levels[node]

    for node in graph:
        level(node)
    return levels


def test_only_the_router_pages_and_core_ui_import_streamlit():
    offenders = []
    for path in project_modules():
        relative = path.relative_to(PROJECT_DIR).as_posix()
        if relative.startswith(UI_PLACES):
            continue
        for name in imported_names(path):
            if name.split(".")[0] in STREAMLIT_PACKAGES:
                offenders.append(f"{relative} imports {name}")
    assert not offenders, "Only streamlit_app.py, pages/ and core/ui/ may import Streamlit:\n" + "\n".join(offenders)


def test_the_boundary_check_sees_a_streamlit_import(tmp_path):
    module = tmp_path / "sneaky.py"
    module.write_text("def f():\n    from streamlit_webrtc import webrtc_streamer\n")
    assert "streamlit_webrtc" in imported_names(module)


def test_core_has_no_import_cycle():
    graph = core_import_graph()
    assert "core.vision.hands" in graph["core.vision.signs"]  # the graph sees `from core.vision import hands`
    cycle = find_cycle(graph)
    assert cycle is None, "Import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layers_import_downwards_only():
    """Plain helpers < vision < data < learn < the CLIs < ui: a lower layer never imports a higher one."""
    layer_of = {"vision": 1, "data": 2, "learn": 3, "predict": 4, "train": 4, "export": 4, "ui": 5}

    def layer(module: str) -> int:
        parts = module.split(".")
        return layer_of.get(parts[1], 0) if len(parts) > 1 else 0

    problems = [
        f"{module} imports {imported}"
        for module, imports in core_import_graph().items()
        for imported in imports
        if layer(imported) > layer(module)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_vision_data_and_learn_import_without_streamlit():
    """Every module of core.vision, core.data and core.learn (and the CLIs) imports with Streamlit unavailable."""
    script = f"""
import importlib, importlib.abc, pkgutil, sys

class NoStreamlit(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {STREAMLIT_PACKAGES!r}:
            raise ImportError(f"{{name}} is blocked: core's logic must not need Streamlit")
        return None

sys.meta_path.insert(0, NoStreamlit())
import core.vision, core.data, core.learn
names = ["core.predict", "core.train", "core.predictor", "core.labels"]
for package in (core.vision, core.data, core.learn):
    names += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in {STREAMLIT_PACKAGES!r})
print(len(names), "modules;", "streamlit loaded:", loaded)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "streamlit loaded: []" in result.stdout
