"""Tests for core.vision.spelling and core.vision.words: holds and moves, double letters, words ended and guessed."""

from dataclasses import replace

import numpy as np
import pytest

from core.labels import SIGN_LETTERS
from core.vision.spelling import WRITE_AFTER_S, Speller, SpellingSettings
from core.vision.words import WordGuess, guess_word

LABELS = SIGN_LETTERS
FPS = 15
PALM_PX = 60.0  # wrist to the middle finger's base in the synthetic hand
RNG = np.random.default_rng(0)


def probs(letter: str, p: float = 0.9, runner_up: str | None = None) -> np.ndarray:
    """Probabilities with `letter` at p, and the rest on `runner_up` or shared equally."""
    out = np.full(len(LABELS), 0.001, np.float32)
    out[LABELS.index(runner_up or letter)] += 1 - p if runner_up else 0
    out[LABELS.index(letter)] = p
    return out / out.sum()


def hand(offset_xy=(0.0, 0.0), jitter_px: float = 0.5) -> np.ndarray:
    """21 landmarks of a hand at an offset, with a webcam's jitter."""
    base = np.zeros((21, 3), np.float32)
    base[:, 0] = 300 + np.linspace(-30, 30, 21)
    base[:, 1] = 200 + np.linspace(40, -60, 21)
    base[9, :2] = base[0, :2] + (0, -PALM_PX)
    base[:, :2] += offset_xy
    base[:, :2] += RNG.normal(0, jitter_px, (21, 2))
    return base


class Stream:
    """Frames at FPS: (probabilities, landmarks) or (None, None), with their times."""

    def __init__(self) -> None:
        self.frames: list[tuple[np.ndarray | None, np.ndarray | None]] = []
        self.offset = np.zeros(2)

    def hold(self, letter: str, seconds: float, p: float = 0.9, runner_up: str | None = None) -> "Stream":
        self.frames += [(probs(letter, p, runner_up), hand(self.offset)) for _ in range(round(seconds * FPS))]
        return self

    def flicker(self, letter: str, other: str, seconds: float) -> "Stream":
        """A hold whose every third frame reads another letter."""
        for i in range(round(seconds * FPS)):
            self.frames.append((probs(other if i % 3 == 2 else letter), hand(self.offset)))
        return self

    def move(self, seconds: float = 0.2, palms: float = 1.0, back: bool = False) -> "Stream":
        """The hand travelling `palms` palm lengths sideways (or down and back up: a bounce) with unclear letters."""
        steps = round(seconds * FPS)
        start = self.offset.copy()
        for i in range(1, steps + 1):
            fraction = i / steps
            shift = np.sin(np.pi * fraction) if back else fraction
            offset = start + (0, shift * palms * PALM_PX) if back else start + (shift * palms * PALM_PX, 0)
            self.frames.append((np.full(len(LABELS), 1 / len(LABELS), np.float32), hand(offset)))
        self.offset = start if back else offset
        return self

    def leave(self, seconds: float = 1.0) -> "Stream":
        self.frames += [(None, None)] * round(seconds * FPS)
        return self

    def feed(self, speller: Speller, start_s: float = 0.0):
        return [speller.update(p, lm, start_s + i / FPS) for i, (p, lm) in enumerate(self.frames)]


def spell(word: str, hold_s: float = 0.8, move_s: float = 0.25) -> Stream:
    """A word at a signer's pace: holds with moves between, a bounce for a double letter, then the hand leaves."""
    stream = Stream()
    for i, letter in enumerate(word):
        if i:
            stream.move(move_s, back=letter == word[i - 1])
        stream.hold(letter, hold_s)
    return stream.leave()


def written(states) -> str:
    return "".join(state.added for state in states if state.added)


def ended(states) -> list[WordGuess]:
    return [state.ended for state in states if state.ended]


def test_a_steady_stream_writes_its_letters_and_ends_the_word_when_the_hand_leaves():
    states = spell("CAB").feed(Speller(LABELS))
    assert written(states) == "CAB"
    (word,) = ended(states)
    assert (word.raw, word.chosen) == ("CAB", "CAB")
    assert states[-1].word == ""  # the next letter starts a new word
    assert any(state.moving for state in states)


def test_a_flickering_hold_is_read_once_from_all_of_its_frames():
    states = Stream().flicker("W", "V", 0.8).move().flicker("E", "S", 0.8).leave().feed(Speller(LABELS))
    assert written(states) == "WE"


def test_a_double_letter_with_a_bounce_is_written_twice_and_a_long_hold_once():
    assert written(spell("HELLO").feed(Speller(LABELS))) == "HELLO"
    long_hold = Stream().hold("L", 3.0).leave().feed(Speller(LABELS))
    assert written(long_hold) == "L"


def test_a_long_hold_is_written_without_waiting_for_the_next_move():
    states = Stream().hold("B", 2.0).feed(Speller(LABELS))
    first = next(i for i, state in enumerate(states) if state.added)
    assert first / FPS == pytest.approx(WRITE_AFTER_S, abs=1.5 / FPS)
    assert 0 < states[2].held < 1
    assert states[first].held == 1.0
    assert states[first].letter == "B"


def test_the_first_letter_after_the_hand_appears_counts_even_when_short():
    states = Stream().leave(0.5).hold("S", 0.35).move().hold("I", 0.35).leave().feed(Speller(LABELS))
    assert written(states) == "SI"


def test_moves_and_blips_shorter_than_a_hold_write_nothing():
    stream = Stream().hold("A", 0.8).move(0.2)
    stream.hold("X", 0.1).move(0.2).hold("B", 0.8)  # a passing shape between two letters
    stream.frames.insert(5, (None, None))  # one frame where the detector missed the hand
    assert written(stream.leave().feed(Speller(LABELS))) == "AB"


def test_an_unsure_hold_writes_nothing():
    states = (
        Stream().hold("M", 1.5, p=0.4, runner_up="N").leave().feed(Speller(LABELS, SpellingSettings(threshold=0.6)))
    )
    assert written(states) == ""
    assert all(state.letter is None for state in states)


def test_a_pause_with_the_hand_in_view_ends_the_word():
    stream = Stream().hold("A", 0.8).move().hold("T", 0.8)
    for _ in range(12):  # the hand wanders, never steady, for 2.4 s
        stream.move(0.2)
    states = stream.feed(Speller(LABELS))
    assert [word.raw for word in ended(states)] == ["AT"]


def test_a_name_not_in_the_word_list_survives_when_its_letters_are_sure():
    states = spell("XAVIK").feed(Speller(LABELS))
    (word,) = ended(states)
    assert word.chosen == "XAVIK"


def test_a_near_miss_becomes_the_word_and_keeps_its_raw_letters():
    stream = Stream().hold("O", 0.8, p=0.55, runner_up="C").move().hold("A", 0.8).move().hold("B", 0.8).leave()
    (word,) = ended(stream.feed(Speller(LABELS)))
    assert word.raw == "OAB"
    assert (word.chosen, word.other) == ("CAB", "OAB")


def test_the_word_decoder_restores_a_double_letter_and_a_dropped_letter():
    def holds(word: str) -> np.ndarray:
        return np.log(np.stack([probs(letter, 0.8) for letter in word]))

    assert guess_word(holds("HELO"), LABELS).chosen == "HELLO"
    assert guess_word(holds("MOHER"), LABELS).chosen == "MOTHER"
    assert guess_word(holds("WATER"), LABELS).chosen == "WATER"


def test_speller_checks_its_input():
    with pytest.raises(ValueError, match="Expected 24 probabilities"):
        Speller(LABELS).update(np.ones(4) / 4, hand(), 0.0)


@pytest.mark.parametrize(
    "kwargs", [{"min_hold_s": 0}, {"leave_s": -1}, {"sensitivity": 0}, {"threshold": 0}, {"threshold": 1.5}]
)
def test_invalid_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match="must be"):
        SpellingSettings(**kwargs)


def motion_frames(extended: tuple[str, ...], path, still_letter: str, hold_s: float = 0.6):
    """A still hold of `still_letter`'s handshape, then that hand drawing the path (frames at FPS)."""
    from helpers.hands import along, shaped_hand

    hold = [(probs(still_letter), shaped_hand(extended)) for _ in range(round(hold_s * FPS))]
    drawn = along(extended, path)
    return hold + [(probs(still_letter, 0.6), points) for points in drawn]


def test_a_j_drawn_from_an_i_replaces_the_i_and_a_held_i_stays():
    from helpers.hands import j_path, shaped_hand, z_path

    stream = Stream()
    stream.frames = motion_frames(("little",), j_path(), "I")  # I, then the little finger draws a J
    stream.frames += [(probs("A"), shaped_hand(()) + (20, 60, 0)) for _ in range(12)]  # then an A, held
    states = stream.leave().feed(Speller(LABELS))
    written_states = [(s.added, s.removed) for s in states if s.added]
    assert written_states == [("I", None), ("J", "I"), ("A", None)]
    (word,) = ended(states)
    assert word.raw == "JA"
    held_i = Stream()
    held_i.frames = [(probs("I"), shaped_hand(("little",))) for _ in range(15)]
    assert written(held_i.leave().feed(Speller(LABELS))) == "I"
    z = Stream()
    z.frames = motion_frames(("index",), z_path(), "D")
    assert [word.raw for word in ended(z.leave().feed(Speller(LABELS)))] == ["Z"]


def test_without_motion_letters_a_drawn_j_is_an_i():
    from helpers.hands import j_path

    stream = Stream()
    stream.frames = motion_frames(("little",), j_path(), "I")
    assert written(stream.leave().feed(Speller(LABELS, motion=None))) == "I"


def test_the_fingertip_path_of_a_j_being_drawn_is_kept_for_the_overlay():
    from helpers.hands import FakeTracker, j_path, shaped_hand

    from core.vision import signs
    from core.vision.signs import SignReading

    stream = Stream()
    stream.frames = motion_frames(("little",), j_path(), "I")
    states = stream.feed(Speller(LABELS))
    trails = [state.trail_px for state in states if state.trail_px is not None]
    assert trails, "no trail while the little finger drew a J"
    assert max(len(trail) for trail in trails) >= 5
    assert not [state for state in states if not state.moving and state.trail_px is not None]  # only while moving
    frame = np.zeros((480, 640, 3), np.uint8)
    hand_seen = FakeTracker(shaped_hand(("little",))).hand
    reading = SignReading(hand_seen, (260, 180, 80, 130), (250, 170, 100, 150), np.zeros((64, 64), np.float32), None)
    drawn = signs.annotate(frame, reading, replace(states[-1], trail_px=max(trails, key=len)), None)
    blue = np.all(np.abs(drawn.astype(int) - signs.TRAIL_BGR) < 40, axis=2)
    assert blue.sum() > 50
