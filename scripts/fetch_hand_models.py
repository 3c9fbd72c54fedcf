"""Fetch MediaPipe's hand models (Apache-2.0) into models/hands/: a no-op when they are there with the right hashes.

Usage: python -m scripts.fetch_hand_models [--dir FOLDER]   (from the project folder)

Needs only the standard library and pip: it downloads the mediapipe 0.10.21 wheel without installing it (mediapipe
cannot be installed beside TensorFlow 2.21), checks its pinned sha256, and extracts the two .tflite files and the
licence, each checked against its own pinned sha256.
"""

import argparse
import sys
from pathlib import Path

from core.vision import hand_model_files


def main(argv: list[str] | None = None) -> int:
    """Fetch the files; exit status 0 when they are ready, 1 (with pip's message) when they could not be fetched."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=hand_model_files.HAND_MODELS_DIR, help="where to put the files")
    args = parser.parse_args(argv)
    try:
        fetched = hand_model_files.fetch(args.dir)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not fetched:
        print(f"Hand models already in {args.dir} (hashes checked).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
