"""The ASL fingerspelling guide: a short description of the handshape of each static letter.

J and Z are drawn in the air: a single frame cannot show them (live video reads them: core.vision.motion_letters).
Descriptions are for the right hand, palm facing the camera unless said otherwise.
"""

from core.labels import SIGN_LETTERS

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
}

if tuple(LETTER_GUIDE) != SIGN_LETTERS:  # Checked at import: the guide must cover exactly the model's letters.
    raise RuntimeError("The letter guide must list the 24 static letters A–Y without J, in order.")
