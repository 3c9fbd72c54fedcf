"""Compare past runs, see where a model fails, export or activate it."""

import streamlit as st

from core.learn.runs import RunStore
from core.ui import history as history_ui
from core.ui import routing

routing.ensure_router()

st.title("Run history")
store = RunStore()
runs = history_ui.current_runs(store)
history_ui.show_deleted_note()
if not runs:
    st.info("No runs yet. Train a model and its run appears here, with its curves, mistakes and model.")
    st.page_link("pages/train.py", label="Train a model", icon="🏋️")
    st.stop()

selected = history_ui.select_runs(runs, store, key="history")
if not selected:
    st.info("Click a row of the table to see that run; click two or more to compare them.")
    st.stop()

if len(selected) > 1:
    st.header("Compare")
    history_ui.show_comparison(selected, store, key="history_compare")
    names = {f"Run {run.id}: {run.name}": run for run in selected}
    # A new key for each set of picked runs: a kept key let the box show one run while the page opened another.
    picked_ids = "_".join(str(run.id) for run in selected)
    run = names[st.selectbox("Open one run", list(names), key=f"history_detail_{picked_ids}")]
else:
    (run,) = selected

st.divider()
history_ui.show_run(run, store, key="history_run")
st.divider()
history_ui.run_actions(run, store, key=f"history_actions_{run.id}")
