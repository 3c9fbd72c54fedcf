"""Streamlit glue of the Train page: live runs with their progress, the queue and the last result.

The form that starts a run is in core.ui.train_form.
"""

import time

import streamlit as st

from core import tasks
from core.data import datasets
from core.learn import catalog, jobs, ray_runner, run_analysis, run_files
from core.learn.runs import FINISHED, Run, RunStore
from core.ui import run_charts, run_words
from core.ui.markup import plain

RUN_REFRESH_S = 1.0  # How often the Train page reads the run store while it is open.
QUEUE_ANCHOR = "training-now"  # the "Training now" heading over the runs training and waiting, for links up to it


@st.fragment(run_every=RUN_REFRESH_S)
def live_runs(key: str) -> None:
    """The runs training and waiting, redrawn every second; the whole page reruns when one starts or ends."""
    store = RunStore()
    jobs.refresh(store)
    running, queue = store.list_runs(["running"]), jobs.queued_runs(store)
    _say_started(running, queue, key)
    watched = {run.id for run in running + queue}
    before = st.session_state.get(f"{key}_watched")
    st.session_state[f"{key}_watched"] = watched
    if before is not None and before != watched:
        if ended := before - watched:
            st.session_state[f"{key}_show"] = max(ended)  # Show the run that just ended.
        st.rerun()  # Redraw the whole page, so the start button and the results are current.
    if watched:
        st.subheader("Training now", anchor=QUEUE_ANCHOR)
    for run in running:
        _live_run(run, store, key)
    _queue(queue, key)


def _say_started(running: list[Run], queue: list[Run], key: str) -> None:
    """Toast "Run N is starting." when a run that was waiting begins, as the start button does for one from idle."""
    waited = st.session_state.get(f"{key}_queued", set())
    st.session_state[f"{key}_queued"] = {run.id for run in queue}
    for run in running:
        if run.id in waited:
            st.toast(f"Run {run.id} is starting.")


def _queue(queue: list[Run], key: str) -> None:
    """The runs waiting to train, next first, each with a cancel button."""
    if queue:
        how = "each starts when a node of the cluster has room" if ray_runner.enabled() else "one run trains at a time"
        st.markdown(f"**Waiting to train** ({len(queue)}): {how}.")
    for position, run in enumerate(queue, start=1):
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.write(f"{position}. Run {run.id}: {plain(run.name)}, {run_words.count(run.spec.get('epochs'), 'epoch')}")
        button.button("Cancel", key=f"{key}_cancel_{run.id}", width="stretch", on_click=jobs.stop_run, args=(run.id,))


def _live_run(run: Run, store: RunStore, key: str) -> None:
    """A training run's progress bar, stop button and live curves."""
    with st.container(border=True):
        _live_header(run, key)
        batches = store.batch_metrics(run.id)
        if _progress_bar(run, batches):
            show_curves(run, batches, store.epoch_metrics(run.id), f"{key}_live")


def _live_header(run: Run, key: str) -> None:
    """The run's name and device, with its stop button."""
    head, button = st.columns([5, 1], vertical_alignment="center")
    where = f" on Ray node {run.node_id[:8]}" if run.node_id else ""  # Which machine of the cluster, when on one.
    head.markdown(
        f"**Run {run.id}: {plain(run.name)}** · " + (f"training on {run.device}{where}" if run.device else "starting")
    )
    # A callback runs before the redraw, so the page shows the run stopping at once.
    button.button(
        "Stopping…" if run.stop_requested else "Stop",
        key=f"{key}_stop_{run.id}",
        disabled=run.stop_requested,
        width="stretch",
        on_click=jobs.stop_run,
        args=(run.id,),
        help="Stop after the current batch, keeping the metrics and the best model so far.",
    )


def _progress_bar(run: Run, batches: list[dict]) -> bool:
    """The progress bar with its caption and any stop or stall notice; False while the trainer is still starting."""
    progress = run_words.progress(run, batches)
    if progress is None:
        waited = run_words.format_duration(time.time() - (run.started_at or run.created_at))
        st.progress(0.0, text=f"Starting: loading TensorFlow and the data ({waited})…")
        return False
    st.progress(progress.fraction, text=run_words.progress_caption(progress))
    if note := run_words.after_training(run):
        st.caption(note)
    elif progress.silent_s > run_words.STALL_AFTER_S:
        st.warning(f"No news from the trainer for {run_words.format_duration(progress.silent_s)}.")
    return True


def show_curves(run: Run, batches: list[dict], epochs: list[dict], key: str, fold_batches: bool = False) -> None:
    """Loss and accuracy side by side: per batch, then per epoch (training against validation).

    The accuracy axes zoom to the values, so that small differences show; a toggle draws them from 0 to 100%. A run
    that ended mid-epoch has that part-epoch in its per-batch curves only.
    """
    cut = run_analysis.cut_epoch(run, batches[-1] if batches else None)
    epochs = run_analysis.complete_epoch_rows(run, epochs, cut)
    no_epoch = cut is not None and not epochs  # It ended before its first epoch did: nothing to wait for.
    full = full_scale_toggle(key=f"{key}_full_{run.id}")
    batch_row = st.expander("Loss and accuracy per batch") if fold_batches and not no_epoch else st.container()
    for column, metric in zip(batch_row.columns(2), ("loss", "accuracy"), strict=True):
        chart = run_charts.batch_chart(batches, metric, run.steps_per_epoch or 1, full_scale=full)
        column.altair_chart(chart, width="stretch")
    for column, metric in zip(st.columns(2) if not no_epoch else [], ("loss", "accuracy"), strict=False):
        column.altair_chart(run_charts.epoch_chart(epochs, metric, run.total_epochs, full_scale=full), width="stretch")
    if no_epoch:
        st.caption(f"Training ended {cut.percent} into epoch 1, before any epoch was complete: no per-epoch curves.")
    elif cut:
        st.caption(
            f"Training ended {cut.percent} into epoch {cut.epoch}: the per-epoch curves show complete epochs only, "
            "and that part-epoch is in the per-batch curves."
        )


def full_scale_toggle(key: str) -> bool:
    """A toggle that draws accuracy from 0 to 100% instead of zooming to the values."""
    return st.toggle(
        "Accuracy from 0 to 100%",
        key=key,
        help="Off: the accuracy axis zooms to the values, so that small differences show.",
    )


def finished_run(key: str) -> None:
    """A finished run (the latest by default): how it ended, its curves, confusion matrix and "use this model"."""
    store = RunStore()
    runs = _recent_results(store)
    if not runs:
        return
    st.subheader("Results")
    run = _pick_result(runs, key)
    batches = store.batch_metrics(run.id)
    _say_outcome(run, batches[-1] if batches else None)
    if not batches:
        return
    cells = st.columns(3)
    cells[0].metric("Test accuracy", f"{run.test_accuracy:.1%}" if run.test_accuracy is not None else "–")
    cells[1].metric(f"Epochs done (of {run.total_epochs})", **_epochs_done(run, batches[-1]))
    cells[2].metric("Training time", run_words.format_duration(run.duration_s or 0), help=f"On {run.device}")
    show_curves(run, batches, store.epoch_metrics(run.id), f"{key}_result", fold_batches=True)
    if run.confusion and run.card:
        st.altair_chart(run_charts.confusion_chart(run.confusion, run.card["labels"]), width="content")
        st.caption(f"Trained on {run.device}. The same run from a terminal: `{run.card['command']}`")
    use_model_button(run, store, key)


def _recent_results(store: RunStore) -> dict[int, Run]:
    """The 20 runs that ended last, latest first, by id."""
    # Runs cancelled while queued never trained: there is nothing to show about them.
    runs = [run for run in store.list_runs(FINISHED) if not run.cancelled]
    return {run.id: run for run in sorted(runs, key=lambda run: run.ended_at or 0, reverse=True)[:20]}


def _pick_result(runs: dict[int, Run], key: str) -> Run:
    """The results picker: the run that just ended, else the one picked before, else the latest."""
    if (wanted := st.session_state.pop(f"{key}_show", None)) in runs:
        st.session_state[f"{key}_result"] = wanted
    elif st.session_state.get(f"{key}_result") not in runs:
        st.session_state.pop(f"{key}_result", None)  # Deleted (on the History page) or too old to list.
    label = lambda run_id: f"Run {run_id}: {runs[run_id].name} ({runs[run_id].status})"  # noqa: E731
    return runs[st.selectbox("Run", list(runs), format_func=label, key=f"{key}_result")]


def _epochs_done(run: Run, last_batch: dict) -> dict:
    """The epochs metric's value and help: "1 + 37%" for a run that ended mid-epoch."""
    cut = run_analysis.cut_epoch(run, last_batch)
    if cut is None:
        return {"value": run.epochs_done}
    done = run_analysis.complete_epochs(run, cut)
    return {"value": f"{done} + {cut.percent}", "help": f"{run_words.count(done, 'epoch')}, then {cut.words()}."}


def _say_outcome(run: Run, last_batch: dict | None) -> None:
    """How the run ended, coloured by its status, with the trainer's log when it failed or died."""
    say = {"completed": st.success, "stopped": st.info, "failed": st.error}.get(run.status, st.warning)
    say(run_words.outcome(run, last_batch))
    if run.status in ("failed", "interrupted") and (log := jobs.read_log(run.id)):
        with st.expander("The trainer's log"):
            st.code(log, language=None)


def use_model_button(run: Run, store: RunStore, key: str) -> None:
    """A button that makes a run's model the one its page uses (Draw for digits, Sign for letters)."""
    task = datasets.task_of(run.spec.get("dataset"))
    model = run_files.model_file(store, run) if task else None  # From the store when it trained on another node.
    if model is None:
        return
    if catalog.active_model(task).resolve() == model.resolve():
        st.success(f"This is the model the app uses for {task}.")
    elif st.button(tasks.get_task(task).use_label, key=f"{key}_use_{run.id}", type="primary"):
        catalog.set_active_model(task, model)
        st.rerun()
