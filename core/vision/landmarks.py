"""MediaPipe's hand landmark model (hand_landmark_full) on a hand crop, and landmarks normalised for a letters model.

The 21 landmarks: 0 wrist; 1–4 thumb; 5–8 index; 9–12 middle; 13–16 ring; 17–20 little finger (base to tip).
"""

from dataclasses import dataclass

import numpy as np

from core.vision import hand_model_files
from core.vision.hand_rois import MIDDLE_MCP, WRIST

LANDMARKS = 21
MIN_PRESENCE = 0.5  # MediaPipe's threshold on the hand-presence score.


@dataclass(frozen=True)
class LandmarkReading:
    """What the landmark model says about one crop."""

    landmarks_crop: np.ndarray  # (21, 3) float32 in crop pixels (z: depth relative to the wrist, same scale).
    presence: float  # In [0, 1]: how sure the model is that the crop holds a hand.
    right_score: float  # In [0, 1]: how sure it is that the hand is a right hand, in an unmirrored frame.

    @property
    def handedness(self) -> str:
        """ "right" or "left", as seen in an unmirrored camera frame."""
        return "right" if self.right_score >= 0.5 else "left"


class LandmarkModel:
    """Runs hand_landmark_full with LiteRT: read(crop_rgb) -> LandmarkReading."""

    def __init__(self, interpreter=None, threads: int = 2):
        """Use a LiteRT interpreter for the model; by default open the checked file in models/hands/."""
        interpreter = interpreter or hand_model_files.open_model(hand_model_files.LANDMARK_MODEL, threads)
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]["index"]
        # Outputs by name: Identity landmarks (63), Identity_1 presence, Identity_2 handedness, Identity_3 world
        # landmarks (metres, unused here). Presence and handedness come out of the model as probabilities already.
        by_name = {d["name"]: d["index"] for d in interpreter.get_output_details()}
        self._landmarks, self._presence, self._handedness = (by_name[f"Identity{s}"] for s in ("", "_1", "_2"))

    def landmarks_in(self, crop_rgb: np.ndarray) -> LandmarkReading:
        """The landmarks, presence and handedness in a 224×224×3 RGB float32 crop in [0, 1], the hand pointing up."""
        self._interpreter.set_tensor(self._input, crop_rgb[None].astype(np.float32, copy=False))
        self._interpreter.invoke()
        landmarks = self._interpreter.get_tensor(self._landmarks).reshape(LANDMARKS, 3)
        presence = float(self._interpreter.get_tensor(self._presence).reshape(-1)[0])
        # MediaPipe labels this score "Left" because it assumes a mirrored (selfie) picture; in the unmirrored frames
        # a webcam or a photo gives, it is the score of the signer's right hand.
        right = float(self._interpreter.get_tensor(self._handedness).reshape(-1)[0])
        return LandmarkReading(landmarks.astype(np.float32), presence, right)


def normalize_landmarks(landmarks: np.ndarray, handedness: str) -> np.ndarray:
    """The (63,) float32 input a letters model reads: translation, scale and hand independent, orientation kept.

    The wrist moves to the origin, lengths are divided by the palm size (wrist to middle-finger base, in x and y),
    and left hands are mirrored in x so that both hands sign alike. The hand is not turned: a letter's meaning
    can depend on which way the hand points (H and U, for example).
    """
    if handedness not in ("left", "right"):
        raise ValueError(f'handedness must be "left" or "right", not {handedness!r}')
    points = np.asarray(landmarks, np.float32).reshape(LANDMARKS, 3)
    points = points - points[WRIST]
    palm = float(np.linalg.norm(points[MIDDLE_MCP, :2]))
    if palm < 1e-6:
        raise ValueError("the wrist and the middle-finger base are at the same place: not a hand")
    points = points / palm
    if handedness == "left":
        points[:, 0] = -points[:, 0]
    return points.reshape(-1).astype(np.float32)
