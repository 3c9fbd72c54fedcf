"""Start a training run and watch it learn."""

import streamlit as st

st.title("Train a model")
st.info(
    "Training from the browser is not built yet. Meanwhile, train from the command line: "
    "`python -m core.train --list` shows the recipes, and "
    "`python -m core.train --dataset mnist --recipe mnist-dense-512` runs one; runs are recorded for History."
)
