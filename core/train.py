"""Command line: `python -m core.train` trains a recipe and records the run where the pages read it."""

import argparse
import os
import shutil
import signal
import sys
from pathlib import Path

from core.learn import jobs, ray_runner, recipes
from core.learn.runs import Run, RunStore
from core.learn.spec import OPTIMIZERS, TrainSpec
from core.learn.trainer import execute_run
from core.storage import write_atomically


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.train", description=__doc__)
    parser.add_argument("--list", action="store_true", help="list the recipes and exit")
    parser.add_argument("--run", type=int, metavar="ID", help="train a run already queued in the store")
    parser.add_argument("--recipe", choices=list(recipes.RECIPES), help="what to train")
    parser.add_argument("--dataset", help="dataset name (default: the recipe's own)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--optimizer", choices=OPTIMIZERS)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--validation-split", type=float, help="0 validates on the test set")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--patience", type=int, help="early-stopping patience in epochs (0: off)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="train on this many samples only")
    parser.add_argument("--image-size", type=int, help="side of the square input for photo datasets")
    parser.add_argument("--init-model", metavar="PATH", help="fine-tune this .keras model instead of fresh weights")
    parser.add_argument(
        "--gpu", action=argparse.BooleanOptionalAction, default=None, help="on a Ray cluster, train on a GPU node"
    )
    parser.add_argument("--name", help="a name for the run (default: recipe on dataset)")
    parser.add_argument("--save-to", type=Path, metavar="PATH", help="also copy the model (and card) here")
    return parser


def print_recipes() -> None:
    """Print every recipe with its datasets, source and reported figure."""
    for recipe in recipes.RECIPES.values():
        print(f"{recipe.name:20} {recipe.description}")
        print(f"{'':20} datasets: {', '.join(recipe.datasets)}; source: {recipe.provenance}")
        if recipe.reported:
            print(f"{'':20} reported: {recipe.reported}")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, train, and print where the model went."""
    args = _parser().parse_args(argv)
    if args.list:
        print_recipes()
        return 0
    store = RunStore()
    verbose = 1 if sys.stdout.isatty() else 2
    if args.run is not None:
        return _train_queued(store, args.run, verbose)
    if not args.recipe:
        _parser().error("give --recipe NAME (see --list), or --run ID")
    return _train_new(store, args, verbose)


def _train_queued(store: RunStore, run_id: int, verbose: int) -> int:
    """Train a run the page queued (exit 2 if it is not waiting), then start the next queued one."""
    try:
        with jobs.hold_trainer_lock(run_id):
            if not store.claim_run(run_id, os.getpid()):
                print(f"error: run {run_id} is {store.get_run(run_id).status}, not waiting to train", file=sys.stderr)
                return 2
            try:
                return execute_run(store, run_id, verbose)
            finally:
                _start_next_queued(store)
    except BlockingIOError as error:  # Another process trains this run.
        print(f"error: {error}", file=sys.stderr)
        return 2


def _train_new(store: RunStore, args: argparse.Namespace, verbose: int) -> int:
    """Record a run from the command line's settings, train it and print how it went."""
    fields = {k: v for k, v in vars(args).items() if k in TrainSpec.__dataclass_fields__ and v is not None}
    try:
        spec = TrainSpec(**fields).resolved()
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    others = [run.id for run in store.list_runs(["running"])]
    # Created as running, so the page's queue never hands this run to a second trainer.
    run_id = store.create_run(spec.to_dict(), args.name or f"{spec.recipe} on {spec.dataset}", status="running")
    with jobs.hold_trainer_lock(run_id):  # So the pages see this process as the run's trainer.
        store.claim_run(run_id, os.getpid())
        print(f"Run {run_id}: {spec.command()}")
        if others:
            print(f"Note: run {', '.join(map(str, others))} is training too; they share the machine.")
        try:
            code = execute_run(store, run_id, verbose)
        finally:
            _start_next_queued(store)
    _print_outcome(store.get_run(run_id), args.save_to)
    return code


def _print_outcome(run: Run, save_to: Path | None) -> None:
    """Print a finished run's test accuracy and model path, copying the model to `save_to` when asked."""
    if not run.model_path:
        return
    print(f"Run {run.id} {run.status}: test accuracy {run.test_accuracy:.4f}; model {run.model_path}")
    if save_to:
        _copy_model(Path(run.model_path), save_to)
        print(f"Copied to {save_to}")


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _start_next_queued(store: RunStore) -> None:
    """Hand the machine to the next queued run, so the queue moves on even with no page open."""
    if ray_runner.enabled():
        # On a cluster the app servers make the run slots, and a slot that ends a run takes the next one itself.
        return
    jobs.start_next(store)


def _copy_model(model_path: Path, target: Path) -> None:
    for source, dest in [
        (model_path, target),
        (model_path.with_suffix(".json"), target.with_suffix(".json")),
    ]:
        write_atomically(dest, lambda tmp, source=source: shutil.copyfile(source, tmp))


if __name__ == "__main__":
    # A polite kill (SIGTERM) ends the run as interrupted, with its metrics, instead of leaving it "running".
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    sys.exit(main())
