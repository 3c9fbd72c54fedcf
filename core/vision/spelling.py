"""Steady letters from a stream of predictions: smoothing, "not sure", held letters to write.

A frame's prediction flickers; the average over the last fraction of a second does not. A letter is written
when it stays on top of that average, above a confidence threshold, for a set time. Writing it again needs a
change first (another letter, "not sure", or the hand leaving the frame), so holding a sign writes it once.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class SpellingSettings:
    """How steady a letter must be to count."""

    window_s: float = 0.5  # Predictions are averaged over this many recent seconds.
    hold_s: float = 1.0  # A letter is written once it has stayed on top this long...
    threshold: float = 0.6  # ...with a smoothed probability of at least this; below it the answer is "not sure".

    def __post_init__(self) -> None:
        if not 0 < self.window_s <= 10 or not 0 < self.hold_s <= 10:
            raise ValueError("window_s and hold_s must be between 0 and 10 seconds.")
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be a probability in (0, 1], got {self.threshold}.")


@dataclass(frozen=True)
class SpellState:
    """What the speller makes of the stream so far."""

    letter: str | None  # the steady letter, or None when not sure or when there is no hand
    confidence: float  # its smoothed probability (of the top letter even when not sure); 0 without a hand
    probabilities: np.ndarray | None = field(repr=False)  # the smoothed probabilities, None without a hand
    held: float  # how far the current letter is towards being written, 0..1
    added: str | None = None  # the letter this update wrote, if any

    @property
    def hand(self) -> bool:
        """Whether a hand was seen in the last update."""
        return self.probabilities is not None


class Speller:
    """Turns per-frame probabilities into a steady letter and the letters to write. Not thread-safe: use a lock."""

    def __init__(self, labels: tuple[str, ...], settings: SpellingSettings | None = None):
        self.labels = tuple(labels)
        self.settings = settings or SpellingSettings()
        self._history: deque[tuple[float, np.ndarray]] = deque()
        self._candidate: str | None = None  # the letter on top now, and since when
        self._since_s = 0.0
        self._written: str | None = None  # the letter written last, until something else comes along

    def update(self, probabilities: np.ndarray | None, now_s: float) -> SpellState:
        """Add one frame's probabilities (None: no hand in the frame) seen at time now_s (seconds)."""
        if probabilities is None:
            self._history.clear()
            self._candidate = self._written = None
            return SpellState(None, 0.0, None, 0.0)
        probabilities = np.asarray(probabilities, np.float32)
        if probabilities.shape != (len(self.labels),):
            raise ValueError(f"Expected {len(self.labels)} probabilities, got shape {probabilities.shape}.")
        self._history.append((now_s, probabilities))
        while self._history and self._history[0][0] < now_s - self.settings.window_s:
            self._history.popleft()
        if not self._history:  # a clock that went backwards: keep the newest frame
            self._history.append((now_s, probabilities))
        smooth = np.mean([p for _, p in self._history], axis=0)
        top = int(np.argmax(smooth))
        confidence = float(smooth[top])
        if confidence < self.settings.threshold:
            self._candidate = self._written = None
            return SpellState(None, confidence, smooth, 0.0)
        return self._hold(self.labels[top], confidence, smooth, now_s)

    def _hold(self, letter: str, confidence: float, smooth: np.ndarray, now_s: float) -> SpellState:
        """Track how long `letter` has been the steady answer and write it once it was held long enough."""
        if letter != self._candidate:
            self._candidate, self._since_s = letter, now_s
            if letter != self._written:
                self._written = None
        if self._written == letter:
            return SpellState(letter, confidence, smooth, 1.0)
        held = (now_s - self._since_s) / self.settings.hold_s
        if held < 1.0:
            return SpellState(letter, confidence, smooth, max(0.0, held))
        self._written = letter
        return SpellState(letter, confidence, smooth, 1.0, added=letter)
