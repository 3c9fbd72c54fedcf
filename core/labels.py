"""The class names Handlab knows, defined once (the tasks that read them are in core.tasks)."""

DIGITS = tuple("0123456789")
# Sign Language MNIST numbers the letters A..Y as 0..24; J (9) and Z (25) need motion and are left out.
SIGN_LABELS = tuple(label for label in range(25) if label != 9)
SIGN_LETTERS = tuple(chr(ord("A") + label) for label in SIGN_LABELS)
MOTION_LETTERS = ("J", "Z")  # drawn in the air: read from the hand's motion (core.vision.motion_letters)
ALPHABET = tuple(sorted(SIGN_LETTERS + MOTION_LETTERS))  # the 26 letters fingerspelling uses
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
PIMA_CLASSES = ("no diabetes", "diabetes")
