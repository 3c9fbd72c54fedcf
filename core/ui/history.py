"""Streamlit glue for the History page: the runs table, the comparison, one run in detail, and run actions."""

import numpy as np
import pandas as pd
import streamlit as st

from core import tasks
from core.data import datasets
from core.learn import catalog, jobs, run_analysis, run_files
from core.learn.runs import Run, RunStore
from core.ui import export as export_ui
from core.ui import run_charts, run_words
from core.ui import train as train_ui
from core.ui.markup import plain
from core.vision import signs

MISTAKES_SHOWN = 24
TABLE_KEY = "history_runs"  # the runs table; its selected rows are the runs the user opened
PICKED_KEY = "history_picked"  # ids of the opened runs, kept while filters hide some of them
SHOWN_KEY = "history_shown"  # ids of the table's rows at the last rerun, to tell when rows moved
DELETED_KEY = "history_deleted"  # what the last "Delete for good" removed, said once on the next rerun


def current_runs(store: RunStore) -> list[Run]:
    """Every run in the store; a run whose trainer died since the last look shows as interrupted, not running."""
    jobs.reconcile(store)
    return store.list_runs()


def select_runs(runs: list[Run], store: RunStore, key: str) -> list[Run]:
    """Filters and the runs table, whose clicked rows are the runs the user opened; returns those runs."""
    shown = run_analysis.filter_runs(runs, **_filters(runs, key))
    shown_ids = [run.id for run in shown]
    if TABLE_KEY not in st.session_state:
        # A visit begins (Streamlit drops the table's state when another page runs): open the newest run that has
        # results, and nothing else. Picks kept from the last visit were rows selected out of the user's sight, and
        # a click on one of them toggled it off.
        newest = run_analysis.newest_with_results(runs)
        st.session_state[PICKED_KEY] = [newest.id] if newest else []
    picked = st.session_state[PICKED_KEY]
    if st.session_state.get(SHOWN_KEY) != shown_ids or TABLE_KEY not in st.session_state:
        # The table's selection is row positions: when rows came, went or moved, select the picked runs again.
        st.session_state[TABLE_KEY] = {"selection": {"rows": [shown_ids.index(i) for i in picked if i in shown_ids]}}
    st.caption("Click rows to open runs: one to see it in detail, two or more to compare them.")
    rows = _runs_table(shown, store)
    hidden = [run_id for run_id in picked if run_id not in shown_ids]  # filtered out now, open again when shown
    picked = [shown_ids[row] for row in sorted(rows)] + hidden
    st.session_state[PICKED_KEY], st.session_state[SHOWN_KEY] = picked, shown_ids
    return sorted((run for run in shown if run.id in picked), key=lambda run: run.id)  # in the order they ran


def show_deleted_note() -> None:
    """Say once what the last "Delete for good" removed."""
    if deleted := st.session_state.pop(DELETED_KEY, None):
        st.success(deleted, icon="🗑️")


def _filters(runs: list[Run], key: str) -> dict[str, list[str]]:
    """Dataset, recipe and status pickers over the values the runs have, as filter_runs arguments."""
    columns = st.columns(3)
    return {
        field: columns[i].multiselect(label, options, key=f"{key}_{field}")
        for i, (field, label, options) in enumerate(
            [
                ("datasets", "Dataset", sorted({str(r.spec.get("dataset")) for r in runs})),
                ("recipes", "Recipe", sorted({str(r.spec.get("recipe")) for r in runs})),
                ("statuses", "Status", sorted({run_analysis.status_word(r) for r in runs})),
            ]
        )
    }


def _runs_table(runs: list[Run], store: RunStore) -> list[int]:
    """One row per run, accuracies as percentages, dates to the minute; returns the positions of the clicked rows."""
    event = st.dataframe(
        run_analysis.runs_table(runs, store),
        hide_index=True,
        column_config={
            "best val accuracy": st.column_config.NumberColumn(format="percent"),
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "when": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        },
        placeholder="–",  # a run that did not finish has no test accuracy: a dash, not "None"
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="multi-row",
    )
    return list(event.selection.rows)


def show_comparison(runs: list[Run], store: RunStore, key: str) -> None:
    """Overlaid learning curves of several runs, with smoothing, and the settings that differ."""
    left, middle, right = st.columns(3)
    metric = left.radio("Metric", ["loss", "accuracy"], horizontal=True, key=f"{key}_metric")
    x_axis = middle.radio("Against", ["epoch", "wall time"], horizontal=True, key=f"{key}_x")
    weight = right.slider("Smoothing", 0.0, 0.95, 0.0, 0.05, key=f"{key}_smoothing")
    full = metric == "accuracy" and train_ui.full_scale_toggle(key=f"{key}_full")
    curves = {f"{run.id}: {run.name}": _complete_epochs(run, store) for run in runs}
    x = "time_s" if x_axis == "wall time" else "epoch"
    st.altair_chart(run_charts.comparison_chart(curves, metric, x, weight, full_scale=full), width="stretch")
    if left_out := run_charts.runs_without_points(curves, metric):
        names = ", ".join(f"Run {label}" for label in left_out)
        verb = "has" if len(left_out) == 1 else "have"
        st.caption(f"{names} {verb} no finished epoch to draw and {'is' if len(left_out) == 1 else 'are'} left out.")
    differing = run_analysis.differing_settings(runs)
    if differing.empty:
        st.caption("These runs used the same settings.")
    else:
        st.markdown("**Settings that differ**")
        st.dataframe(differing, width="stretch")


def _complete_epochs(run: Run, store: RunStore) -> list[dict]:
    """A run's epoch rows without a part-epoch."""
    cut = run_analysis.cut_epoch(run, store.last_batch(run.id))
    return run_analysis.complete_epoch_rows(run, store.epoch_metrics(run.id), cut)


def show_run(run: Run, store: RunStore, key: str) -> None:
    """One run in detail: curves, spec and card, confusion matrix, per-class metrics, mistakes."""
    st.subheader(f"Run {run.id}: {plain(run.name)}")
    batches, epochs = store.batch_metrics(run.id), store.epoch_metrics(run.id)
    st.caption(run_words.outcome(run, batches[-1] if batches else None))
    if batches or epochs:  # A run cancelled before training has no curves to wait for.
        train_ui.show_curves(run, batches, epochs, key, fold_batches=True)
    spec_tab, card_tab = st.tabs(["Settings", "Model card"])
    spec_tab.json(run.spec)
    card_tab.json(run.card or {"note": "This run has no model card (it did not finish)."})
    if run.confusion and run.card:
        labels = run.card["labels"]
        matrix, per_class = st.columns([3, 2])
        matrix.altair_chart(run_charts.confusion_chart(run.confusion, labels))
        if datasets.task_of(run.spec.get("dataset")) == "letters" and "J" not in labels:
            matrix.caption(
                "J and Z are not in this matrix: they are drawn in the air, and the Sign page's live video reads "
                "them from the hand's motion, not with this model."
            )
        per_class.dataframe(_per_class_table(run.confusion, labels), hide_index=True)
        show_mistakes(run, store)


def _per_class_table(confusion: list[list[int]], labels: list[str]) -> pd.DataFrame:
    rows = run_analysis.per_class_metrics(confusion, labels)
    return pd.DataFrame(
        {
            "class": [m.label for m in rows],
            "precision": [m.precision for m in rows],
            "recall": [m.recall for m in rows],
            "test samples": [m.support for m in rows],
        }
    ).style.format({"precision": "{:.1%}", "recall": "{:.1%}"}, na_rep="–")


@st.cache_resource(show_spinner="Loading the test images…", max_entries=2)
def _test_images(name: str, image_size: int) -> np.ndarray:
    return datasets.load_dataset(name, image_size=image_size).x_test


def show_mistakes(run: Run, store: RunStore) -> None:
    """A gallery of the test images the run's model got wrong, most confident mistakes first."""
    model = run_files.model_file(store, run)  # The predictions come with the model, also from the store.
    predictions = model.with_name("test_predictions.npz") if model else None
    if predictions is None or not predictions.is_file():
        return
    mistakes = run_analysis.worst_mistakes(predictions, run.card["labels"], MISTAKES_SHOWN)
    st.markdown(
        f"**Mistakes** ({len(mistakes)} most confident shown)" if mistakes else "**No mistakes** on the test set."
    )
    kind = datasets.get_info(run.spec["dataset"]).kind
    if not mistakes or kind == "tabular":
        return
    try:
        inputs = _test_images(run.spec["dataset"], run.spec.get("image_size") or 28)
    except (ValueError, FileNotFoundError) as error:
        st.caption(f"The test inputs cannot be shown: {error}")
        return
    if kind == "landmarks":
        st.caption("Each hand as the model read it: its 21 landmarks, normalised.")
    columns = st.columns(8)
    for i, mistake in enumerate(mistakes):
        shown = inputs[mistake.index]
        columns[i % 8].image(
            signs.landmarks_picture(shown, 84)[:, :, ::-1] if kind == "landmarks" else shown,  # BGR to RGB
            caption=f"{plain(mistake.true_label)} → {plain(mistake.predicted_label)} ({mistake.confidence:.0%})",
            width=84,
        )


def run_actions(run: Run, store: RunStore, key: str) -> None:
    """Download the model and metrics, activate, rename, delete (with confirmation)."""
    model = run_files.model_file(store, run)  # A run trained on a Ray node: fetched from the store.
    download, csv, activate = st.columns(3)
    if model and model.is_file():
        download.download_button(
            "Download model (.keras)", model.read_bytes(), f"handlab-run-{run.id}.keras", key=f"{key}_model"
        )
        task = datasets.task_of(run.spec.get("dataset"))
        if task and activate.button(tasks.get_task(task).use_label, key=f"{key}_activate"):
            catalog.set_active_model(task, model)
            st.toast(f"Run {run.id} now reads {task} on the pages that use them.")
        export_ui.export_controls(model, f"handlab-run-{run.id}", key=f"{key}_export")
    csv.download_button(
        "Download metrics (.csv)",
        run_analysis.metrics_csv(store, run.id),
        f"handlab-run-{run.id}.csv",
        key=f"{key}_csv",
    )
    with st.form(f"{key}_rename", border=False):
        name = st.text_input("Name", run.name, max_chars=80, key=f"{key}_name")
        if st.form_submit_button("Rename") and name.strip() and name.strip() != run.name:
            store.update_run(run.id, name=name.strip())
            st.rerun()
    _delete_control(run, store, key)


def _delete_control(run: Run, store: RunStore, key: str) -> None:
    if not run.finished:
        st.caption("Stop the run before deleting it.")
        return
    with st.popover("Delete run…"):
        st.write(f"Delete run {run.id} ({plain(run.name)}), its metrics and its model files? This cannot be undone.")
        if st.button("Delete for good", type="primary", key=f"{key}_delete"):
            jobs.delete_run(run.id, store)
            st.session_state[PICKED_KEY] = [i for i in st.session_state.get(PICKED_KEY, []) if i != run.id]
            deleted = f"Deleted run {run.id} ({plain(run.name)}), its metrics and its model files."
            st.session_state[DELETED_KEY] = deleted
            st.rerun()
