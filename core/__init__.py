"""Handlab core: data, preprocessing, models, training and prediction, shared by the pages and the CLIs."""

import contextlib

# aiortc's SRTP binding (the Sign page's live video) crashes the process with a segmentation fault when it is
# loaded after TensorFlow (seen with TensorFlow 2.21 and pylibsrtp 1.0), and a Streamlit server loads
# TensorFlow for the Draw page before anyone opens the Sign page. Loading it first, here, avoids that.
with contextlib.suppress(ImportError):
    import pylibsrtp  # noqa: F401
