"""Model recipes: each model the Train page offers, with its source and training settings."""

from collections.abc import Callable
from dataclasses import dataclass, field

import keras
from keras import layers

from core.learn import architectures

# How a recipe's labels and outputs are set up; the training code turns this into a loss.
LOSSES = ("categorical", "sparse", "sparse_logits", "binary")


@dataclass(frozen=True)
class Augmentation:
    """Random changes applied to training images only (Keras preprocessing layers)."""

    rotation_deg: float = 10.0  # maximum rotation either way
    zoom: float = 0.1  # maximum zoom in or out, as a fraction
    shift: float = 0.1  # maximum shift in x and y, as a fraction of the size
    flip: bool = False  # mirror left-right (right for hands, wrong for digits)
    contrast: float = 0.0  # maximum contrast change either way, as a fraction (webcam light varies)
    brightness: float = 0.0  # maximum brightness shift either way, as a fraction of the [0, 1] range
    fill_mode: str = "constant"  # what fills uncovered corners: "constant" (black, as behind ink) or "nearest"

    def build_layers(self, seed: int) -> list[keras.Layer]:
        """The preprocessing layers for this augmentation."""
        # One seed per layer: layers given the same seed draw the same random numbers, so every rotation would
        # come with its matching zoom and shift instead of an independent one.
        aug = [
            layers.RandomRotation(self.rotation_deg / 360, fill_mode=self.fill_mode, seed=seed),
            layers.RandomZoom(self.zoom, fill_mode=self.fill_mode, seed=seed + 1),
            layers.RandomTranslation(self.shift, self.shift, fill_mode=self.fill_mode, seed=seed + 2),
        ]
        aug += [layers.RandomFlip("horizontal", seed=seed + 3)] if self.flip else []
        aug += [layers.RandomContrast(self.contrast, seed=seed + 4)] if self.contrast else []
        if self.brightness:
            aug.append(layers.RandomBrightness(self.brightness, value_range=(0.0, 1.0), seed=seed + 5))
        return aug


@dataclass(frozen=True)
class Recipe:
    """A named model with its training settings; `build(input_shape, num_classes)` returns an uncompiled model."""

    name: str
    description: str
    provenance: str  # where the recipe comes from
    build: Callable[[tuple[int, ...], int], keras.Model]
    kind: str = "image"  # "image", "tabular" or "landmarks": which datasets it fits
    datasets: tuple[str, ...] = ("mnist",)  # the datasets it was made for; the first is the default
    reported: str | None = None  # the figure the source reported
    loss: str = "categorical"  # one of LOSSES
    optimizer: str = "adam"
    learning_rate: float | None = None  # None: the optimizer's Keras default
    schedule: str | None = None  # "cosine" (with a short warm-up) or None for a constant rate
    label_smoothing: float = 0.0
    epochs: int = 10
    batch_size: int = 32
    validation_split: float = 0.0  # 0: no validation (the tutorials validated on the test set; Handlab never does)
    patience: int = 0  # early stopping on val_loss; 0 turns it off
    augment: bool = False  # whether training augments by default
    augmentation: Augmentation = field(default_factory=Augmentation)
    image_size: int = 28


_OWN = "Handlab's own recipe (see docs/models.md)"
# letters-landmarks' MLP (scripts/evaluate_sources.py starts its variants from it). Jitter (turns, stretches) and
# added invariant features measured as ties in leave-one-source-out (docs/letters.md), so the MLP has neither.
LETTERS_MLP = {"widths": (256, 128), "dropout": 0.2, "noise": 0.02}

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe(
            "mnist-dense-512",
            "Two dense layers: 512 ReLU units, then softmax.",
            "Chollet, Deep Learning with Python, ch. 2 (first MNIST network)",
            architectures.dense(512),
            reported="98.0% MNIST test",
            optimizer="rmsprop",
            epochs=5,
            batch_size=128,
        ),
        Recipe(
            "mnist-dense-64-32",
            "Dense 64 → 32 → 10 with 30% of the training set held out for validation.",
            "Keras MNIST dense tutorial (64-32-10 MLP)",
            architectures.dense(64, 32),
            reported="97.1% MNIST test",
            epochs=30,
            batch_size=128,
            validation_split=0.3,
        ),
        Recipe(
            "mnist-tf-beginner",
            "Flatten → Dense 128 → Dropout 0.2 → 10 logits.",
            "TensorFlow 2 quickstart for beginners",
            architectures.dense(128, dropout=0.2, output=None),
            reported="98.1% MNIST test",
            loss="sparse_logits",
            epochs=5,
        ),
        Recipe(
            "fashion-dense-128",
            "Flatten → Dense 128 → 10 logits, on clothing images.",
            "TensorFlow basic classification tutorial (Fashion-MNIST)",
            architectures.dense(128, output=None),
            datasets=("fashion_mnist",),
            reported="88.4% Fashion-MNIST test",
            loss="sparse_logits",
            epochs=10,
        ),
        Recipe(
            "asl-dense-512",
            "Dense 512 → 512 → 24: overfits the sign images.",
            "NVIDIA DLI Getting Started with Deep Learning, ASL lab",
            architectures.dense(512, 512),
            datasets=("sign_mnist", "asl_photos"),
            reported="98% train, 84% validation on Sign MNIST",
            optimizer="rmsprop",
            epochs=20,
        ),
        Recipe(
            "asl-cnn",
            "Conv 75/50/25 with BatchNorm, max-pooling and dropout, Dense 512.",
            "NVIDIA DLI Getting Started with Deep Learning, ASL CNN lab",
            architectures.asl_cnn,
            datasets=("sign_mnist", "asl_photos"),
            reported="96–97% validation on Sign MNIST at the best epoch, 91–95% at the last (the lab's runs)",
            optimizer="rmsprop",
            epochs=20,
        ),
        Recipe(
            "asl-cnn-augmented",
            "The ASL CNN trained with rotation, zoom, shift and flip augmentation.",
            "NVIDIA DLI Getting Started with Deep Learning, data augmentation lab",
            architectures.asl_cnn,
            datasets=("sign_mnist", "asl_photos"),
            reported="98.9–99.9% validation on Sign MNIST at the best epoch, 94.5–99.9% at the last (the lab's runs)",
            optimizer="rmsprop",
            epochs=20,
            augment=True,
            # ImageDataGenerator's settings in the lab, and its default fill: the nearest edge pixel.
            augmentation=Augmentation(rotation_deg=10, zoom=0.1, shift=0.1, flip=True, fill_mode="nearest"),
        ),
        Recipe(
            "pima-dense",
            "Dense 128 → 128 → Dropout → sigmoid, with early stopping, on patient records.",
            "Keras tabular classification tutorial (Pima Indians Diabetes)",
            architectures.pima_dense,
            kind="tabular",
            datasets=("pima",),
            loss="binary",
            epochs=200,
            validation_split=0.2,
            patience=10,
        ),
        Recipe(
            "digits-cnn",
            "Small CNN with BatchNorm, dropout, augmentation, cosine learning rate and label smoothing.",
            _OWN,
            architectures.small_cnn((32, 64), dense=128, dropout=0.25),
            datasets=("mnist", "mnist_pen", "mnist_other"),
            optimizer="adamw",
            learning_rate=3e-3,
            schedule="cosine",
            label_smoothing=0.1,
            epochs=12,
            batch_size=128,
            validation_split=0.1,
            augment=True,
            augmentation=Augmentation(rotation_deg=10, zoom=0.1, shift=0.1),
        ),
        Recipe(
            "digits-fast",
            "Two-block CNN with BatchNorm and a one-cycle-like cosine rate: 99% on MNIST in three epochs.",
            _OWN,
            architectures.fast_cnn,
            datasets=("mnist",),
            optimizer="adamw",
            learning_rate=5e-3,
            schedule="cosine",
            epochs=3,
            batch_size=128,
            validation_split=0.05,
        ),
        Recipe(
            "fashion-cnn",
            "Four-conv CNN with BatchNorm, dropout, mirror-and-shift augmentation and a cosine learning rate.",
            _OWN,
            architectures.small_cnn((32, 64), dense=256, dropout=0.3),
            datasets=("fashion_mnist",),
            optimizer="adamw",
            learning_rate=2e-3,
            schedule="cosine",
            label_smoothing=0.1,
            epochs=15,
            batch_size=128,
            validation_split=0.1,
            augment=True,
            augmentation=Augmentation(rotation_deg=0, zoom=0.05, shift=0.08, flip=True),
        ),
        Recipe(
            "letters-cnn",
            "64×64 CNN for hand signs, trained on real photos and Sign MNIST with strong augmentation "
            "(light, contrast, rotation, scale, shift, mirror) so it holds up on webcams.",
            _OWN,
            architectures.small_cnn((24, 48, 96), dense=128, dropout=0.3, stem=16),
            datasets=("letters", "letters_groups", "asl_photos", "sign_mnist"),
            optimizer="adamw",
            learning_rate=2e-3,
            schedule="cosine",
            label_smoothing=0.1,
            epochs=15,
            batch_size=64,
            validation_split=0.1,
            augment=True,
            augmentation=Augmentation(rotation_deg=15, zoom=0.15, shift=0.1, flip=True, contrast=0.3, brightness=0.2),
            image_size=64,
        ),
        Recipe(
            "letters-landmarks",
            "MLP on the hand's 21 normalised landmarks (63 numbers), for signs from any person at any webcam.",
            _OWN,
            architectures.landmarks_mlp(**LETTERS_MLP),
            kind="landmarks",
            datasets=("asl_landmarks", "my_signs_with_asl", "my_sign_landmarks"),
            optimizer="adamw",
            learning_rate=2e-3,
            schedule="cosine",
            label_smoothing=0.1,
            epochs=30,
            batch_size=512,  # 63 numbers a sample: small batches cost Keras' per-step overhead, not learning.
            validation_split=0.1,
        ),
    ]
}


def get_recipe(name: str) -> Recipe:
    """The recipe called `name`; ValueError lists the valid names."""
    if name not in RECIPES:
        raise ValueError(f"Unknown recipe {name!r}. Choose one of: {', '.join(RECIPES)}.")
    return RECIPES[name]
