"""Tests for core.vision.spelling: smoothing, "not sure", and the held letters to write."""

import numpy as np
import pytest

from core.vision.spelling import Speller, SpellingSettings

LABELS = ("A", "B", "C")
FPS = 10


def probs(letter: str, p: float = 0.9) -> np.ndarray:
    """Probabilities with `letter` at p and the rest shared equally."""
    out = np.full(len(LABELS), (1 - p) / (len(LABELS) - 1), np.float32)
    out[LABELS.index(letter)] = p
    return out


def feed(speller: Speller, frames: list, start_s: float = 0.0):
    """Feed frames at FPS; return the states."""
    return [speller.update(frame, start_s + i / FPS) for i, frame in enumerate(frames)]


def written(states) -> str:
    """The letters the states wrote, in order."""
    return "".join(state.added for state in states if state.added)


def test_letter_held_for_the_hold_time_is_written_once():
    speller = Speller(LABELS, SpellingSettings(window_s=0.3, hold_s=1.0, threshold=0.6))
    states = feed(speller, [probs("B")] * 30)  # three seconds of a steady B
    assert written(states) == "B"
    assert [s.added for s in states].count("B") == 1
    first = next(i for i, s in enumerate(states) if s.added)
    assert first == 10  # written as soon as it was held for 1.0 s at 10 fps
    assert 0 < states[5].held < 1
    assert states[-1].held == 1.0


def test_two_letters_in_a_row_spell_a_word():
    speller = Speller(LABELS, SpellingSettings(window_s=0.2, hold_s=0.5))
    assert written(feed(speller, [probs("C")] * 10 + [probs("A")] * 10 + [probs("B")] * 10)) == "CAB"


def test_a_repeated_letter_needs_the_hand_to_leave_or_change_in_between():
    speller = Speller(LABELS, SpellingSettings(window_s=0.2, hold_s=0.5))
    assert written(feed(speller, [probs("A")] * 10 + [None] * 2 + [probs("A")] * 10)) == "AA"
    assert written(feed(speller, [probs("A")] * 20, start_s=2.2)) == ""  # holding on writes nothing more


def test_low_confidence_is_not_sure_and_writes_nothing():
    speller = Speller(LABELS, SpellingSettings(threshold=0.6))
    states = feed(speller, [probs("B", 0.5)] * 40)
    assert written(states) == ""
    assert all(s.letter is None for s in states)
    assert states[-1].confidence == pytest.approx(0.5)
    assert states[-1].hand


def test_one_odd_frame_is_smoothed_away():
    speller = Speller(LABELS, SpellingSettings(window_s=0.5, hold_s=1.0))
    frames = [probs("B")] * 8 + [probs("C", 0.95)] + [probs("B")] * 8
    states = feed(speller, frames)
    assert all(s.letter == "B" for s in states)
    assert written(states) == "B"  # the hold was not restarted by the odd frame


def test_no_hand_resets_the_hold():
    speller = Speller(LABELS, SpellingSettings(window_s=0.2, hold_s=1.0))
    assert written(feed(speller, [probs("A")] * 8 + [None] + [probs("A")] * 8)) == ""
    state = speller.update(None, 5.0)
    assert state.letter is None
    assert not state.hand


def test_settings_changed_midway_take_effect():
    speller = Speller(LABELS, SpellingSettings(hold_s=5.0))
    assert written(feed(speller, [probs("A")] * 10)) == ""
    speller.settings = SpellingSettings(hold_s=0.5)
    assert speller.update(probs("A"), 1.0).added == "A"


def test_probabilities_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError, match="Expected 3 probabilities"):
        Speller(LABELS).update(np.ones(4) / 4, 0.0)


@pytest.mark.parametrize("kwargs", [{"hold_s": 0}, {"window_s": -1}, {"threshold": 0}, {"threshold": 1.5}])
def test_impossible_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match="must be"):
        SpellingSettings(**kwargs)
