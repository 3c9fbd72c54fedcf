"""The live-video stack and TensorFlow share one process: the Streamlit server loads both, in either order.

It works because the server loads aiortc's SRTP binding first (core/ui/__init__.py); the command lines do not load it.
"""

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent

SCRIPT = """
import core.ui  # first, as the router and every page do: it loads the live video's SRTP binding
import core.learn.fit  # then TensorFlow, as when the Draw or Train page was opened before the Sign page
import keras, numpy as np
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
model(np.zeros((1, 4), np.float32))
import streamlit_webrtc, aiortc  # then the Sign page's live video
print("ok")
"""


def test_live_video_can_be_imported_after_tensorflow_ran():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


# Runs the top-level imports of a Streamlit script and says whether the SRTP binding was loaded by the time
# something asked for TensorFlow; TensorFlow itself is never loaded (the first request for it ends the check).
IMPORT_ORDER = """
import ast, importlib.abc, sys

class TensorFlowAsked(Exception):
    pass

class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "tensorflow":
            raise TensorFlowAsked("pylibsrtp" in sys.modules)
        return None

path = sys.argv[1]
tree = ast.parse(open(path, encoding="utf-8").read())
imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
sys.meta_path.insert(0, Watch())
try:
    exec(compile(ast.Module(imports, type_ignores=[]), path, "exec"), {"__name__": "script"})
except TensorFlowAsked as asked:
    print("tensorflow asked for; srtp loaded before:", asked.args[0])
except Exception as error:  # A component that registers only inside a server: whatever follows comes later still.
    print(f"stopped by {type(error).__name__}; srtp loaded:", "pylibsrtp" in sys.modules)
else:
    print("tensorflow not asked for; srtp loaded:", "pylibsrtp" in sys.modules)
"""


STREAMLIT_SCRIPTS = ["streamlit_app.py", "pages/draw.py", "pages/sign.py", "pages/train.py", "pages/history.py"]


@pytest.mark.slow
@pytest.mark.parametrize("script", STREAMLIT_SCRIPTS)
def test_router_and_every_page_load_the_srtp_binding_before_tensorflow(script: str):
    # A fresh server opened at a deep link runs that page's imports before the router's: each must be safe alone.
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ORDER, script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("True"), result.stdout


@pytest.mark.slow
def test_the_command_lines_and_the_trainers_never_load_the_srtp_binding():
    script = "import sys, core, core.train, core.predict, core.learn.trainer, core.learn.ray_runner\n"
    script += "print(sorted(name for name in sys.modules if name.split('.')[0] in ('pylibsrtp', 'aiortc')))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("[]"), result.stdout
