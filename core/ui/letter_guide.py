"""The ASL fingerspelling guide: a short description of each letter's handshape, and J and Z drawn as they move.

J and Z are drawn in the air: a single frame cannot show them (live video reads them: core.vision.motion_letters),
so the guide shows each as a short animation (`motion_picture`). Descriptions are for the right hand, palm facing
the camera unless said otherwise.
"""

import functools
import io

import cv2
import numpy as np
from PIL import Image

from core.labels import ALPHABET

LETTER_GUIDE: dict[str, str] = {
    "A": "Fist, thumb resting against the side of the index finger.",
    "B": "Flat hand, four fingers up and together, thumb folded across the palm.",
    "C": "Fingers and thumb curved into the shape of a C, seen from the side.",
    "D": "Index finger up; the other fingers curve to touch the thumb tip, making a circle.",
    "E": "Fingertips bent down to rest on the thumb, which lies across the palm.",
    "F": "Index finger and thumb touch in a circle; the other three fingers up and apart.",
    "G": "Index finger and thumb point sideways, parallel, the other fingers closed; back of hand out.",
    "H": "Index and middle fingers together, pointing sideways; thumb holds the other fingers.",
    "I": "Fist with the little finger up.",
    "J": "Moving: make an I and draw a J in the air with the little finger: down, then hooking towards you and up.",
    "K": "Index and middle fingers up in a V, thumb tip between them.",
    "L": "Index finger up and thumb out: an L.",
    "M": "Thumb tucked under the index, middle and ring fingers, which fold over it.",
    "N": "Thumb tucked under the index and middle fingers, which fold over it.",
    "O": "All fingertips curve to meet the thumb tip: an O.",
    "P": "Like K, but pointing down: index out, middle finger down, thumb between them.",
    "Q": "Like G, but pointing down: index finger and thumb point to the floor.",
    "R": "Index and middle fingers up and crossed.",
    "S": "Fist with the thumb across the front of the fingers.",
    "T": "Fist with the thumb tucked between the index and middle fingers.",
    "U": "Index and middle fingers up and together.",
    "V": "Index and middle fingers up and apart: a V.",
    "W": "Index, middle and ring fingers up and apart; thumb holds the little finger.",
    "X": "Fist with the index finger raised and bent like a hook.",
    "Y": "Thumb and little finger out, the other fingers closed.",
    "Z": "Moving: point the index finger up (as in D) and draw a Z in the air: across, diagonally back, across.",
}

if tuple(LETTER_GUIDE) != ALPHABET:  # Checked at import: the guide must cover every letter, in order.
    raise RuntimeError("The letter guide must list the 26 letters A–Z, in order.")

# The fingertip's path of each moving letter, as the signer sees it in the mirrored video (x right, y down, 0..1).
MOTION_PATHS = {
    "J": np.array([[0.55, 0.06], [0.55, 0.38], [0.5, 0.5], [0.4, 0.55], [0.3, 0.5], [0.26, 0.42]]),
    "Z": np.array([[0.25, 0.08], [0.72, 0.08], [0.25, 0.48], [0.72, 0.48]]),
}
PICTURE_PX, PICTURE_FRAMES, FRAME_MS = 160, 24, 70


@functools.cache
def motion_picture(letter: str) -> bytes:
    """An animated GIF of the letter being drawn: the hand's fingertip travelling along the path it leaves.

    Made once per server: the two took ~180 ms here, and the Sign page draws the guide on every run."""
    corners = MOTION_PATHS[letter]
    steps = np.linalg.norm(np.diff(corners, axis=0), axis=1)
    along = np.concatenate([[0], np.cumsum(steps)]) / steps.sum()
    frames = []
    for t in np.linspace(0, 1, PICTURE_FRAMES):
        done = np.stack([np.interp(np.linspace(0, t, 40), along, corners[:, axis]) for axis in range(2)], axis=1)
        frames.append(Image.fromarray(_drawn(done * PICTURE_PX, pinky=letter == "J")))
    frames += [frames[-1]] * 8  # rest on the whole letter before it starts again
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0)
    return out.getvalue()


def _drawn(path_px: np.ndarray, pinky: bool) -> np.ndarray:
    """One frame (RGB): the path so far in blue, and a fist with one finger up whose tip is at its end."""
    picture = np.full((PICTURE_PX, PICTURE_PX, 3), 255, np.uint8)
    points = np.round(path_px).astype(np.int32)
    cv2.polylines(picture, [points], False, (0, 120, 255), 4, cv2.LINE_AA)
    tip = points[-1]
    finger_x = 10 if pinky else -10  # the little finger at the fist's outer side, the index at its inner side
    knuckle = (int(tip[0]), int(tip[1] + 34))
    fist = (int(tip[0] - finger_x), int(tip[1] + 52))
    cv2.ellipse(picture, fist, (22, 18), 0, 0, 360, (225, 180, 150), -1, cv2.LINE_AA)
    cv2.line(picture, knuckle, (int(tip[0]), int(tip[1])), (225, 180, 150), 9, cv2.LINE_AA)
    cv2.circle(picture, (int(tip[0]), int(tip[1])), 5, (220, 60, 60), -1, cv2.LINE_AA)
    return picture
