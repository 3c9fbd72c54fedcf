"""LiteRT (the hand models), TensorFlow and the live-video stack share one process, loaded in either order."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.vision import hand_model_files

PROJECT_DIR = Path(__file__).resolve().parent.parent

RUN_TENSORFLOW = """
import core.learn.fit, keras, numpy as np
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
model(np.zeros((1, 4), np.float32))
"""
RUN_HANDS = """
import numpy as np
from core.vision.hand_tracker import HandTracker
assert HandTracker().find(np.zeros((480, 640, 3), np.uint8)) is None
"""


@pytest.mark.parametrize("order", ["hands first", "tensorflow first"])
def test_hand_models_run_beside_tensorflow(order: str):
    missing = hand_model_files.problems()
    if missing:
        message = f"hand models not ready: run `{hand_model_files.FETCH_COMMAND}`"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(message)
        pytest.skip(message)
    steps = [RUN_HANDS, RUN_TENSORFLOW] if order == "hands first" else [RUN_TENSORFLOW, RUN_HANDS]
    # core.ui first, as every page does: it loads the live video's SRTP binding before anything loads TensorFlow.
    script = "import core.ui\n" + "\n".join(steps) + "\nimport streamlit_webrtc, aiortc\nprint('ok')\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")
