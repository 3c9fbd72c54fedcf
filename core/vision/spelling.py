"""Fingerspelled letters from a stream of frames: holds and moves, each hold read as one letter, words ended.

A signer holds each letter for a moment and moves to the next; a double letter is the same letter held twice with a
small bounce between. So the stream is split by the hand's motion, not by the top letter of the moment: a frame is
*steady* when the hand's landmarks move slower than `sensitivity` palm lengths a second (translation and change of
shape alike, measured over the last ~0.15 s), and a run of steady frames lasting `min_hold_s` is a hold. A hold is
read from all of its frames (the mean log-probability, so one flickering frame cannot restart it) and written once:
when the hand moves on or leaves, or once it has lasted WRITE_AFTER_S for a signer who waits for the letter. A
short frame without a hand (a detector miss) changes nothing; the hand out of view for `leave_s`, or in view but
never still for PAUSE_S, ends the word, and core.vision.words proposes the likeliest word beside the raw letters.
"""

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from core.vision.motion_letters import TIPS, MotionSettings, handshape, read_motion
from core.vision.words import DEFAULT_COSTS, WordCosts, WordGuess, guess_word

WRITE_AFTER_S = 1.0  # A hold this long is written without waiting for the hand to move on.
PAUSE_S = 2.0  # The hand in view this long without holding still ends the word.
SPEED_SPAN_S = 0.15  # The hand's speed is its displacement over this much time (steadier than frame to frame).
MIN_LOG_P = np.log(1e-6)  # Log-probabilities are clipped here: one frame's near-zero cannot veto a whole hold.
# J and Z are read from a move's motion (core.vision.motion_letters). A move is read from MOTION_LEAD_S before it
# began (the handshape the letter starts from) to its end; the still letter it began from, written as the move
# started, is replaced when it ended at most MOTION_LEAD_S before the move.
MOTION_STARTS = {"J": ("I", "Y"), "Z": ("D", "X", "G", "L", "P")}
MOTION_LEAD_S = 0.3
MOTION_CONFIDENCE = 0.9  # the probability a motion letter's hold gives its letter, for the word decoder
MAX_MOVE_S = 3.0  # frames kept for reading a move
TRAIL_S = 1.0  # While a J or Z handshape moves, its fingertip's path over this long is drawn on the video.


@dataclass(frozen=True)
class SpellingSettings:
    """What counts as a held letter; the defaults are benchmarks/fingerspelling.py's best on left-out people."""

    min_hold_s: float = 0.2  # A steady run this long is a letter.
    sensitivity: float = 1.5  # Palm lengths a second: a hand moving faster is between letters.
    threshold: float = 0.3  # A hold read with less confidence is "not sure" and writes nothing.
    leave_s: float = 0.8  # The hand out of view this long ends the word.

    def __post_init__(self) -> None:
        if not 0 < self.min_hold_s <= 5 or not 0 < self.leave_s <= 10:
            raise ValueError("min_hold_s must be in (0, 5] and leave_s in (0, 10] seconds.")
        if not 0 < self.sensitivity <= 100:
            raise ValueError(f"sensitivity must be a speed in (0, 100] palm lengths a second, got {self.sensitivity}.")
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be a probability in (0, 1], got {self.threshold}.")


@dataclass(frozen=True)
class Hold:
    """A letter held: when, and its letters' log-probabilities averaged over the hold's frames."""

    start_s: float
    end_s: float
    log_probabilities: np.ndarray = field(repr=False)  # (labels,) mean log-probability of each letter
    letter: str
    confidence: float  # the letter's probability, the hold's frames' geometric mean (renormalised)


@dataclass(frozen=True)
class SpellState:
    """What the speller makes of the stream so far (after one frame)."""

    letter: str | None  # the letter being held now; None while moving, not sure, or without a hand
    confidence: float  # its probability (of the top letter even when not sure); 0 without a hand
    probabilities: np.ndarray | None = field(repr=False)  # the hold's (a move's: the frame's); None: no hand
    held: float  # how far the current hold is towards counting as a letter, 0..1
    moving: bool = False  # the hand is moving between letters
    added: str | None = None  # the letter this frame wrote, if any
    removed: str | None = None  # the letter written last that `added` replaces (the I a J began from), if any
    word: str = ""  # the letters of the word being spelled, written so far
    ended: WordGuess | None = None  # the word this frame ended, with the likeliest word beside its raw letters
    trail_px: np.ndarray | None = field(default=None, repr=False)  # (n, 2) the J or Z fingertip's last TRAIL_S

    @property
    def hand(self) -> bool:
        """Whether a hand was seen in the last update."""
        return self.probabilities is not None


class Speller:
    """Turns frames (probabilities and landmarks) into letters and words. Not thread-safe: use a lock."""

    def __init__(
        self,
        labels: tuple[str, ...],
        settings: SpellingSettings | None = None,
        costs: WordCosts = DEFAULT_COSTS,
        motion: MotionSettings | None = MotionSettings(),  # noqa: B008 - frozen settings; None: no J and Z
    ):
        self.labels = tuple(labels)  # the still-letter model's
        self.settings = settings or SpellingSettings()
        self.costs = costs  # how a word may differ from its holds (core.vision.words)
        self.motion = motion
        extra = tuple(letter for letter in MOTION_STARTS if motion is not None and letter not in self.labels)
        self.letters = self.labels + extra  # what a hold can be: the model's letters, then J and Z
        self._track: deque[tuple[float, np.ndarray]] = deque()  # (time, landmarks or NaN) of the last MAX_MOVE_S
        self._move_start_s: float | None = None  # when the current move began; None while holding
        self._recent: deque[tuple[float, np.ndarray]] = deque()  # (time, landmarks' x, y) of the last ~SPEED_SPAN_S
        self._hold_log_p: list[np.ndarray] = []  # the current steady run's frames
        self._hold_start_s = self._hold_end_s = 0.0
        self._last_frame_s: float | None = None  # the time of the last frame, with or without a hand
        self._hold_written = False
        self._holds: list[Hold] = []  # the word's letters so far
        self.last_hold: Hold | None = None  # the last letter written
        # The last J or Z read: (letter, the landmarks it was read from, when it ended), for saving it.
        self.last_motion: tuple[str, np.ndarray, float] | None = None
        self._hand_seen_s: float | None = None  # the last frame with a hand

    def update(self, probabilities: np.ndarray | None, landmarks_px: np.ndarray | None, now_s: float) -> SpellState:
        """Add one frame seen at now_s (seconds): its probabilities and the hand's (21, 2+) landmarks, or None twice."""
        if probabilities is None:
            return self._no_hand(now_s)
        probabilities = np.asarray(probabilities, np.float32)
        if probabilities.shape != (len(self.labels),):
            raise ValueError(f"Expected {len(self.labels)} probabilities, got shape {probabilities.shape}.")
        self._hand_seen_s = now_s
        previous_s, self._last_frame_s = self._last_frame_s, now_s
        self._keep_track(now_s, landmarks_px)
        log_p = np.maximum(np.log(np.maximum(probabilities, 1e-30)), MIN_LOG_P)
        if self._speed(landmarks_px, now_s) > self.settings.sensitivity:
            added = self._end_hold()
            if self._move_start_s is None:
                self._move_start_s = previous_s if previous_s is not None else now_s
            ended = self._paused(now_s)
            return SpellState(None, float(probabilities.max()), probabilities, 0.0, True, added, None, self._word(),
                              ended, self._trail(landmarks_px, now_s))  # fmt: skip
        if not self._hold_log_p:  # a hold starts: it has lasted since the frame before (moving, or the hand away)
            self._hold_start_s = now_s if previous_s is None else previous_s
        self._hold_log_p.append(log_p)
        self._hold_end_s = now_s
        added = removed = None
        if self._hold_end_s - self._hold_start_s >= self.settings.min_hold_s:  # a pause shorter does not end a move
            added, removed = self._end_move(now_s)
        return self._holding(now_s, added, removed)

    def _holding(self, now_s: float, added: str | None, removed: str | None) -> SpellState:
        """The state within a steady run: its letter so far, and the letter written once it was held long enough
        (`added` and `removed`: a motion letter the move that ended at this frame wrote)."""
        hold = self._read_hold()
        duration_s = hold.end_s - hold.start_s
        sure = hold.confidence >= self.settings.threshold
        if sure and duration_s >= WRITE_AFTER_S and not self._hold_written:
            added = self._write(self._drawn_in(hold))
        ended = self._paused(now_s)
        held = 1.0 if self._hold_written else min(1.0, duration_s / self.settings.min_hold_s)
        probabilities = _normalised(hold.log_probabilities)
        return SpellState(hold.letter if sure else None, hold.confidence, probabilities, held, False, added, removed,
                          self._word(), ended)  # fmt: skip

    def _paused(self, now_s: float) -> WordGuess | None:
        """End the word when the hand, in view, held nothing still for PAUSE_S."""
        return self._end_word() if self._holds and now_s - self._hold_end_s > PAUSE_S else None

    def _no_hand(self, now_s: float) -> SpellState:
        """A frame without a hand: nothing, unless the hand has been gone long enough to end the word."""
        self._recent.clear()
        self._last_frame_s = now_s
        self._keep_track(now_s, None)
        added = removed = ended = None
        if self._hand_seen_s is not None and now_s - self._hand_seen_s >= self.settings.leave_s:
            added, removed = self._end_move(now_s)
            added = self._end_hold() or added
            ended = self._end_word()
            self._hand_seen_s = None
        return SpellState(None, 0.0, None, 0.0, False, added, removed, self._word(), ended)

    def _keep_track(self, now_s: float, landmarks_px: np.ndarray | None) -> None:
        """Remember the frame's landmarks (NaN without a hand) for reading moves."""
        if self.motion is None:
            return
        points = np.full((21, 3), np.nan) if landmarks_px is None else np.asarray(landmarks_px, np.float64)
        self._track.append((now_s, points))
        while self._track[0][0] < now_s - MAX_MOVE_S:
            self._track.popleft()

    def recent_landmarks(self) -> np.ndarray | None:
        """The hand's landmarks over the last MAX_MOVE_S, (frames, 21, 3) with NaN where no hand was found, for saving
        a J or Z as the user drew it; None when motion letters are off or no frame came yet."""
        return np.stack([points for _, points in self._track]) if self._track else None

    def _trail(self, landmarks_px: np.ndarray | None, now_s: float) -> np.ndarray | None:
        """The fingertip's path over the last TRAIL_S while the hand makes J's or Z's handshape, for the overlay."""
        shape = None if self.motion is None or landmarks_px is None else handshape(landmarks_px)
        if shape is None:
            return None
        points = [p[TIPS[shape], :2] for t, p in self._track if t >= now_s - TRAIL_S and not np.isnan(p[0, 0])]
        return np.array(points) if len(points) > 1 else None

    def _end_move(self, now_s: float) -> tuple[str | None, str | None]:
        """A move ended: J or Z when its motion draws one (written, replacing the still letter it began from)."""
        start_s, self._move_start_s = self._move_start_s, None
        if start_s is None or self.motion is None:
            return None, None
        letter, frames = self._drawn_letter(start_s, now_s)
        if letter is None:
            return None, None
        removed = None
        last = self._holds[-1] if self._holds else None
        if last is not None and last.letter in MOTION_STARTS[letter] and last.end_s >= start_s - MOTION_LEAD_S:
            removed = self._holds.pop().letter
        self._write(self._motion_hold(letter, frames, start_s, now_s))
        self._hold_written = False  # the steady run that begins now is a letter of its own
        return letter, removed

    def _speed(self, landmarks_px: np.ndarray | None, now_s: float) -> float:
        """The hand's landmarks' mean speed in palm lengths a second over the last SPEED_SPAN_S; 0 for a first frame."""
        if landmarks_px is None:
            return 0.0
        points = np.asarray(landmarks_px, np.float32)[:, :2]
        palm_px = max(float(np.linalg.norm(points[9] - points[0])), 1.0)  # wrist to the middle finger's base
        while self._recent and self._recent[0][0] < now_s - SPEED_SPAN_S:
            self._recent.popleft()
        speed = 0.0
        if self._recent:
            then_s, then = self._recent[0]
            shift_px = float(np.linalg.norm(points - then, axis=1).mean())
            speed = shift_px / palm_px / max(now_s - then_s, 1e-3)
        self._recent.append((now_s, points))
        return speed

    def _read_hold(self) -> Hold:
        """The current steady run read as one letter."""
        mean = np.mean(self._hold_log_p, axis=0)
        mean = np.concatenate([mean, np.full(len(self.letters) - len(mean), MIN_LOG_P)])  # never J or Z
        probabilities = _normalised(mean)
        top = int(np.argmax(mean))
        return Hold(self._hold_start_s, self._hold_end_s, mean, self.letters[top], float(probabilities[top]))

    def _end_hold(self) -> str | None:
        """End the steady run; write its letter when it was long and sure enough and not written yet."""
        added = None
        if self._hold_log_p and not self._hold_written:
            hold = self._read_hold()
            if hold.end_s - hold.start_s >= self.settings.min_hold_s and hold.confidence >= self.settings.threshold:
                added = self._write(self._drawn_in(hold))
        self._hold_log_p, self._hold_written = [], False
        return added

    def _drawn_in(self, hold: Hold) -> Hold:
        """The hold, or the J or Z drawn within it: a letter drawn slowly never moves fast enough to be a move."""
        if self.motion is None or not any(hold.letter in starts for starts in MOTION_STARTS.values()):
            return hold
        letter, frames = self._drawn_letter(hold.start_s, hold.end_s)
        if letter is None or hold.letter not in MOTION_STARTS[letter]:
            return hold
        return self._motion_hold(letter, frames, hold.start_s, hold.end_s)

    def _drawn_letter(self, start_s: float, end_s: float) -> tuple[str | None, np.ndarray]:
        """J, Z or None: what the hand drew from MOTION_LEAD_S before start_s to end_s, and those frames."""
        frames = self._move_frames(start_s, end_s)
        return (read_motion(frames, self.motion).letter if len(frames) else None), frames

    def _move_frames(self, start_s: float, end_s: float) -> np.ndarray:
        """The track's landmarks from MOTION_LEAD_S before start_s to end_s, (frames, 21, 3)."""
        frames = [points for t, points in self._track if start_s - MOTION_LEAD_S <= t <= end_s]
        return np.stack(frames) if frames else np.zeros((0, 21, 3))

    def _motion_hold(self, letter: str, frames: np.ndarray, start_s: float, end_s: float) -> Hold:
        """A J or Z as a hold, for the word decoder: MOTION_CONFIDENCE on its letter (`frames`: what it was read
        from)."""
        self.last_motion = (letter, frames, end_s)
        log_p = np.full(len(self.letters), MIN_LOG_P)
        log_p[self.letters.index(letter)] = np.log(MOTION_CONFIDENCE)
        return Hold(start_s, end_s, log_p, letter, MOTION_CONFIDENCE)

    def finish(self) -> SpellState:
        """The stream ended (a video file's last frame): the state after it, with the letter written (a move's J or
        Z, or the letter still held, if it counts), the letter that J or Z replaced, and the word ended."""
        added, removed = self._end_move(self._last_frame_s or 0.0)
        added = self._end_hold() or added
        return SpellState(None, 0.0, None, 0.0, False, added, removed, "", self._end_word())

    def _write(self, hold: Hold) -> str:
        self.last_hold = hold
        self._holds.append(hold)
        self._hold_written = True
        return hold.letter

    def _end_word(self) -> WordGuess | None:
        """The word of the letters written since the last word ended, if any; the next letter starts a new word."""
        holds, self._holds = self._holds, []
        if not holds:
            return None
        return guess_word(np.stack([hold.log_probabilities for hold in holds]), self.letters, self.costs)

    def _word(self) -> str:
        return "".join(hold.letter for hold in self._holds)


def _normalised(log_p: np.ndarray) -> np.ndarray:
    """Probabilities proportional to exp(log_p)."""
    p = np.exp(log_p - log_p.max())
    return (p / p.sum()).astype(np.float32)
