"""Tests for core.ui.letter_guide (the Sign page's guide; that it says why J and Z are missing is tested there)."""

from core.labels import SIGN_LETTERS
from core.ui.letter_guide import LETTER_GUIDE


def test_guide_describes_exactly_the_24_static_letters():
    assert tuple(LETTER_GUIDE) == SIGN_LETTERS
    assert "J" not in LETTER_GUIDE
    assert "Z" not in LETTER_GUIDE
    assert all(len(text) > 15 for text in LETTER_GUIDE.values())
