"""Words fingerspelled at a signer's pace, by people the letters model never saw: words right and character errors.

    HANDLAB_DATA_DIR=/path/with/datasets HANDLAB_HOME=/path/to/home .venv/bin/python -m benchmarks.fingerspelling
        [--model folds|shipped] [--grid]

The streams (benchmarks/spelling_streams.py) are words made of each person's own photos at 15 fps, 1.2 s and 0.6 s
a letter, with moves between letters, a bounce before a double letter and the hand leaving at the end, read frame by
frame by the live path (the hand tracker, then a letters model that never trained on the person). Each stream is
replayed through three spellers:

- old: the speller before holds and moves (top letter of a 0.5 s average held 1 s; kept here as the baseline);
- raw: core.vision.spelling's holds and moves, the letters as held;
- word: the same holds through core.vision.words' decoder (the likeliest listed word, or the raw letters);
- ceiling raw and ceiling word: holds cut where the stream's truth says each letter is held (a perfect split into
  holds and moves), read and decoded the same way: what the letters model allows at best, whatever the speller.

Prints words right and the character error rate (edit distance / word length) per source and pace, and per kind
(common, double letter, name) by length; then the speller's cost per frame. Then words with J or Z, two ways: each J
or Z the person's own asl_motion clip (pieces of the motion, as recorded), or their I or D photo carried along the
whole letter's path (`load_drawn_streams`). --grid tries settings around the
defaults and prints the best few (the defaults of SpellingSettings were chosen with it).
"""

import argparse
import itertools
import time
from collections import defaultdict, deque
from dataclasses import dataclass, replace

import numpy as np

from benchmarks.spelling_streams import PACES_S, Stream, load_drawn_streams, load_motion_streams, load_streams
from core.labels import MOTION_LETTERS, SIGN_LETTERS
from core.vision.spelling import MIN_LOG_P, Speller, SpellingSettings, SpellState
from core.vision.words import DEFAULT_COSTS, WordCosts, guess_word

LETTERS = Speller(SIGN_LETTERS).letters  # the still letters, then J and Z (read from motion)
SPELLERS = ("old", "raw", "word", "ceiling raw", "ceiling word")


class OldSpeller:
    """The speller before holds and moves: a letter is written when it stays on top of a 0.5 s average for 1 s."""

    def __init__(self, window_s: float = 0.5, hold_s: float = 1.0, threshold: float = 0.6):
        self.window_s, self.hold_s, self.threshold = window_s, hold_s, threshold
        self._history: deque = deque()
        self._candidate = self._written = None
        self._since_s = 0.0

    def update(self, probabilities: np.ndarray | None, now_s: float) -> str | None:
        """The letter this frame writes, if any."""
        if probabilities is None:
            self._history.clear()
            self._candidate = self._written = None
            return None
        self._history.append((now_s, probabilities))
        while self._history[0][0] < now_s - self.window_s:
            self._history.popleft()
        smooth = np.mean([p for _, p in self._history], axis=0)
        top = int(np.argmax(smooth))
        if smooth[top] < self.threshold:
            self._candidate = self._written = None
            return None
        letter = SIGN_LETTERS[top]
        if letter != self._candidate:
            self._candidate, self._since_s = letter, now_s
            if letter != self._written:
                self._written = None
        if self._written == letter or now_s - self._since_s < self.hold_s:
            return None
        self._written = letter
        return letter


@dataclass(frozen=True)
class Spelled:
    """What each speller wrote for one stream."""

    stream: Stream
    texts: dict[str, str]  # speller -> text
    words: list[np.ndarray]  # each word's holds' log-probabilities, to decode again with other costs
    seconds: float  # the new speller's time over the stream


def replay(stream: Stream, settings: SpellingSettings, costs: WordCosts = DEFAULT_COSTS) -> Spelled:
    """Run one stream through the old speller and the new one (raw letters and the word decoder)."""
    old, new = OldSpeller(), Speller(SIGN_LETTERS, settings, costs)
    old_text, raw, words, holds = [], [], [], []
    elapsed = 0.0

    def keep(state: SpellState) -> None:
        if state.removed:  # a J or Z replaced the still letter it began from
            raw.pop()
            holds.pop()
        if state.added:
            raw.append(state.added)
            holds.append(new.last_hold.log_probabilities)
        if state.ended:
            words.append((state.ended.chosen, np.stack(holds[-len(state.ended.raw) :])))

    for now_s, p, points in zip(stream.t_s, stream.probabilities, stream.landmarks_px, strict=True):
        found = not np.isnan(p[0])
        old_text.append(old.update(p if found else None, now_s) or "")
        started = time.perf_counter()
        state = new.update(p if found else None, points if found else None, now_s)
        elapsed += time.perf_counter() - started
        keep(state)
    keep(new.finish())  # the stream's end: the hand stays away
    texts = {"old": "".join(old_text), "raw": "".join(raw), "word": " ".join(chosen for chosen, _ in words)}
    ceiling = true_holds(stream)
    texts["ceiling raw"] = "".join(SIGN_LETTERS[i] for i in ceiling.argmax(axis=1))
    texts["ceiling word"] = guess_word(ceiling, SIGN_LETTERS, costs).chosen  # still holds only: no J or Z
    return Spelled(stream, texts, [word_holds for _, word_holds in words], elapsed)


def true_holds(stream: Stream) -> np.ndarray:
    """(letters, labels) mean log-probabilities over each letter's hold frames as the truth marks them."""
    log_p = np.maximum(np.log(np.maximum(stream.probabilities, 1e-30)), MIN_LOG_P)
    holds = []
    for index in range(len(stream.word)):
        frames = log_p[(stream.truth == index) & ~np.isnan(stream.probabilities[:, 0])]
        holds.append(frames.mean(axis=0) if len(frames) else np.full(len(SIGN_LETTERS), MIN_LOG_P))
    return np.stack(holds)


def decoded(spelled: Spelled, costs: WordCosts) -> Spelled:
    """The same holds decoded with other word costs."""
    text = " ".join(guess_word(holds, LETTERS, costs).chosen for holds in spelled.words)
    return replace(spelled, texts={**spelled.texts, "word": text})


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def scores(spelled: list[Spelled], speller: str) -> tuple[float, float, int]:
    """Words right, character error rate, and the count of words."""
    right = sum(s.texts[speller] == s.stream.word for s in spelled)
    errors = sum(edit_distance(s.texts[speller], s.stream.word) for s in spelled)
    return right / len(spelled), errors / sum(len(s.stream.word) for s in spelled), len(spelled)


def table(title: str, groups: dict[str, list[Spelled]], spellers: tuple[str, ...] = SPELLERS) -> None:
    """One row per group: words right / character error rate for each speller."""
    print(f"\n{title:<24} {'words':>5} " + " ".join(f"{name:>14}" for name in spellers) + "   (words right / CER)")
    for name, spelled in groups.items():
        cells = []
        for speller in spellers:
            right, cer, _ = scores(spelled, speller)
            cells.append(f"{right:>6.1%} /{cer:>6.1%}")
        print(f"{name:<24} {len(spelled):>5} " + " ".join(f"{cell:>14}" for cell in cells))


def report(spelled: list[Spelled]) -> None:
    """The tables: per pace, per source and pace, per kind and length; a few failures; the cost per frame."""
    by_pace = {f"{pace:.1f} s a letter": [s for s in spelled if s.stream.pace_s == pace] for pace in PACES_S}
    table("all people", by_pace)
    for pace in PACES_S:
        groups = defaultdict(list)
        for s in spelled:
            if s.stream.pace_s == pace:
                groups[s.stream.source].append(s)
        table(f"{pace:.1f} s, by person", dict(sorted(groups.items())))
        kinds = defaultdict(list)
        for s in spelled:
            if s.stream.pace_s == pace:
                kinds[f"{s.stream.kind}, {len(s.stream.word)} letters"].append(s)
        table(f"{pace:.1f} s, by kind", dict(sorted(kinds.items())))
    wrong = [s for s in spelled if s.texts["word"] != s.stream.word]
    print(f"\nwrong with the decoder ({len(wrong)}), first 25: word -> raw / decoded")
    for s in wrong[:25]:
        stream = s.stream
        print(f"  {stream.source:<20} {stream.pace_s:.1f} s {stream.word:<8} -> {s.texts['raw']} / {s.texts['word']}")
    frames = sum(len(s.stream.t_s) for s in spelled)
    cost_ms = 1000 * sum(s.seconds for s in spelled) / frames
    print(f"\nspeller (holds, moves and the word decoder): {cost_ms:.3f} ms a frame")


def motion_report(spelled: list[Spelled], title: str) -> None:
    """Words with J or Z: words right and character errors per pace, and how many of their J and Z were written."""
    by_pace = {f"{pace:.1f} s a letter": [s for s in spelled if s.stream.pace_s == pace] for pace in PACES_S}
    people = len({s.stream.source for s in spelled})
    table(f"{title} ({people} people)", by_pace, ("old", "raw", "word"))  # no ceiling: the truth's holds are still
    for pace, group in by_pace.items():
        wanted = sum(sum(c in MOTION_LETTERS for c in s.stream.word) for s in group)
        found = sum(min(s.stream.word.count(c), s.texts["raw"].count(c)) for s in group for c in MOTION_LETTERS)
        print(f"  {pace}: J and Z written {found} of {wanted} ({found / max(wanted, 1):.0%})")
    wrong = [s for s in spelled if s.texts["word"] != s.stream.word]
    print("  wrong with the decoder, first 12: " + ", ".join(f"{s.stream.word}->{s.texts['raw']}/{s.texts['word']}"
                                                        for s in wrong[:12]))  # fmt: skip


def grid(streams: list[Stream]) -> None:
    """Try speller settings, then word costs for the best of them; print the best by words right with the decoder."""

    def summary(spelled: list[Spelled]) -> tuple[str, float]:
        cells, words_right = [], 0.0
        for pace in PACES_S:
            at_pace = [s for s in spelled if s.stream.pace_s == pace]
            (raw_right, raw_cer, _), (word_right, _, _) = scores(at_pace, "raw"), scores(at_pace, "word")
            cells.append(f"{pace:.1f} s: raw {raw_right:.1%} right, {raw_cer:.1%} CER; word {word_right:.1%} right")
            words_right += word_right
        return " | ".join(cells), words_right

    tried = []
    for min_hold_s, sensitivity, threshold, leave_s in itertools.product(
        (0.15, 0.2, 0.3), (1.0, 1.5, 2.5), (0.3, 0.5), (0.5, 0.8)
    ):
        settings = SpellingSettings(min_hold_s, sensitivity, threshold, leave_s)
        spelled = [replay(stream, settings) for stream in streams]
        line, right = summary(spelled)
        tried.append((right, settings, spelled))
        print(f"{settings}: {line}", flush=True)
    right, settings, spelled = max(tried, key=lambda item: item[0])
    print(f"\nbest settings: {settings}")
    costs_tried = []
    for stray, missed, prior, unlisted in itertools.product(
        (0.003, 0.01, 0.05), (0.01, 0.03, 0.1), (0.25, 0.5, 1.0), (1e-9, 1e-8, 1e-7)
    ):
        costs = WordCosts(np.log(stray), np.log(missed), DEFAULT_COSTS.missed_double, prior, unlisted)
        line, right = summary([decoded(s, costs) for s in spelled])
        costs_tried.append((right, costs, line))
    for _, costs, line in sorted(costs_tried, key=lambda item: -item[0])[:8]:
        print(f"{costs}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("folds", "shipped"), default="folds")
    parser.add_argument("--grid", action="store_true", help="try settings around the defaults")
    args = parser.parse_args()
    streams = load_streams(model=args.model)
    people = len({s.source for s in streams})
    print(f"{len(streams)} streams of {people} people, each read by a letters model that never trained on them")
    if args.grid:
        grid(streams)
        return
    report([replay(stream, SpellingSettings()) for stream in streams])
    for title, load in (("J or Z, clips", load_motion_streams), ("J or Z, drawn", load_drawn_streams)):
        motion_report([replay(stream, SpellingSettings()) for stream in load(model=args.model)], title)


if __name__ == "__main__":
    main()
