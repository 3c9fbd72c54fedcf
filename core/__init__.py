"""Handlab core: data, preprocessing, models, training and prediction, shared by the pages and the CLIs."""

import contextlib
import sys

# aiortc's SRTP binding (the Sign page's live video) crashes the process with a segmentation fault when it is
# loaded after TensorFlow (TensorFlow 2.21, pylibsrtp 1.0), and a Streamlit server loads TensorFlow for the Draw
# page before anyone opens the Sign page. Every page imports core before TensorFlow, so loading the binding here
# keeps the order safe. A program that loaded TensorFlow already must not load it now: that is the crash.
if "tensorflow" not in sys.modules:
    with contextlib.suppress(ImportError):
        import pylibsrtp  # noqa: F401
