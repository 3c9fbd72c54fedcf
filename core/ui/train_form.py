"""Streamlit glue of the Train page's form: dataset, recipe and settings with their checks, and the start button."""

import streamlit as st

from core.data import datasets, mnist_other, samples
from core.data.loaders import MY_SIGNS_REPEATS
from core.labels import DIGITS
from core.learn import catalog, jobs, ray_runner, recipes
from core.learn.runs import RunStore
from core.learn.spec import DEFAULT_LEARNING_RATES, OPTIMIZERS, TrainSpec, recipes_for_dataset
from core.predictor import load_card
from core.ui import run_words
from core.ui.train import QUEUE_ANCHOR

# Measured (docs/letters.md, "Fine-tuning on My signs"): the letters model fine-tuned on a dozen saved signs alone read
# 39% of the letters not saved (98% before), and another person worse, also with one sign of every letter; the same
# signs mixed into the ASL landmarks (my_signs_with_asl) kept the other letters at 98% and the other people.
FORGETS_OTHER_LETTERS = (
    "Fine-tuning on your saved signs alone makes the letters model worse: measured on a person it never saw, 12 "
    "saved signs of 4 letters taught it those 4, but it then read 39% of the other letters (98% before), and one "
    "saved sign of every letter made it read another person worse (85% → 54%). Pick the dataset “My signs + ASL "
    "hand landmarks” instead: it mixes your signs into the ASL photos' landmarks, and the model keeps the rest."
)
# Measured (docs/digits.md, "Teaching it what it does not know"): the shipped digits model fine-tuned this way on
# mnist_other with 20 saved pluses and 20 lightning bolts flagged 55% of held-out pluses (17.5% before), and digits
# as before.
TEACH_NOT_DIGITS = {"epochs": 1, "learning_rate": 3e-4}
MIXES_MY_SIGNS = (
    f"Your saved signs are mixed into the ASL hand landmarks (~20,000 rows), each counted {MY_SIGNS_REPEATS} times: "
    "the model learns your way of signing and keeps the other letters. The test covers your held-out signs and "
    "three people the letters data holds out. Measured on a person the shipped model never saw, who saved 12 signs "
    "of the 4 letters it read worst: their other 20 letters stayed at 98%, the 4 letters went from 31% to 92% (on "
    "frames much like the saved ones), and two other people read as well as before (docs/letters.md)."
)


def train_form(key: str) -> TrainSpec | None:
    """The training settings, defaulting to the chosen recipe's; a checked spec, or None after saying what to fix."""
    # Its own row: a dataset that cannot be used yet says in its name what it needs and where, a long line.
    dataset = st.selectbox(
        "Dataset", list(datasets.DATASETS), format_func=run_words.dataset_label, key=f"{key}_dataset"
    )
    left, right = st.columns(2)
    info = datasets.get_info(dataset)
    recipe = _recipe_picker(right, dataset, key)
    tuned = f"{key}_{recipe.name}"  # Per-recipe keys: picking another recipe brings back its own defaults.
    start = _start_picker(left, dataset, tuned)
    if start is not None:
        left.caption(fine_tuning_note(start))
    if start is not None and dataset == "my_sign_landmarks":
        st.warning(FORGETS_OTHER_LETTERS, icon=":material/warning:")
    if dataset == "my_signs_with_asl":
        st.caption(MIXES_MY_SIGNS)
    if dataset == "mnist_other":
        saved = samples.count_samples(samples.MY_DIGITS)  # one listing of the folder for both counts
        st.caption(saved_drawings_note(saved.get(samples.NOT_A_DIGIT, 0), sum(saved.get(d, 0) for d in DIGITS)))
        if start is not None:
            epochs, rate = TEACH_NOT_DIGITS["epochs"], TEACH_NOT_DIGITS["learning_rate"]
            st.button(
                f"Use {epochs} epoch at {rate:g}",
                key=f"{tuned}_teach",
                on_click=_use_settings,
                args=(tuned, TEACH_NOT_DIGITS),
                help="The settings measured to teach a trained digits model what you saved (docs/digits.md); the "
                "recipe's own are for training from fresh weights.",
            )
    chosen = _main_settings(recipe, tuned)
    with (expander := st.expander("More settings")):
        more = _more_settings(recipe, info, tuned)
    if not _dataset_ready(dataset):
        return None
    spec = _checked_spec(recipe, dataset, chosen | more, start)
    if spec is not None:
        expander.caption(f"The same run from a terminal: `{spec.command()}`")
    return spec


def saved_drawings_note(not_digits: int, digits: int) -> str:
    """What the user's own drawings from "That was wrong?" add to mnist_other, or how to add some."""
    if not not_digits + digits:
        return (
            "Drew something the model read as a digit that is none (a plus, a house)? On the Draw page, "
            "“That was wrong?” → “It's not a digit” saves it, and a run on this dataset learns from it."
        )
    saved = [f"{not_digits} piece{'s' * (not_digits != 1)} you saved as not a digit"] if not_digits else []
    saved += [f"{digits} digit{'s' * (digits != 1)} you corrected"] if digits else []
    return (
        f"Includes the {' and the '.join(saved)} on the Draw page, each counted {mnist_other.SAVED_REPEAT} times. "
        "Measured: 20 saved pluses, 1 epoch from the shipped model (about 3 min on 2 cores), took held-out pluses "
        "from 22% to 72% not read as a sure digit (docs/digits.md). The run fits its own not-a-digit threshold at "
        "its end."
    )


def _use_settings(tuned: str, settings: dict) -> None:
    """Set the main settings' fields (a button's callback: before the fields are drawn again)."""
    st.session_state[f"{tuned}_epochs"] = settings["epochs"]
    st.session_state[f"{tuned}_rate"] = settings["learning_rate"]


def start_button(spec: TrainSpec | None, key: str) -> None:
    """A "Start training" button ("Add to the queue" while a run trains), disabled until the form is valid; under it,
    where the run it started is now (the queue is at the top of the page, far from the button)."""
    on_cluster = ray_runner.enabled()  # Runs train side by side there: no run waits for the one before it.
    busy = not on_cluster and bool(RunStore().list_runs(["running"]))
    label = "Add to the queue" if busy else "Start training"
    # Not a callback: a click that also commits an edited field must start the run with the edited value.
    if st.button(label, type="primary", disabled=spec is None, key=f"{key}_start", icon=":material/play_arrow:"):
        run_id = jobs.start_run(spec)
        waiting = RunStore().get_run(run_id).status == "queued"
        st.session_state[f"{key}_watched"] = st.session_state.get(f"{key}_watched", set()) | {run_id}
        st.session_state[f"{key}_started"] = run_id
        if on_cluster:
            st.toast(f"Run {run_id} went to the cluster: it starts on the first node with room.")
        else:
            st.toast(f"Run {run_id} waits for the run before it." if waiting else f"Run {run_id} is starting.")
        st.rerun()  # Redraw the page with the new run in it.
    _say_where_it_is(key)


def _say_where_it_is(key: str) -> None:
    """Under the button: the run it started, waiting (and its place in the queue) or training, with a link up to it."""
    store = RunStore()
    run_id = st.session_state.get(f"{key}_started")
    queue = [run.id for run in jobs.queued_runs(store)]
    running = {run.id for run in store.list_runs(["running"])}
    if run_id in queue:
        place = "next in line" if queue.index(run_id) == 0 else f"number {queue.index(run_id) + 1} in line"
        if ray_runner.enabled():
            when = "when a node of the cluster has room"
        else:
            when = "when the run training now ends" if place == "next in line" else "when the runs ahead of it end"
        st.info(
            f"Run {run_id} is waiting to train, {place}: it starts by itself {when}. "
            f"[See the queue ↑](#{QUEUE_ANCHOR})",
            icon=":material/schedule:",
        )
    elif run_id in running:
        st.success(f"Run {run_id} is training. [Watch it ↑](#{QUEUE_ANCHOR})", icon=":material/model_training:")
    else:
        st.session_state.pop(f"{key}_started", None)  # It ended: the results above say how.


def _recipe_picker(column, dataset: str, key: str) -> recipes.Recipe:
    """The recipes that fit the dataset (those written for it first), with the chosen one's source."""
    fitting = [recipe.name for recipe in recipes_for_dataset(dataset)]
    recipe = recipes.get_recipe(column.selectbox("Recipe", fitting, key=f"{key}_recipe_{dataset}"))
    reported = f" Reported: {recipe.reported}." if recipe.reported else ""
    column.caption(f"{recipe.description} *Source: {recipe.provenance}.*{reported}")
    return recipe


def _start_picker(column, dataset: str, tuned: str) -> catalog.ModelChoice | None:
    """Fresh weights, or a trained model of the dataset's task to fine-tune."""
    task = datasets.task_of(dataset)
    starts = [None, *(catalog.model_choices(task) if task else [])]
    return column.selectbox(
        "Start from",
        starts,
        format_func=lambda c: c.label if c else "Fresh weights",
        key=f"{tuned}_start",
        help="Fresh weights: the recipe's layers, trained from scratch. A trained model: fine-tune it.",
    )


def fine_tuning_note(start: catalog.ModelChoice) -> str:
    """What fine-tuning from a trained model means, naming what that model is."""
    try:
        card = load_card(start.path)
    except ValueError:
        card = {}
    made = f" ({card['recipe']}, trained on {card['dataset']})" if {"recipe", "dataset"} <= card.keys() else ""
    who = "the shipped model" if start.run_id is None else f"run {start.run_id}"
    return (
        f"Fine-tuning: training continues from the weights of {who}{made} and keeps its layers, so it starts from "
        "what that model has learnt. The recipe gives only how to train it (optimizer, loss, augmentation and the "
        "settings here), not the recipe's own layers."
    )


def _main_settings(recipe: recipes.Recipe, tuned: str) -> dict:
    """Epochs, batch size and learning rate, as TrainSpec fields."""
    cells = st.columns(3)
    epochs = cells[0].number_input("Epochs", 1, 1000, recipe.epochs, key=f"{tuned}_epochs")
    batch_size = cells[1].number_input("Batch size", 1, 4096, recipe.batch_size, key=f"{tuned}_batch")
    default_rate = recipe.learning_rate or DEFAULT_LEARNING_RATES[recipe.optimizer]
    rate = cells[2].number_input("Learning rate", 1e-5, 1.0, default_rate, step=1e-4, format="%g", key=f"{tuned}_rate")
    return {"epochs": epochs, "batch_size": batch_size, "learning_rate": rate}


def _more_settings(recipe: recipes.Recipe, info: datasets.DatasetInfo, tuned: str) -> dict:
    """The less common settings, as TrainSpec fields."""
    cells = st.columns(3)
    more = _fitting_settings(cells, recipe, tuned) | _sample_settings(cells, recipe, tuned)
    if recipe.kind == "image":  # Landmarks and table rows have no size.
        size = cells[0].number_input(
            "Image size (px)",
            16,
            128,
            recipe.image_size,
            key=f"{tuned}_size",
            disabled=not info.resizable,
            help="Only photo datasets can be resized.",
        )
        more["image_size"] = size if info.resizable else None
    if ray_runner.enabled():  # Locally TensorFlow takes a GPU when there is one: there is nothing to choose.
        more["gpu"] = (
            st.checkbox("Train on a GPU node", key=f"{tuned}_gpu", help="Waits for a node with a GPU.") or None
        )
    return more


def _fitting_settings(cells: list, recipe: recipes.Recipe, tuned: str) -> dict:
    """The first row of more settings: optimizer, validation split and early stopping."""
    optimizer = cells[0].selectbox("Optimizer", OPTIMIZERS, OPTIMIZERS.index(recipe.optimizer), key=f"{tuned}_opt")
    split = cells[1].slider(
        "Validation split",
        0.0,
        0.5,
        recipe.validation_split,
        0.05,
        key=f"{tuned}_split",
        help="Share of the training data held out to validate, calibrate the confidence and stop early on; "
        "0: none, so no validation curve, no early stopping and no calibration. The test set is never used.",
    )
    patience = cells[2].number_input(
        "Early-stopping patience",
        0,
        1000,
        recipe.patience,
        key=f"{tuned}_patience",
        help="Stop after this many epochs without a better validation loss, keeping the best epoch's weights; "
        "0: off. Needs a validation split.",
    )
    return {"optimizer": optimizer, "validation_split": split, "patience": patience}


def _sample_settings(cells: list, recipe: recipes.Recipe, tuned: str) -> dict:
    """The second row of more settings: augmentation (images only), seed and how many training samples to use."""
    augment = recipe.kind == "image" and cells[0].toggle(
        "Augment images", recipe.augment, key=f"{tuned}_augment", help=_augmentation_help(recipe)
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
    return {"augment": augment, "seed": seed, "limit": limit or None}


def _dataset_ready(dataset: str) -> bool:
    """Whether a run on the dataset can start, after showing what the user should know about its files."""
    ready, note = run_words.dataset_note(dataset)
    if note:
        (st.info if ready else st.error)(note)
    return ready


def _checked_spec(
    recipe: recipes.Recipe, dataset: str, settings: dict, start: catalog.ModelChoice | None
) -> TrainSpec | None:
    """The resolved spec of the chosen settings, or None after showing what is wrong with them."""
    try:
        return TrainSpec(recipe.name, dataset, **settings, init_model=str(start.path) if start else None).resolved()
    except ValueError as error:
        st.error(str(error))
        return None


def _augmentation_help(recipe: recipes.Recipe) -> str:
    aug = recipe.augmentation
    flip = ", mirror left-right" if aug.flip else ""
    return (
        f"Training images are randomly rotated ±{aug.rotation_deg:g}°, zoomed ±{aug.zoom:.0%} "
        f"and shifted ±{aug.shift:.0%}{flip}."
    )
