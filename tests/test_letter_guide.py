"""Tests for core.letter_guide."""

import pytest

from core.labels import SIGN_LETTERS
from core.vision.letter_guide import LETTER_GUIDE, describe_letter


def test_guide_describes_exactly_the_24_static_letters():
    assert tuple(LETTER_GUIDE) == SIGN_LETTERS
    assert "J" not in LETTER_GUIDE
    assert "Z" not in LETTER_GUIDE
    assert all(len(text) > 15 for text in LETTER_GUIDE.values())


def test_motion_letters_explain_why_they_are_missing():
    assert "motion" in describe_letter("j")
    assert describe_letter(" b ") == LETTER_GUIDE["B"]


def test_non_letters_are_refused():
    with pytest.raises(ValueError, match="not a letter"):
        describe_letter("7")
