"""Tests for core.ui.letter_guide (the Sign page's guide; how it shows J and Z is tested there too)."""

import io

import numpy as np
from PIL import Image

from core.labels import ALPHABET, MOTION_LETTERS
from core.ui.letter_guide import LETTER_GUIDE, motion_picture


def test_guide_describes_all_26_letters_and_says_j_and_z_move():
    assert tuple(LETTER_GUIDE) == ALPHABET
    assert all(len(text) > 15 for text in LETTER_GUIDE.values())
    assert all(LETTER_GUIDE[letter].startswith("Moving:") for letter in MOTION_LETTERS)


def test_j_and_z_are_drawn_as_animations_whose_path_grows():
    for letter in MOTION_LETTERS:
        gif = Image.open(io.BytesIO(motion_picture(letter)))
        assert gif.format == "GIF"
        assert gif.n_frames > 20
        blue = []
        for frame in (0, gif.n_frames - 1):
            gif.seek(frame)
            rgb = np.asarray(gif.convert("RGB")).astype(int)
            blue.append(int(((rgb[..., 2] > 200) & (rgb[..., 0] < 80)).sum()))
        assert blue[1] > blue[0] + 100  # the path is drawn as the fingertip goes
