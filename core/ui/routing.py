"""Make every page run under the router (streamlit_app.py), even when a fresh server is opened at a deep link."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

_router_has_run = False  # per process: once the router ran, Streamlit knows the app's navigation

# Streamlit's legacy pages/ directory mode, for servers that have not yet run st.navigation, is switched by this
# class attribute (Streamlit 1.67). Were it renamed, ensure_router's assignment would silently do nothing and deep
# links would open pages without the router: fail at import instead. tests/test_internals.py checks it too.
if not hasattr(PagesManager, "uses_pages_directory"):
    raise ImportError(
        "Streamlit's PagesManager has no uses_pages_directory: core/ui/routing.py was written for the Streamlit "
        "pinned in requirements.txt; update ensure_router for this version."
    )


def router_runs() -> None:
    """Called by the router on every run."""
    global _router_has_run
    _router_has_run = True


def ensure_router() -> None:
    """Rerun through the router if Streamlit ran this page file on its own.

    A server that has not yet run `st.navigation` treats a `pages/` folder as the legacy multipage layout: the
    first visitor who opens /train gets pages/train.py alone, without the page config and the navigation. The
    flag below is what `st.navigation` clears on its first run; clearing it here and rerunning sends that
    visitor through the router to the same page. (Streamlit internals, checked on 1.67: a browser test covers
    it.) AppTest sets the flag again before every run, so the check also asks whether the router ever ran.
    """
    if PagesManager.uses_pages_directory and not _router_has_run:
        PagesManager.uses_pages_directory = False
        st.rerun()
