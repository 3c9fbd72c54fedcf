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
from core.vision.landmarks import normalize_landmarks  # noqa: E402

RECIPE = recipes.get_recipe("letters-landmarks")
FUSED = ("softmax", "embedding")  # --fuse choices that feed the crop's readings to the MLP


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
    """The variant to evaluate; every default is the recipe's (widths, dropout and noise repeat its model's)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", nargs="+", default=list(hand_landmarks.COLLECTIONS))
    parser.add_argument("--sources", nargs="+", help="evaluate only these held-out sources")
    parser.add_argument("--epochs", type=int, default=RECIPE.epochs)
    parser.add_argument("--batch-size", type=int, default=RECIPE.batch_size)
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 128], help="hidden layer widths")
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--noise", type=float, default=0.02, help="training noise in palm sizes")
    parser.add_argument("--no-mirror", action="store_true", help="train without mirrored copies")
    jitter = recipes.LANDMARK_JITTER or {"rotation_deg": 0.0, "scale": 0.0, "z_scale": 0.0}
    parser.add_argument("--rotation", type=float, default=jitter["rotation_deg"], help="jitter: turn hands (degrees)")
    parser.add_argument("--scale", type=float, default=jitter["scale"], help="jitter: stretch x and y (fraction)")
    parser.add_argument("--z-jitter", type=float, default=jitter["z_scale"], help="jitter: scale z (fraction)")
    parser.add_argument(
        "--features",
        action=argparse.BooleanOptionalAction,
        default=recipes.LANDMARK_FEATURES,
        help="append LandmarkFeatures' invariants",
    )
    parser.add_argument("--z-weight", type=float, default=1.0, help="weight of z in the features (0 drops it)")
    parser.add_argument("--smoothing", type=float, default=RECIPE.label_smoothing, help="label smoothing")
    parser.add_argument("--learning-rate", type=float, default=RECIPE.learning_rate)
    parser.add_argument("--seeds", type=int, default=1, help="average the softmax of this many models")
    parser.add_argument(
        "--tta-mirror", action="store_true", help="average each test hand's softmax with its mirror image's"
    )
    parser.add_argument(
        "--source-weight", type=float, default=0.0, help="weight samples by their source's size to this power (-)"
    )
    parser.add_argument(
        "--photos-stride", type=int, default=asl_landmarks.PHOTOS_STRIDE, help="train on every n-th asl_photos photo"
    )
    parser.add_argument("--crop-readings", type=Path, help="the .npz of scripts/crop_readings.py (for --fuse)")
    parser.add_argument(
        "--fuse",
        choices=("crop-only", "late", "softmax", "embedding"),
        help="crop-only: the CNN's reading of the crop alone; late: the landmark softmax times the crop softmax ** "
        "--fuse-weight, in an extra column and summary beside the landmarks' own (asl_webcam folds); "
        "softmax/embedding: the crop's softmax or embedding beside the landmarks in the MLP, trained on asl_webcam "
        "rows only (the CNN trained on asl_photos)",
    )
    parser.add_argument("--fuse-weight", type=float, default=1.0, help="exponent of the crop softmax (--fuse late)")
    parser.add_argument(
        "--views",
        type=Path,
        help="the .npz of scripts/extract_views.py: each test hand's softmax is averaged over its first reading and "
        "these more looks, as the Sign page reads a photo (asl_photos is then tested on the every-4th photos it holds)",
    )
    return parser.parse_args()


def build_model(args: argparse.Namespace, crop_width: int) -> keras.Model:
    """The recipe's model, or the variant the flags describe (with a second input of `crop_width` when fused)."""
    jitter = dict(rotation_deg=args.rotation, scale=args.scale, z_scale=args.z_jitter)
    jitter = jitter if any(jitter.values()) else None
    build = architectures.landmarks_mlp(
        tuple(args.widths), args.dropout, args.noise, jitter, args.features, args.z_weight
    )
    landmarks_model = build((asl_landmarks.FEATURES,), len(SIGN_LETTERS))
    return fused_model(args, landmarks_model, crop_width) if crop_width else landmarks_model


def fused_model(args, landmarks_model: keras.Model, crop_width: int) -> keras.Model:
    """The landmark MLP's layers before its head, with the crop's readings concatenated before the hidden layers."""
    landmarks_in = keras.Input((asl_landmarks.FEATURES,))
    crop_in = keras.Input((crop_width,))
    stem = [layer for layer in landmarks_model.layers if "landmark" in layer.name or "noise" in layer.name]
    features = landmarks_in
    for layer in stem:
        features = layer(features)
    hidden = keras.layers.Concatenate()([features, keras.layers.Dropout(args.dropout)(crop_in)])
    for width in args.widths:
        hidden = keras.layers.Dense(width, use_bias=False)(hidden)
        hidden = keras.layers.BatchNormalization(momentum=0.9)(hidden)
        hidden = keras.layers.Dropout(args.dropout)(keras.layers.ReLU()(hidden))
    outputs = keras.layers.Dense(len(SIGN_LETTERS), activation="softmax")(hidden)
    return keras.Model([landmarks_in, crop_in], outputs)


def train_and_test(args, train_inputs, y_train, w_train, test_inputs) -> tuple[np.ndarray, float]:
    """Fit --seeds fresh models; return their mean softmax on the test inputs and the training time in seconds.

    The inputs are the landmark features, or (landmark features, crop readings) when fused.
    """
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
    if not args.tta_mirror or isinstance(test_inputs, tuple):
        return probabilities
    mirrored = test_inputs.reshape(len(test_inputs), -1, 3).copy()
    mirrored[:, :, 0] = -mirrored[:, :, 0]
    return (probabilities + model.predict(mirrored.reshape(len(test_inputs), -1), 1024, 0)) / 2


def train_one(args, train_inputs, y_train, w_train, seed: int) -> keras.Model:
    """Fit a fresh model with this seed."""
    keras.utils.set_random_seed(seed)
    model = build_model(args, train_inputs[1].shape[1] if isinstance(train_inputs, tuple) else 0)
    steps = int(np.ceil(len(y_train) / args.batch_size)) * args.epochs
    warmup = max(1, steps // 20)
    rate = keras.optimizers.schedules.CosineDecay(
        args.learning_rate / 10, max(1, steps - warmup), warmup_target=args.learning_rate, warmup_steps=warmup
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=args.smoothing),
    )
    targets = keras.utils.to_categorical(y_train, len(SIGN_LETTERS))
    # All epochs in one pass over a repeated, reshuffled dataset: Keras' per-epoch overhead (about a second on this
    # busy machine) costs more than the epoch itself for a model this small.
    data = tf.data.Dataset.from_tensor_slices((train_inputs, targets, w_train)).shuffle(len(y_train), seed=seed)
    model.fit(data.repeat(args.epochs).batch(args.batch_size), epochs=1, verbose=0)
    return model


def evaluate(
    args, landmarks: hand_landmarks.LandmarkSet, x: np.ndarray, crop: dict, source: str, looks: np.ndarray | None
) -> tuple[Fold, Fold | None]:
    """Train without `source` (mirrored copies unless --no-mirror), test on its photos with a hand found.

    `x` holds the features of the rows of `landmarks` with a hand found, in order; `crop` the crop readings of the
    same rows (NaN for asl_photos), when --crop-readings is given; `looks` the features of the --views looks of the
    same rows, (N, 5, 63), NaN where a look saw no hand. The second fold is the late-fused one (--fuse
    late, asl_webcam sources), else None.
    """
    found = landmarks.subset(landmarks.found)
    is_test = found.sources == source
    keep = ~is_test & asl_landmarks.thinned_photos(found.sources, args.photos_stride)
    keep &= found.sources != hand_landmarks.ASL_PHOTOS if args.fuse in FUSED else True
    photos, y_test = int((landmarks.sources == source).sum()), found.labels[is_test]
    if args.fuse == "crop-only":
        correct = int((crop["softmax"][is_test].argmax(axis=1) == y_test).sum())
        return Fold(source, photos, int(is_test.sum()), correct, 0.0), None
    x_train, y_train = x[keep], found.labels[keep]
    w_train = source_weights(found.sources[keep], args.source_weight)
    c_train = crop[args.fuse][keep] if args.fuse in FUSED else np.zeros((len(y_train), 0), np.float32)
    if not args.no_mirror:  # The crop readings are mirror-averaged already: a mirrored copy keeps its own.
        x_train, y_train = asl_landmarks.with_mirrored_copies(x_train, y_train)
        w_train, c_train = np.concatenate([w_train, w_train]), np.concatenate([c_train, c_train])
    fused = args.fuse in FUSED
    train_inputs = (x_train, c_train) if fused else x_train
    test_inputs = (x[is_test], crop[args.fuse][is_test]) if fused else x[is_test]
    test_inputs = test_inputs if looks is None else np.concatenate([x[is_test, None], looks[is_test]], axis=1)
    probabilities, train_s = train_and_test(args, train_inputs, y_train, w_train, test_inputs)
    fold = Fold(source, photos, int(is_test.sum()), int((probabilities.argmax(axis=1) == y_test).sum()), train_s)
    if args.fuse != "late" or source == hand_landmarks.ASL_PHOTOS:
        return fold, None
    fused = probabilities * crop["softmax"][is_test] ** args.fuse_weight
    return fold, Fold(source, photos, fold.found, int((fused.argmax(axis=1) == y_test).sum()), train_s)


def crop_readings(path: Path | None, landmarks: hand_landmarks.LandmarkSet) -> dict:
    """The crop readings file's softmax and embedding for the rows of `landmarks` with a hand found (NaN if none)."""
    if path is None:
        return {}
    webcam_start = int(np.flatnonzero(landmarks.sources != hand_landmarks.ASL_PHOTOS)[0])
    readings = {}
    with np.load(path) as archive:
        rows = webcam_start + archive["rows"]
        for name in FUSED:
            values = np.full((len(landmarks), archive[name].shape[1]), np.nan, np.float32)
            values[rows] = archive[name]
            readings[name] = values[landmarks.found]
    return readings


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
    photos_fold = not args.sources and args.fuse in (None, "late") and hand_landmarks.ASL_PHOTOS in landmarks.sources
    sources += ["asl_photos"] if photos_fold else []
    crop = crop_readings(args.crop_readings, landmarks)
    print(f"variant: {' '.join(sys.argv[1:]) or 'the recipe'}", flush=True)
    late = " late all" if args.fuse == "late" else ""
    print(f"{'source':<22} {'face':>4} {'photos':>6} {'found':>6} {'acc all':>8} {'acc found':>9} {'train s':>7}{late}")
    landmarks, looks = with_views(args.views, landmarks)
    if looks is not None:  # The views file holds asl_photos' training rows (every 4th) only: train on all of them.
        args.photos_stride = 1
    x = asl_landmarks.landmark_features(landmarks.subset(landmarks.found))
    folds, late_folds = [], []
    for source in sources:
        fold, late_fold = evaluate(args, landmarks, x, crop, source, looks)
        folds.append(fold)
        late_folds += [late_fold] if late_fold else []
        late = f" {late_fold.acc_all:>8.1%}" if late_fold else ""
        face = "yes" if source in asl_landmarks.FACE_IN_VIEW_SOURCES else "no"
        print(
            f"{source:<22} {face:>4} {fold.photos:>6} {fold.found:>6} {fold.acc_all:>8.1%} {fold.acc_found:>9.1%} "
            f"{fold.train_s:>7.0f}{late}",
            flush=True,
        )
    print("summary: " + summary(folds))
    if late_folds:
        webcam = [f for f in folds if f.source != hand_landmarks.ASL_PHOTOS]
        print("summary, landmarks only, asl_webcam folds: " + summary(webcam))
        print(f"summary, late-fused with the crop ** {args.fuse_weight}, asl_webcam folds: " + summary(late_folds))


if __name__ == "__main__":
    main()
