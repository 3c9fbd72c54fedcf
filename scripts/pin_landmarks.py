"""Record the hand pipeline's landmarks on a few fixed photos, the pins that keep the landmark caches honest.

tests/test_hand_landmarks.py checks that HandTracker.find_in_photo still gives these landmarks while
hand_landmarks.PIPELINE_VERSION is the version they were recorded under. After a change of outputs, bump
PIPELINE_VERSION (the caches are then rebuilt) and record the pins again:

    HANDLAB_DATA_DIR=../shared/datasets python scripts/pin_landmarks.py
"""

import json

import cv2

from core.data.hand_landmarks import PIPELINE_VERSION
from core.paths import PROJECT_DIR, data_dir
from core.vision.hand_tracker import HandTracker

PINS_PATH = PROJECT_DIR / "tests" / "data" / "landmark_pins.json"
# Photos under HANDLAB_DATA_DIR: a hand alone, faces in view, a dim room the retry finds, a hand never found.
PINNED_PHOTOS = (
    "asl_photos/A/A0.jpg",
    "asl_webcam/mariia00/A/0.jpg",
    "asl_webcam/kingdavidko/B/0.jpg",
    "asl_webcam/6omega9/B/0.jpg",
    "asl_webcam/6omega9/A/33.jpg",
)


def main() -> None:
    """Read the pinned photos with today's pipeline and write their landmarks (or null) to PINS_PATH."""
    tracker = HandTracker()
    pins = {}
    for name in PINNED_PHOTOS:
        hand = tracker.find_in_photo(cv2.imread(str(data_dir() / name), cv2.IMREAD_COLOR))
        pins[name] = None if hand is None else [[round(float(v), 2) for v in point] for point in hand.landmarks_px]
        print(name, "no hand" if hand is None else f"hand, wrist at {pins[name][0][:2]}")
    PINS_PATH.write_text(json.dumps({"pipeline_version": PIPELINE_VERSION, "landmarks_px": pins}, indent=1) + "\n")
    print(f"wrote {PINS_PATH}")


if __name__ == "__main__":
    main()
