"""Handlab: the router. Page config and navigation over pages/, nothing else."""

import streamlit as st

from core.ui import routing

routing.router_runs()
st.set_page_config(page_title="Handlab", page_icon="✍️", layout="wide")

pages = [
    st.Page("pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("pages/sign.py", title="Sign", icon="🤟"),
    st.Page("pages/train.py", title="Train", icon="🏋️"),
    st.Page("pages/history.py", title="History", icon="📈"),
]
st.navigation(pages).run()
