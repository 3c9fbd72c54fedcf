"""Start a training run and watch it learn, batch by batch; it trains in the background and is never lost."""

import streamlit as st

from core.learn.runs import RunStore
from core.ui import routing
from core.ui import train as train_ui
from core.ui import train_form as form_ui

routing.ensure_router()

st.title("Train a model")
st.caption(
    "Pick the data and a recipe, press Start and watch the network learn. Training runs in its own process: "
    "reload the page, close the tab or visit another page, and it keeps going. Runs started with "
    "`python -m core.train` show up here too."
)

# What is training and how the last run ended come first; the form opens by itself only on a first visit.
train_ui.live_runs(key="train")
train_ui.finished_run(key="train")

first_visit = not RunStore().list_runs()
with st.expander("Start a new run", expanded=first_visit, icon=":material/model_training:"):
    spec = form_ui.train_form(key="train")
    form_ui.start_button(spec, key="train")
