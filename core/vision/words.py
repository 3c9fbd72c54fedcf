"""The likeliest English word for a fingerspelled word's holds, beside the holds' own letters.

Each hold of a word comes with every letter's log-probability (core.vision.spelling). A word of the list scores the
best alignment of its letters with the holds (dynamic programming, run for all words of a length at once with
numpy): a hold read as the word's letter scores that letter's log-probability, a hold left out (a stray hold in a
move) costs stray_hold, a letter with no hold costs missed_letter, or missed_double when it repeats the letter before
(a double letter signed without a clear bounce). Its frequency in English (wordfreq's list, shipped in its wheel)
adds prior_weight × log(frequency). The raw letters, one per hold, score as a word of frequency `unlisted`: so names
and rare words stay as spelled when the model was sure of their letters, and a near miss becomes the word. The
costs (WordCosts) are benchmarks/fingerspelling.py's best on left-out people.
"""

import functools
import re
from dataclasses import dataclass

import numpy as np

LIST_SIZE = 80_000  # The most frequent words kept (of the ones made of the model's letters).
MAX_LENGTH_CHANGE = 2  # Words up to this many letters longer or shorter than the holds are considered.


@dataclass(frozen=True)
class WordCosts:
    """How a word's letters may differ from the holds, and how much its frequency counts (log scale)."""

    stray_hold: float = float(np.log(0.001))  # a hold that is not one of the word's letters
    missed_letter: float = float(np.log(0.03))  # a letter of the word with no hold
    missed_double: float = float(np.log(0.3))  # the second of a double letter with no hold of its own
    prior_weight: float = 1.0  # times log(frequency)
    unlisted: float = 1e-9  # the frequency of a word outside the list (wordfreq's rarest listed words: ~1e-8)


DEFAULT_COSTS = WordCosts()


@dataclass(frozen=True)
class WordGuess:
    """A word's holds read two ways: their own letters, and the likeliest word of the list."""

    raw: str  # one letter per hold, each the hold's top letter
    word: str | None  # the likeliest listed word (None when no listed word is made of the model's letters)
    chosen: str  # what is written: the word, or the raw letters where they score higher

    @property
    def other(self) -> str | None:
        """The reading not chosen, when the two differ."""
        alternative = self.raw if self.chosen != self.raw else self.word
        return alternative if alternative and alternative != self.chosen else None


@dataclass(frozen=True)
class _Words:
    """The listed words of one length: their letters as label indices, and their log-frequencies."""

    words: np.ndarray  # (W,) str
    letters: np.ndarray  # (W, length) int
    log_frequency: np.ndarray  # (W,) float


@functools.lru_cache(maxsize=4)
def word_list(labels: tuple[str, ...]) -> dict[int, _Words]:
    """wordfreq's English words made only of `labels` (upper-case letters), by length."""
    import wordfreq  # ~0.2 s to load its list: only when a word is first decoded

    index = {label.lower(): i for i, label in enumerate(labels) if len(label) == 1 and label.isalpha()}
    allowed = re.compile(f"[{''.join(index)}]+")
    frequencies = wordfreq.get_frequency_dict("en")
    kept = sorted((word for word in frequencies if allowed.fullmatch(word)), key=frequencies.__getitem__, reverse=True)[
        :LIST_SIZE
    ]
    by_length: dict[int, list[str]] = {}
    for word in kept:
        by_length.setdefault(len(word), []).append(word)
    return {
        length: _Words(
            np.array([word.upper() for word in words]),
            np.array([[index[c] for c in word] for word in words], np.int32),
            np.log(np.array([frequencies[word] for word in words])),
        )
        for length, words in by_length.items()
    }


def guess_word(log_probabilities: np.ndarray, labels: tuple[str, ...], costs: WordCosts = DEFAULT_COSTS) -> WordGuess:
    """The raw letters and the likeliest listed word for holds' (n, labels) log-probabilities."""
    log_probabilities = np.asarray(log_probabilities, np.float64)
    raw = "".join(labels[i] for i in log_probabilities.argmax(axis=1))
    raw_score = float(log_probabilities.max(axis=1).sum()) + costs.prior_weight * np.log(costs.unlisted)
    best_word, best_score = None, -np.inf
    lists = word_list(tuple(labels))
    n = len(log_probabilities)
    for length in range(max(1, n - MAX_LENGTH_CHANGE), n + MAX_LENGTH_CHANGE + 1):
        if length not in lists:
            continue
        words = lists[length]
        scores = alignment_scores(log_probabilities, words.letters, costs) + costs.prior_weight * words.log_frequency
        top = int(np.argmax(scores))
        if scores[top] > best_score:
            best_word, best_score = str(words.words[top]), float(scores[top])
    return WordGuess(raw, best_word, best_word if best_word is not None and best_score > raw_score else raw)


def alignment_scores(log_probabilities: np.ndarray, letters: np.ndarray, costs: WordCosts) -> np.ndarray:
    """Each word's best alignment score with the holds: (n, labels) log-probabilities, (W, m) words' letters."""
    words, m = letters.shape
    double = letters[:, 1:] == letters[:, :-1]
    missed = np.where(double, costs.missed_double, costs.missed_letter)  # (W, m-1), for letters 2..m
    missed = np.concatenate([np.full((words, 1), costs.missed_letter), missed], axis=1)  # (W, m)
    previous = np.concatenate([np.zeros((words, 1)), np.cumsum(missed, axis=1)], axis=1)  # no hold yet: all missed
    for hold in log_probabilities:
        reads = hold[letters]  # (W, m): this hold read as each letter of each word
        row = np.empty_like(previous)
        row[:, 0] = previous[:, 0] + costs.stray_hold
        for j in range(1, m + 1):
            row[:, j] = np.maximum(
                np.maximum(previous[:, j - 1] + reads[:, j - 1], previous[:, j] + costs.stray_hold),
                row[:, j - 1] + missed[:, j - 1],
            )
        previous = row
    return previous[:, m]
