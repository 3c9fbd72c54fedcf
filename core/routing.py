"""Make every page run under the router (streamlit_app.py), even when a fresh server is opened at a deep link."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_router() -> None:
    """Rerun through the router if Streamlit ran this page file on its own.

    A server that has not yet run `st.navigation` treats a `pages/` folder as the legacy multipage layout: the
    first visitor who opens /train gets pages/train.py alone, without the page config and the navigation. The
    flag below is what `st.navigation` clears on its first run; clearing it here and rerunning sends that
    visitor through the router to the same page. (Streamlit internals, checked on 1.67: tests cover it.)
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
