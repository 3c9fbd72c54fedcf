"""Past training runs."""

import pandas as pd
import streamlit as st

from core.runs import RunStore

st.title("Run history")
runs = RunStore().list_runs()
if not runs:
    st.info(
        "No runs yet. Train one from the command line: `python -m core.train --dataset mnist --recipe mnist-dense-512`."
    )
    st.stop()

st.caption("Comparing curves, confusion matrices and mistakes is not built yet; here are the runs recorded so far.")
table = pd.DataFrame(
    {
        "run": [run.id for run in runs],
        "name": [run.name for run in runs],
        "status": [run.status for run in runs],
        "dataset": [run.spec.get("dataset") for run in runs],
        "recipe": [run.spec.get("recipe") for run in runs],
        "epochs": [f"{run.epochs_done}/{run.total_epochs or run.spec.get('epochs')}" for run in runs],
        "test accuracy": [run.test_accuracy for run in runs],
        "started": [pd.to_datetime(run.created_at, unit="s") for run in runs],
    }
)
st.dataframe(
    table,
    hide_index=True,
    column_config={"test accuracy": st.column_config.NumberColumn(format="percent")},
)
