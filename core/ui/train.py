"""Streamlit glue of the Train page: the form with its checks, the start button, live runs and the last result."""

import time
from pathlib import Path

import streamlit as st

from core.data import datasets
from core.learn import catalog, jobs, recipes
from core.learn.runs import FINISHED, Run, RunStore
from core.learn.spec import DEFAULT_LEARNING_RATES, OPTIMIZERS, TrainSpec
from core.ui import run_charts, run_words
from core.ui.markup import plain

RUN_REFRESH_S = 1.0  # How often the Train page reads the run store while it is open.
USE_MODEL_LABELS = {
    "digits": "Use this model on the Draw page",
    "letters": "Use this model on the Sign page",
    "fashion": "Make this the fashion model",
}


def train_form(key: str) -> TrainSpec | None:
    """The training settings, defaulting to the chosen recipe's; a checked spec, or None after saying what to fix."""
    left, right = st.columns(2)
    dataset = left.selectbox("Dataset", list(datasets.DATASETS), format_func=_dataset_label, key=f"{key}_dataset")
    info = datasets.get_info(dataset)
    fitting = sorted(recipes.recipes_for(info.kind), key=lambda recipe: dataset not in recipe.datasets)
    recipe = recipes.get_recipe(right.selectbox("Recipe", [r.name for r in fitting], key=f"{key}_recipe_{dataset}"))
    reported = f" Reported: {recipe.reported}." if recipe.reported else ""
    right.caption(f"{recipe.description} *Source: {recipe.provenance}.*{reported}")
    tuned = f"{key}_{recipe.name}"  # Per-recipe keys: picking another recipe brings back its own defaults.
    task = catalog.TASK_OF_DATASET.get(dataset)
    starts = [None, *(catalog.model_choices(task) if task else [])]
    start = left.selectbox(
        "Start from",
        starts,
        format_func=lambda c: c.label if c else "Fresh weights",
        key=f"{tuned}_start",
        help="Fine-tune a trained model instead of starting from scratch.",
    )
    cells = st.columns(3)
    epochs = cells[0].number_input("Epochs", 1, 1000, recipe.epochs, key=f"{tuned}_epochs")
    batch_size = cells[1].number_input("Batch size", 1, 4096, recipe.batch_size, key=f"{tuned}_batch")
    default_rate = recipe.learning_rate or DEFAULT_LEARNING_RATES[recipe.optimizer]
    rate = cells[2].number_input("Learning rate", 1e-5, 1.0, default_rate, step=1e-4, format="%g", key=f"{tuned}_rate")
    with (expander := st.expander("More settings")):
        more = _more_settings(recipe, info, tuned)
    ready, note = run_words.dataset_note(dataset)
    if note:
        (st.info if ready else st.error)(note)
    if not ready:
        return None
    chosen = {"epochs": epochs, "batch_size": batch_size, "learning_rate": rate}
    try:
        spec = TrainSpec(
            recipe.name, dataset, **chosen, **more, init_model=str(start.path) if start else None
        ).resolved()
    except ValueError as error:
        st.error(str(error))
        return None
    expander.caption(f"The same run from a terminal: `{spec.command()}`")
    return spec


def start_button(spec: TrainSpec | None, key: str) -> None:
    """A "Start training" button ("Add to the queue" while a run trains), disabled until the form is valid."""
    busy = bool(RunStore().list_runs(["running"]))
    label = "Add to the queue" if busy else "Start training"
    # Not a callback: a click that also commits an edited field must start the run with the edited value.
    if not st.button(label, type="primary", disabled=spec is None, key=f"{key}_start", icon=":material/play_arrow:"):
        return
    run_id = jobs.start_run(spec)
    waiting = RunStore().get_run(run_id).status == "queued"
    st.session_state[f"{key}_watched"] = st.session_state.get(f"{key}_watched", set()) | {run_id}
    st.toast(f"Run {run_id} waits for the run before it." if waiting else f"Run {run_id} is starting.")
    st.rerun()  # Redraw the page with the new run in it.


def _more_settings(recipe: recipes.Recipe, info: datasets.DatasetInfo, tuned: str) -> dict:
    """The less common settings, as TrainSpec fields."""
    cells = st.columns(3)
    optimizer = cells[0].selectbox("Optimizer", OPTIMIZERS, OPTIMIZERS.index(recipe.optimizer), key=f"{tuned}_opt")
    split = cells[1].slider(
        "Validation split",
        0.0,
        0.5,
        recipe.validation_split,
        0.05,
        key=f"{tuned}_split",
        help="Share of the training data held out to validate; 0 validates on the test set.",
    )
    patience = cells[2].number_input(
        "Early-stopping patience",
        0,
        1000,
        recipe.patience,
        key=f"{tuned}_patience",
        help="Stop after this many epochs without a better validation loss; 0: off.",
    )
    augment = cells[0].toggle(
        "Augment images",
        recipe.augment,
        key=f"{tuned}_augment",
        disabled=info.kind != "image",
        help=_augmentation_help(recipe),
    )
    seed = cells[1].number_input("Seed", 0, 2**31 - 1, 0, key=f"{tuned}_seed", help="Same seed, same run.")
    limit = cells[2].number_input(
        "Training samples to use (0: all)",
        0,
        None,
        0,
        step=1000,
        key=f"{tuned}_limit",
        help="A few thousand samples give a quick first try.",
    )
    size = cells[0].number_input(
        "Image size (px)",
        16,
        128,
        recipe.image_size,
        key=f"{tuned}_size",
        disabled=not info.resizable,
        help="Only photo datasets can be resized.",
    )
    return {
        "optimizer": optimizer,
        "validation_split": split,
        "augment": augment,
        "patience": patience,
        "seed": seed,
        "limit": limit or None,
        "image_size": size if info.resizable else None,
    }


def _dataset_label(name: str) -> str:
    info = datasets.get_info(name)
    if run_words.dataset_note(name)[0]:  # ready to train, possibly after a download
        return info.title
    return f"{info.title} ({'not on this machine' if info.sources else 'not enough saved yet'})"


def _augmentation_help(recipe: recipes.Recipe) -> str:
    aug = recipe.augmentation
    flip = ", mirror left-right" if aug.flip else ""
    return (
        f"Training images are randomly rotated ±{aug.rotation_deg:g}°, zoomed ±{aug.zoom:.0%} "
        f"and shifted ±{aug.shift:.0%}{flip}."
    )


@st.fragment(run_every=RUN_REFRESH_S)
def live_runs(key: str) -> None:
    """The runs training and waiting, redrawn every second; the whole page reruns when one starts or ends."""
    store = RunStore()
    jobs.refresh(store)
    running, queue = store.list_runs(["running"]), jobs.queued_runs(store)
    watched = {run.id for run in running + queue}
    before = st.session_state.get(f"{key}_watched")
    st.session_state[f"{key}_watched"] = watched
    if before is not None and before != watched:
        if ended := before - watched:
            st.session_state[f"{key}_show"] = max(ended)  # Show the run that just ended.
        st.rerun()  # Redraw the whole page, so the start button and the results are current.
    if watched:
        st.subheader("Training now")
    for run in running:
        _live_run(run, store, key)
    if queue:
        st.markdown(f"**Waiting to train** ({len(queue)}): one run trains at a time.")
    for position, run in enumerate(queue, start=1):
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.write(f"{position}. Run {run.id}: {plain(run.name)}, {run.spec.get('epochs')} epochs")
        button.button("Cancel", key=f"{key}_cancel_{run.id}", width="stretch", on_click=jobs.stop_run, args=(run.id,))


def _live_run(run: Run, store: RunStore, key: str) -> None:
    """A training run's progress bar, stop button and live curves."""
    with st.container(border=True):
        head, button = st.columns([5, 1], vertical_alignment="center")
        head.markdown(
            f"**Run {run.id}: {plain(run.name)}** · " + (f"training on {run.device}" if run.device else "starting")
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
        batches = store.batch_metrics(run.id)
        progress = run_words.progress(run, batches)
        if progress is None:
            waited = run_words.format_duration(time.time() - (run.started_at or run.created_at))
            st.progress(0.0, text=f"Starting: loading TensorFlow and the data ({waited})…")
            return
        st.progress(progress.fraction, text=run_words.progress_caption(progress))
        if run.stop_requested:
            st.caption("Stopping: finishing this batch, then testing and saving the model.")
        elif progress.silent_s > run_words.STALL_AFTER_S:
            st.warning(f"No news from the trainer for {run_words.format_duration(progress.silent_s)}.")
        show_curves(run, batches, store.epoch_metrics(run.id))


def show_curves(run: Run, batches: list[dict], epochs: list[dict], fold_batches: bool = False) -> None:
    """Loss and accuracy side by side: per batch, then per epoch (training against validation)."""
    batch_row = st.expander("Loss and accuracy per batch") if fold_batches else st.container()
    for column, metric in zip(batch_row.columns(2), ("loss", "accuracy"), strict=True):
        column.altair_chart(run_charts.batch_chart(batches, metric, run.steps_per_epoch or 1), width="stretch")
    for column, metric in zip(st.columns(2), ("loss", "accuracy"), strict=True):
        column.altair_chart(run_charts.epoch_chart(epochs, metric, run.total_epochs), width="stretch")


def finished_run(key: str) -> None:
    """A finished run (the latest by default): how it ended, its curves, confusion matrix and "use this model"."""
    store = RunStore()
    # Runs cancelled while queued never trained: there is nothing to show about them.
    runs = [run for run in store.list_runs(FINISHED) if run.steps_per_epoch or run.status != "stopped"]
    runs = {run.id: run for run in sorted(runs, key=lambda run: run.ended_at or 0, reverse=True)[:20]}
    if not runs:
        return
    st.subheader("Results")
    if (wanted := st.session_state.pop(f"{key}_show", None)) in runs:
        st.session_state[f"{key}_result"] = wanted
    elif st.session_state.get(f"{key}_result") not in runs:
        st.session_state.pop(f"{key}_result", None)  # Deleted (on the History page) or too old to list.
    label = lambda run_id: f"Run {run_id}: {runs[run_id].name} ({runs[run_id].status})"  # noqa: E731
    run = runs[st.selectbox("Run", list(runs), format_func=label, key=f"{key}_result")]
    say = {"completed": st.success, "stopped": st.info, "failed": st.error}.get(run.status, st.warning)
    say(run_words.outcome(run))
    if run.status in ("failed", "interrupted") and (log := jobs.read_log(run.id)):
        with st.expander("The trainer's log"):
            st.code(log, language=None)
    batches = store.batch_metrics(run.id)
    if not batches:
        return
    cells = st.columns(3)
    cells[0].metric("Test accuracy", f"{run.test_accuracy:.1%}" if run.test_accuracy is not None else "–")
    cells[1].metric("Epochs", f"{run.epochs_done}/{run.total_epochs}")
    cells[2].metric("Training time", run_words.format_duration(run.duration_s or 0), help=f"On {run.device}")
    show_curves(run, batches, store.epoch_metrics(run.id), fold_batches=True)
    if run.confusion and run.card:
        st.altair_chart(run_charts.confusion_chart(run.confusion, run.card["labels"]), width="content")
        st.caption(f"Trained on {run.device}. The same run from a terminal: `{run.card['command']}`")
    use_model_button(run, key)


def use_model_button(run: Run, key: str) -> None:
    """A button that makes a run's model the one its page uses (Draw for digits, Sign for letters)."""
    task = catalog.TASK_OF_DATASET.get(run.spec.get("dataset"))
    if task is None or not run.model_path or not Path(run.model_path).is_file():
        return
    if catalog.active_model(task).resolve() == Path(run.model_path).resolve():
        st.success(f"This is the model the app uses for {task}.")
    elif st.button(USE_MODEL_LABELS[task], key=f"{key}_use_{run.id}", type="primary"):
        catalog.set_active_model(task, Path(run.model_path))
        st.rerun()
