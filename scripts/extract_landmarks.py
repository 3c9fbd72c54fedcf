"""Fill the hand-landmark caches of asl_photos and asl_webcam, then print the detection rate per source.

Every photo goes through HandTracker.find_in_photo in a pool of two processes; the caches land in
HANDLAB_HOME/cache and are reused while the photos and the hand pipeline stay the same.

    HANDLAB_DATA_DIR=/path/with/datasets HANDLAB_HOME=/path/to/home python scripts/extract_landmarks.py
"""

import argparse
import time

from core.data import hand_landmarks
from core.paths import cache_dir, data_dir


def detection_table(landmarks: hand_landmarks.LandmarkSet) -> list[str]:
    """One line per source: photos, hands found, the found rate."""
    lines = [f"{'source':<22} {'photos':>6} {'found':>6} {'rate':>7}"]
    for source in sorted(set(landmarks.sources.tolist())):
        found = landmarks.found[landmarks.sources == source]
        lines.append(f"{source:<22} {len(found):>6} {int(found.sum()):>6} {found.mean():>7.1%}")
    lines.append(f"{'all':<22} {len(landmarks):>6} {int(landmarks.found.sum()):>6} {landmarks.found.mean():>7.1%}")
    return lines


def main() -> None:
    """Extract (or read from the cache) each collection's landmarks and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", nargs="+", default=list(hand_landmarks.COLLECTIONS))
    args = parser.parse_args()
    started = time.monotonic()
    landmarks = hand_landmarks.load_collections(data_dir(), tuple(args.collections), cache_dir())
    print(f"{len(landmarks)} photos in {time.monotonic() - started:.0f} s (cached ones take no time)", flush=True)
    print("\n".join(detection_table(landmarks)))


if __name__ == "__main__":
    main()
