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

import keras
import numpy as np
import tensorflow as tf

from core.data import asl_landmarks, hand_landmarks
from core.labels import SIGN_LETTERS
from core.learn import architectures, recipes
from core.paths import cache_dir, data_dir
from core.vision.landmarks import normalize_landmarks

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
    mlp = recipes.LETTERS_MLP
    parser.add_argument("--widths", type=int, nargs="+", default=list(mlp["widths"]), help="hidden layer widths")
    parser.add_argument("--dropout", type=float, default=mlp["dropout"])
    parser.add_argument("--noise", type=float, default=mlp["noise"], help="training noise in palm sizes")
    parser.add_argument("--no-mirror", action="store_true", help="train without mirrored copies")
    parser.add_argument("--smoothing", type=float, default=RECIPE.label_smoothing, help="label smoothing")
    parser.add_argument("--learning-rate", type=float, default=RECIPE.learning_rate)
    parser.add_argument("--seeds", type=int, default=1, help="average the softmax of this many models")
    parser.add_argument("--mixup", type=float, default=0.0, help="mixup's Beta(a, a) for each batch (0: none)")
    parser.add_argument(
        "--tta-mirror", action="store_true", help="average each test hand's softmax with its mirror image's"
    )
    parser.add_argument(
        "--source-weight", type=float, default=0.0, help="weight samples by their source's size to this power (-)"
    )
    parser.add_argument(
        "--photos-stride", type=int, default=asl_landmarks.PHOTOS_STRIDE, help="train on every n-th asl_photos photo"
    )
    parser.add_argument(
        "--views",
        type=Path,
        help="the .npz of scripts/extract_views.py: each test hand's softmax is averaged over its first reading and "
        "these more looks, as the Sign page reads a photo (asl_photos is then tested on the every-4th photos it holds)",
    )
    return parser.parse_args()


def build_model(args: argparse.Namespace) -> keras.Model:
    """The recipe's MLP, with the widths, dropout and noise the flags give."""
    build = architectures.landmarks_mlp(tuple(args.widths), args.dropout, args.noise)
    return build((asl_landmarks.FEATURES,), len(SIGN_LETTERS))


def train_and_test(args, train_inputs, y_train, w_train, test_inputs) -> tuple[np.ndarray, float]:
    """Fit --seeds fresh models; return their mean softmax on the test inputs and the training time in seconds."""
    started = time.monotonic()
    probabilities = sum(
        read(train_one(args, train_inputs, y_train, w_train, seed), args, test_inputs) for seed in range(args.seeds)
    )
    return probabilities / args.seeds, time.monotonic() - started


def read(model: keras.Model, args, test_inputs) -> np.ndarray:
    """The model's softmax on the test inputs, averaged with the mirrored hands' when --tta-mirror is set.

    With --views the inputs are (N, looks, 63), NaN for a look without a hand: the softmax is averaged over looks.
    """
    if isinstance(test_inputs, np.ndarray) and test_inputs.ndim == 3:
        seen = ~np.isnan(test_inputs[:, :, 0])
        per_look = model.predict(np.nan_to_num(test_inputs.reshape(-1, test_inputs.shape[2])), 1024, 0)
        per_look = per_look.reshape(*seen.shape, -1) * seen[:, :, None]
        return per_look.sum(axis=1) / seen.sum(axis=1, keepdims=True)
    probabilities = model.predict(test_inputs, 1024, 0)
    if not args.tta_mirror:
        return probabilities
    mirrored = test_inputs.reshape(len(test_inputs), -1, 3).copy()
    mirrored[:, :, 0] = -mirrored[:, :, 0]
    return (probabilities + model.predict(mirrored.reshape(len(test_inputs), -1), 1024, 0)) / 2


def train_one(args, train_inputs, y_train, w_train, seed: int) -> keras.Model:
    """Fit a fresh model with this seed."""
    keras.utils.set_random_seed(seed)
    model = build_model(args)
    steps = int(np.ceil(len(y_train) / args.batch_size)) * args.epochs
    warmup = max(1, steps // 20)
    rate = keras.optimizers.schedules.CosineDecay(
        args.learning_rate / 10, max(1, steps - warmup), warmup_target=args.learning_rate, warmup_steps=warmup
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=args.smoothing),
    )
    targets = keras.utils.to_categorical(y_train, len(SIGN_LETTERS)).astype(np.float32)
    # All epochs in one pass over a repeated, reshuffled dataset: Keras' per-epoch overhead (about a second on this
    # busy machine) costs more than the epoch itself for a model this small.
    data = tf.data.Dataset.from_tensor_slices((train_inputs, targets, w_train)).shuffle(len(y_train), seed=seed)
    batches = data.repeat(args.epochs).batch(args.batch_size)
    model.fit(batches.map(mixup(args.mixup, seed)) if args.mixup else batches, epochs=1, verbose=0)
    return model


def mixup(alpha: float, seed: int):
    """A tf.data map that blends each batch with itself reversed, by one Beta(alpha, alpha) weight a batch."""

    def blend(x, y, w):
        gammas = tf.random.gamma([2], alpha, seed=seed)  # Beta(a, a) is A / (A + B) with A, B ~ Gamma(a)
        share = gammas[0] / (gammas[0] + gammas[1])
        return share * x + (1 - share) * x[::-1], share * y + (1 - share) * y[::-1], w

    return blend


def evaluate(args, landmarks: hand_landmarks.LandmarkSet, x: np.ndarray, source: str, looks: np.ndarray | None) -> Fold:
    """Train without `source` (mirrored copies unless --no-mirror), test on its photos with a hand found.

    `x` holds the features of the rows of `landmarks` with a hand found, in order; `looks` the features of the
    --views looks of the same rows, (N, 5, 63), NaN where a look saw no hand.
    """
    found = landmarks.subset(landmarks.found)
    is_test = found.sources == source
    keep = ~is_test & asl_landmarks.thinned_photos(found.sources, args.photos_stride)
    photos, y_test = int((landmarks.sources == source).sum()), found.labels[is_test]
    x_train, y_train = x[keep], found.labels[keep]
    w_train = source_weights(found.sources[keep], args.source_weight)
    if not args.no_mirror:
        x_train, y_train = asl_landmarks.with_mirrored_copies(x_train, y_train)
        w_train = np.concatenate([w_train, w_train])
    test_inputs = x[is_test] if looks is None else np.concatenate([x[is_test, None], looks[is_test]], axis=1)
    probabilities, train_s = train_and_test(args, x_train, y_train, w_train, test_inputs)
    return Fold(source, photos, int(is_test.sum()), int((probabilities.argmax(axis=1) == y_test).sum()), train_s)


def with_views(path: Path | None, landmarks: hand_landmarks.LandmarkSet) -> tuple[hand_landmarks.LandmarkSet, object]:
    """The rows the views file covers, with asl_webcam's photos without a hand, and the features of their looks.

    The looks' features are (found rows, 5, 63), NaN where a look saw no hand. Without a file: all rows, no looks
    (None). The views file holds every 4th asl_photos photo with a hand, so that fold is scored on those alone.
    """
    if path is None:
        return landmarks, None
    with np.load(path) as archive:
        rows, points = archive["rows"], archive["looks"]
    keep = ~landmarks.found & (landmarks.sources != hand_landmarks.ASL_PHOTOS)
    keep[rows] = True
    looks = np.full((len(landmarks), *points.shape[1:3], 3), np.nan, np.float32)
    looks[rows] = points
    looks = looks[keep & landmarks.found]
    features = np.full((*looks.shape[:2], asl_landmarks.FEATURES), np.nan, np.float32)
    kept = landmarks.subset(keep & landmarks.found)
    for row, look in zip(*np.nonzero(~np.isnan(looks[:, :, 0, 0])), strict=True):
        features[row, look] = normalize_landmarks(looks[row, look], kept.handedness[row])
    return landmarks.subset(keep), features


def source_weights(sources: np.ndarray, power: float) -> np.ndarray:
    """Per-sample weights ∝ (rows of the sample's source) ** -power, with mean 1; power 0 weighs all alike."""
    _, index, counts = np.unique(sources, return_inverse=True, return_counts=True)
    weights = counts[index].astype(np.float32) ** -power
    return (weights / weights.mean()).astype(np.float32)


def summary(folds: list[Fold], faces: dict[str, bool]) -> str:
    """Mean, worst and face-in-view mean accuracy over the folds, of all photos and of those with a hand found."""
    face = [f for f in folds if faces.get(f.source)]
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
    faces = asl_landmarks.face_in_view(data_dir())
    sources = args.sources or sorted(set(landmarks.sources.tolist()) - {hand_landmarks.ASL_PHOTOS})
    photos_fold = not args.sources and hand_landmarks.ASL_PHOTOS in landmarks.sources
    sources += ["asl_photos"] if photos_fold else []
    print(f"variant: {' '.join(sys.argv[1:]) or 'the recipe'}", flush=True)
    print(f"{'source':<22} {'face':>4} {'photos':>6} {'found':>6} {'acc all':>8} {'acc found':>9} {'train s':>7}")
    landmarks, looks = with_views(args.views, landmarks)
    if looks is not None:  # The views file holds asl_photos' training rows (every 4th) only: train on all of them.
        args.photos_stride = 1
    x = asl_landmarks.landmark_features(landmarks.subset(landmarks.found))
    folds = []
    for source in sources:
        fold = evaluate(args, landmarks, x, source, looks)
        folds.append(fold)
        face = "yes" if faces.get(source) else "no"
        print(
            f"{source:<22} {face:>4} {fold.photos:>6} {fold.found:>6} {fold.acc_all:>8.1%} {fold.acc_found:>9.1%} "
            f"{fold.train_s:>7.0f}",
            flush=True,
        )
    print("summary: " + summary(folds, faces))


if __name__ == "__main__":
    main()
