"""Leave one source out: train the letters-landmarks recipe on all other sources, test on the one left out.

Each of the 16 asl_webcam sources (people) and asl_photos in turn is the test set; no photo of its person is
trained on. Photos in which the tracker finds no hand count as wrong in "acc all" and are left out of
"acc found". Prints a table, then one summary line to compare with the targets (mean ≥ 94%, worst ≥ 85%,
face-in-view mean ≥ 93%). Flags try variants of the recipe.

    HANDLAB_DATA_DIR=/path/with/datasets HANDLAB_HOME=/path/to/home python scripts/evaluate_sources.py
"""

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from core.data import asl_landmarks, hand_landmarks  # noqa: E402
from core.labels import SIGN_LETTERS  # noqa: E402
from core.learn import architectures, recipes  # noqa: E402
from core.paths import cache_dir, data_dir  # noqa: E402

RECIPE = recipes.get_recipe("letters-landmarks")


@dataclass(frozen=True)
class Fold:
    """How the model trained without one source did on it."""

    source: str
    photos: int
    found: int
    correct: int
    train_s: float

    @property
    def acc_all(self) -> float:
        """Accuracy over every photo of the source; a photo without a hand found counts as wrong."""
        return self.correct / self.photos

    @property
    def acc_found(self) -> float:
        """Accuracy over the photos with a hand found."""
        return self.correct / max(self.found, 1)


def parse_args() -> argparse.Namespace:
    """The variant to evaluate; every default is the recipe's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", nargs="+", default=list(hand_landmarks.COLLECTIONS))
    parser.add_argument("--sources", nargs="+", help="evaluate only these held-out sources")
    parser.add_argument("--epochs", type=int, default=RECIPE.epochs)
    parser.add_argument("--batch-size", type=int, default=RECIPE.batch_size)
    parser.add_argument("--widths", type=int, nargs="+", help="hidden layer widths (default: the recipe's model)")
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--noise", type=float, default=0.02, help="training noise in palm sizes (with --widths)")
    parser.add_argument("--no-mirror", action="store_true", help="train without mirrored copies")
    parser.add_argument(
        "--photos-stride", type=int, default=asl_landmarks.PHOTOS_STRIDE, help="train on every n-th asl_photos photo"
    )
    return parser.parse_args()


def build_model(args: argparse.Namespace) -> keras.Model:
    """The recipe's model, or the variant the flags describe, compiled like the recipe (AdamW, cosine, smoothing)."""
    build = (
        RECIPE.build if not args.widths else architectures.landmarks_mlp(tuple(args.widths), args.dropout, args.noise)
    )
    return build((asl_landmarks.FEATURES,), len(SIGN_LETTERS))


def train_and_test(args, x_train, y_train, x_test, y_test) -> tuple[int, float]:
    """Fit a fresh model, return how many test rows it reads right and the training time in seconds."""
    keras.utils.set_random_seed(0)
    model = build_model(args)
    steps = int(np.ceil(len(x_train) / args.batch_size)) * args.epochs
    warmup = max(1, steps // 20)
    rate = keras.optimizers.schedules.CosineDecay(
        RECIPE.learning_rate / 10, max(1, steps - warmup), warmup_target=RECIPE.learning_rate, warmup_steps=warmup
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=RECIPE.label_smoothing),
    )
    started = time.monotonic()
    targets = keras.utils.to_categorical(y_train, len(SIGN_LETTERS))
    # All epochs in one pass over a repeated, reshuffled dataset: Keras' per-epoch overhead (about a second on this
    # busy machine) costs more than the epoch itself for a model this small.
    data = tf.data.Dataset.from_tensor_slices((x_train, targets)).shuffle(len(x_train), seed=0)
    model.fit(data.repeat(args.epochs).batch(args.batch_size), epochs=1, verbose=0)
    train_s = time.monotonic() - started
    if not len(x_test):
        return 0, train_s
    predicted = model.predict(x_test, batch_size=1024, verbose=0).argmax(axis=1)
    return int((predicted == y_test).sum()), train_s


def evaluate(args, landmarks: hand_landmarks.LandmarkSet, x: np.ndarray, source: str) -> Fold:
    """Train without `source` (mirrored copies unless --no-mirror), test on its photos with a hand found.

    `x` holds the features of the rows of `landmarks` with a hand found, in order.
    """
    found = landmarks.subset(landmarks.found)
    is_test = found.sources == source
    keep = ~is_test & asl_landmarks.thinned_photos(found.sources, args.photos_stride)
    x_train, y_train = x[keep], found.labels[keep]
    if not args.no_mirror:
        x_train, y_train = asl_landmarks.with_mirrored_copies(x_train, y_train)
    correct, train_s = train_and_test(args, x_train, y_train, x[is_test], found.labels[is_test])
    return Fold(source, int((landmarks.sources == source).sum()), int(is_test.sum()), correct, train_s)


def summary(folds: list[Fold]) -> str:
    """Mean, worst and face-in-view mean accuracy over the folds, of all photos and of those with a hand found."""
    face = [f for f in folds if f.source in asl_landmarks.FACE_IN_VIEW_SOURCES]
    worst = min(folds, key=lambda f: f.acc_all)

    def mean(values) -> str:
        return f"{np.mean(values):.1%}" if values else "n/a"

    return (
        f"mean {mean([f.acc_all for f in folds])} (found: {mean([f.acc_found for f in folds])}), "
        f"worst {worst.acc_all:.1%} ({worst.source}), "
        f"face-in-view mean {mean([f.acc_all for f in face])} (found: {mean([f.acc_found for f in face])}), "
        f"train {np.mean([f.train_s for f in folds]):.0f} s a fold"
    )


def main() -> None:
    """Evaluate every source in turn and print the table and the summary."""
    args = parse_args()
    landmarks = hand_landmarks.load_collections(data_dir(), tuple(args.collections), cache_dir())
    sources = args.sources or sorted(set(landmarks.sources.tolist()) - {hand_landmarks.ASL_PHOTOS})
    sources += [] if args.sources or hand_landmarks.ASL_PHOTOS not in landmarks.sources else ["asl_photos"]
    print(f"variant: {' '.join(sys.argv[1:]) or 'the recipe'}", flush=True)
    print(f"{'source':<22} {'face':>4} {'photos':>6} {'found':>6} {'acc all':>8} {'acc found':>9} {'train s':>7}")
    x = asl_landmarks.landmark_features(landmarks.subset(landmarks.found))
    folds = []
    for source in sources:
        fold = evaluate(args, landmarks, x, source)
        folds.append(fold)
        face = "yes" if source in asl_landmarks.FACE_IN_VIEW_SOURCES else "no"
        print(
            f"{source:<22} {face:>4} {fold.photos:>6} {fold.found:>6} {fold.acc_all:>8.1%} {fold.acc_found:>9.1%} "
            f"{fold.train_s:>7.0f}",
            flush=True,
        )
    print("summary: " + summary(folds))


if __name__ == "__main__":
    main()
