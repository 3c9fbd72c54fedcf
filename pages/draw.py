"""Draw a digit and watch the model read it."""

import streamlit as st

st.title("Draw a digit")
st.info(
    "The drawing canvas is not built yet. Meanwhile, read a photo of a handwritten digit from the "
    "command line: `python -m core.predict digits photo.png`."
)
