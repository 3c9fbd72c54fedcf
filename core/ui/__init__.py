"""The only Streamlit code in core: cached resources, widgets and displays the pages share.

Importing it loads aiortc's SRTP binding (the Sign page's live video), unless TensorFlow is loaded already. That
binding crashes the process with a segmentation fault when it is loaded after TensorFlow (TensorFlow 2.21, pylibsrtp
1.0), and a Streamlit server loads TensorFlow for the Draw page before anyone opens the Sign page. The router and
every page import core.ui before anything that loads TensorFlow (tests/test_sign_imports.py checks it), so the
server loads the binding first; the command lines and trainers never import core.ui, so they never load it.
"""

import contextlib
import sys

if "tensorflow" not in sys.modules:  # A process that loaded TensorFlow already must not load it now: the crash.
    with contextlib.suppress(ImportError):
        import pylibsrtp  # noqa: F401
