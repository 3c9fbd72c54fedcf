"""Score a letters crop model (`letters-cnn` and the like) on the image test sets, with and without mirroring.

Sets: the ASL photos' block split (every fifth hundred of photo numbers), their look-alike-groups split (whole
clusters of similar rooms and people), and Sign MNIST test upscaled as the model card says. A model only
counts on a split it was not trained on: the shipped model trains on the block split, so its groups figure is
not held out, and a `--dataset letters_groups` model's block figure is not (the script says so).

    HANDLAB_DATA_DIR=../shared/datasets python scripts/evaluate_letters.py path/to/crop_model.keras

The shipped letters model reads hand landmarks, not images: `scripts/evaluate_sources.py` measures such models
(leave one source out), and this script says so instead of scoring one.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from core.data import datasets
from core.data.datasets import DatasetMissing
from core.predictor import Predictor

SETS = {
    "ASL photos, block split": ("asl_photos", "blocks"),
    "ASL photos, look-alike groups": ("asl_photos", "groups"),
    "Sign MNIST test": ("sign_mnist", None),
}


def accuracy(predictor: Predictor, images: np.ndarray, labels: np.ndarray, mirror: bool) -> float:
    """Accuracy on uint8 images; with `mirror`, the average of the image's and its mirror's probabilities."""
    # The bare network, so that "plain" stays plain even when the card asks readers to mirror.
    x = images.astype(np.float32)[..., None] / 255.0
    probabilities = predictor.model.predict(x, batch_size=512, verbose=0)
    if mirror:
        probabilities = (probabilities + predictor.model.predict(x[:, :, ::-1], batch_size=512, verbose=0)) / 2
    return float(np.mean(probabilities.argmax(axis=1) == labels))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="a letters model that reads images, e.g. a letters-cnn run's")
    args = parser.parse_args()
    predictor = Predictor(args.model)
    if predictor.reads_landmarks:
        print(f"{args.model} reads hand landmarks, not images: use scripts/evaluate_sources.py", file=sys.stderr)
        return 2
    trained_on = predictor.card.get("dataset", "?")
    print(f"{args.model} ({predictor.image_size}×{predictor.image_size}, trained on {trained_on})")
    for title, (name, split) in SETS.items():
        try:
            if name == "asl_photos":
                data = datasets.load_asl_photos(predictor.image_size, split)
            else:
                data = datasets.load_dataset(name, image_size=predictor.image_size)
        except DatasetMissing as error:
            print(f"  {title}: skipped ({error})")
            continue
        plain = accuracy(predictor, data.x_test, data.y_test, mirror=False)
        mirrored = accuracy(predictor, data.x_test, data.y_test, mirror=True)
        # Each ASL split holds out photos only from the model trained on the other split's training photos.
        seen = split is not None and trained_on != ("letters_groups" if split == "groups" else "letters")
        note = "  (not held out: the model trained on some of these photos)" if seen else ""
        print(f"  {title}: {plain:.2%}, with mirroring {mirrored:.2%} ({len(data.y_test)} images){note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
