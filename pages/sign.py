"""Hold up an ASL letter to the webcam and see it named."""

import streamlit as st

st.title("Sign a letter")
st.info(
    "Live webcam recognition is not built yet. Meanwhile, read a photo of a hand signing a letter from "
    "the command line: `python -m core.predict letters photo.jpg`."
)
