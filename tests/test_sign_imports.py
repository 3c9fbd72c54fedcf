"""The live-video stack and TensorFlow share one process: the Streamlit server loads both, in either order."""

import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

SCRIPT = """
import core.learn.fit  # TensorFlow first, as when the Draw or Train page was opened before the Sign page
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
