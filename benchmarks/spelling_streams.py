"""Fingerspelled words as webcam streams of people the letters model never saw, read by the live hand tracker.

    HANDLAB_DATA_DIR=/path/with/datasets .venv/bin/python -m benchmarks.spelling_streams [--model folds|shipped]

Each asl_webcam person spells about ten words at each pace: each letter one of their photos of it, held with a
slow sway and a webcam's noise, the next letter sliding in (a double letter dips instead), the hand leaving at the
end. Every frame goes through `HandTracker.find` (the live path); a letters model that never saw the person reads
the landmarks (`folds`: 5 folds over the 35 people; `shipped`: models/letters.keras on its 3 test people). The
streams are cached in HANDLAB_HOME/cache so that a decoder benchmark (benchmarks/fingerspelling.py) can replay them
in seconds.
"""

import argparse
import hashlib
import json
import multiprocessing
import sys
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from core import calibration, paths
from core.data import asl_landmarks, hand_landmarks, npz_cache
from core.labels import MOTION_LETTERS, SIGN_LETTERS
from core.predictor import Predictor
from core.vision import hand_model_files
from core.vision.hand_tracker import HandTracker
from core.vision.landmarks import LANDMARKS, normalize_landmarks

PACES_S = (1.2, 0.6)  # seconds per letter
FPS = 15
SEED = 0
FOLDS = 5  # people are dealt to folds round-robin in name order
WORDS_PER_PERSON = {"common": 6, "double": 2, "name": 1}  # plus one double or one name, alternately by person
WORKERS = 2  # one tracker per process; this machine's two cores are the budget
SHIPPED_MODEL = paths.MODELS_DIR / "letters.keras"
STREAMS_VERSION = 2  # bump with any change to how streams are made or read that the parameters below do not show


# Upper-case, 3-7 letters, none with J or Z (they move). "double" words have a letter twice in a row (so do some names).
WORD_LISTS = {
    "common": (
        "WORLD TRAIN WATER SIGN HAND MOTHER HOUSE FRIEND THANK PLEASE FATHER HOME WORK HELP LOVE NAME TIME DAY NIGHT "
        "FAMILY CAB BREAD CLOUD DANCE EARTH FIRE GHOST HORSE ISLAND KING LIGHT MONEY NORTH OCEAN PAINT QUIET RIVER "
        "SMILE TABLE UNCLE VOICE WINDOW YEAR GARDEN PHONE CHAIR MUSIC STORY PLANT BRIDGE CANDLE DOCTOR FOREST GUITAR "
        "HEART KNIFE LEMON MARKET ORANGE PENCIL ROBOT SILVER TIGER UNDER WINTER SPRING HUNGRY THIRSTY PRINT WHITE "
        "BLACK PURPLE BROWN STUDENT TEACHER NUMBER PARENT BROTHER SISTER CHILD WOMAN"
    ),
    "double": (
        "HELLO SORRY COFFEE BOOK LETTER APPLE GREEN BALL BETTER COOK DOOR FOOD GOOD KEEP LOOK MEET MOON NEED ROOM "
        "SLEEP SOON SPOON STREET TEETH TREE WALL WEEK WELL BOTTLE DINNER SUMMER YELLOW HAPPY PUPPY KITTEN BUTTER "
        "PEPPER RABBIT CARROT SCHOOL BALLOON MIRROR COTTON"
    ),
    "name": (
        "MARIA DAVID ANNA SARAH OMAR PETER KEVIN LAURA CARLOS FATIMA AHMED LUCAS EMMA SOFIA OLIVIA DANIEL NOAH KEMAL "
        "PRIYA TOMAS AMARA IGOR SVEN YUKI HUGO RUTH THEO NURIA ANIKA DMITRI BOGDAN KOFI AROHA SIOBHAN OTTO"
    ),
}
WORDS = {kind: text.split() for kind, text in WORD_LISTS.items()}
# Words with J or Z, spelled by the people with an asl_motion clip of the letter (their J and Z drawn by that clip).
MOTION_WORDS = ("JUNE", "JOKE", "JUMP", "JUST", "ENJOY", "MAJOR", "JOB", "ZERO", "ZONE", "LAZY", "SIZE", "PRIZE",
                "QUIZ", "ZOO", "JAZZ", "PIZZA")  # fmt: skip
MOTION_WORDS_PER_PERSON = 3
CLIP_STEP = 2  # every other frame of an asl_motion clip (~30 fps) at 15 fps
# Drawn J and Z (kind "drawn"): the person's own I or D photo carried along the letter's path, as a whole motion,
# where the asl_motion clips mostly show pieces of one. The path is in units of DRAW_SIZE of the frame's height.
DRAWN_FROM = {"J": "I", "Z": "D"}
DRAW_FRAMES = 10  # 0.67 s at 15 fps
DRAW_SIZE = 0.25
DRAW_PATHS = {
    "J": np.array([[0, 0], [0, 0.7], [0.08, 0.95], [0.3, 1.05], [0.55, 0.95], [0.65, 0.75]]),  # the camera's view
    "Z": np.array([[1, 0], [0, 0], [1, 1], [0, 1]]) * [1.2, 1.0],
}


@dataclass(frozen=True)
class Synthesis:
    """How a word becomes frames; every field is part of the cache key."""

    hold_share: float = 0.7  # of a letter's time, the rest is the move to the next letter
    sway: float = 0.01  # how far the hand drifts, smoothly, as a share of the frame's width and height
    sway_hz: tuple[float, float] = (0.3, 1.0)  # the drift's frequencies are drawn from this range
    noise_sigma: float = 3.0  # Gaussian pixel noise per frame, in grey levels
    move_shift: float = 0.08  # where the next letter's hand starts its slide in, as a share of the frame
    bounce_drop: float = 0.06  # how far a double letter dips, as a share of the frame's height
    bounce_s: float = 0.3  # how long a double letter's dip takes at least
    leave_s: float = 0.6  # frames without a hand at the end


SYNTHESIS = Synthesis()


@dataclass(frozen=True)
class Stream:
    """One word spelled by one person at one pace, as the live path saw it frame by frame."""

    source: str  # the person (asl_webcam source folder name)
    word: str  # upper-case, e.g. "HELLO"
    kind: str  # "common", "double" (a word with a double letter) or "name" (a first name; some have one too)
    pace_s: float
    t_s: np.ndarray  # (T,) float64 frame times, 1/FPS apart, starting at 0
    probabilities: np.ndarray  # (T, 24) float32 calibrated letter probabilities; NaN rows where no hand was found
    landmarks_px: np.ndarray  # (T, 21, 3) float32 hand landmarks in frame pixels; NaN where no hand was found
    handedness: list[str | None]  # per frame "left", "right" or None
    truth: np.ndarray  # (T,) int: index into word of the letter held; -1 in moves, bounces and without a hand


class Job(NamedTuple):
    """A stream to record: who spells what at which pace."""

    source: str
    word: str
    kind: str
    pace_s: float


def words_for(source: str, letters: set[str]) -> list[tuple[str, str]]:
    """The person's (word, kind) pairs: a seeded draw per kind, skipping words with a letter the person lacks."""
    salt = zlib.crc32(source.encode())
    counts = dict(WORDS_PER_PERSON)
    counts["double" if salt % 2 else "name"] += 1
    rng = np.random.default_rng([SEED, salt])
    return [(str(word), kind) for kind, count in counts.items()
            for word in rng.permutation([word for word in WORDS[kind] if set(word) <= letters])[:count]]  # fmt: skip


def plan_frames(
    word: str, pace_s: float, synthesis: Synthesis, drawn: dict[str, int] | None = None
) -> list[tuple[int, str, float]]:
    """Per frame: the letter position shown (-1: none), its role (hold, draw, move, bounce, gone) and the role's
    progress. A letter in `drawn` (J, Z) is drawn over its clip's frames (progress: the frame) instead of held."""
    per_letter = round(pace_s * FPS)
    plan = []
    for index in range(len(word)):
        last = index == len(word) - 1
        between = 0 if last else per_letter - round(synthesis.hold_share * per_letter)
        double = not last and word[index + 1] == word[index]
        if double:
            between = max(between, round(synthesis.bounce_s * FPS))
        if drawn and word[index] in drawn:
            plan += [(index, "draw", float(frame)) for frame in range(drawn[word[index]])]
        else:
            plan += [(index, "hold", 0.0)] * (per_letter - between)
        # A move starts at its full shift; a dip is never at rest (0 at both of its ends, outside it).
        plan += [
            (index + 1, "bounce", (step + 1) / (between + 1)) if double else (index + 1, "move", step / between)
            for step in range(between)
        ]
    return plan + [(-1, "gone", 0.0)] * round(synthesis.leave_s * FPS)


def render(photo_bgr: np.ndarray, role: str, progress: float, direction: np.ndarray, sway_xy: np.ndarray, rng,
           synthesis: Synthesis) -> np.ndarray:  # fmt: skip
    """One video frame: the photo shifted for its role and by the hand's sway, with a webcam's noise."""
    height, width = photo_bgr.shape[:2]
    size = np.array([width, height], np.float64)
    shift = sway_xy * synthesis.sway * size
    if role == "move":  # eases out: fast at first, settling onto the hold
        shift += direction * synthesis.move_shift * size * (1 - progress) ** 2
    elif role == "bounce":
        shift[1] += synthesis.bounce_drop * height * np.sin(np.pi * progress)
    matrix = np.array([[1, 0, shift[0]], [0, 1, shift[1]]], np.float64)
    moved = cv2.warpAffine(photo_bgr, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    noisy = moved + rng.normal(0, synthesis.noise_sigma, moved.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def sway(frames: int, rng, synthesis: Synthesis) -> np.ndarray:
    """(frames, 2) in [-1, 1]: a hand's slow, smooth drift (a sine in x and in y of random frequency and phase)."""
    hz = rng.uniform(*synthesis.sway_hz, 2)
    phase = rng.uniform(0, 2 * np.pi, 2)
    t_s = np.arange(frames)[:, None] / FPS
    return np.sin(2 * np.pi * hz * t_s + phase)


def without_hand(photo_bgr: np.ndarray) -> np.ndarray:
    """The room's colours without the person: the photo shrunk to 4×3 pixels and blown up again."""
    tiny = cv2.resize(photo_bgr, (4, 3), interpolation=cv2.INTER_AREA)
    return cv2.resize(tiny, photo_bgr.shape[1::-1], interpolation=cv2.INTER_LINEAR)


def synthesise(job: Job, photos: dict[str, list[np.ndarray]], synthesis=SYNTHESIS) -> tuple[list, np.ndarray]:
    """The job's frames (BGR) and truth, the same every time for the same job."""
    rng = np.random.default_rng([SEED, zlib.crc32(f"{job.source}/{job.word}/{job.pace_s}".encode())])
    # One photo per letter, held as one continuous pose (a double letter's two holds are the same hand): cycling
    # through a letter's burst photos would move the hand 3-15 palm lengths a second within a hold, faster than the
    # moves between letters, which no signer does.
    still = [letter for letter in job.word if letter not in MOTION_LETTERS]
    chosen = {letter: photos[letter][int(rng.integers(len(photos[letter])))] for letter in still}
    # J and Z: the person's asl_motion clip (~30 fps) at 15 fps, at the size of their webcam photos.
    size_wh = photos[still[0]][0].shape[1::-1]
    if job.kind == "drawn":  # photos[J] and photos[Z] hold the person's I and D photos
        clips = {letter: drawn(photos[letter][int(rng.integers(len(photos[letter])))], letter)
                 for letter in job.word if letter in MOTION_LETTERS}  # fmt: skip
    else:
        clips = {letter: [cv2.resize(frame, size_wh) for frame in photos[letter][::CLIP_STEP]]
                 for letter in job.word if letter in MOTION_LETTERS}  # fmt: skip
    angles = rng.uniform(0, 2 * np.pi, len(job.word))
    directions = np.vstack([np.stack([np.cos(angles), np.sin(angles)], axis=1), np.zeros(2)])  # [-1]: no hand
    empty = without_hand(photos[still[0]][0])
    plan = plan_frames(job.word, job.pace_s, synthesis, {letter: len(clip) for letter, clip in clips.items()})
    drift = sway(len(plan), rng, synthesis)
    frames, truth = [], []
    for (index, role, progress), sway_xy in zip(plan, drift, strict=True):
        letter = job.word[index] if index >= 0 else None
        if letter in clips:
            photo = clips[letter][int(progress) if role == "draw" else 0]  # a move into a J or Z: its first frame
        else:
            photo = chosen[letter] if letter else empty  # after the word (index -1): the room alone
        frames.append(render(photo, role, progress, directions[index], sway_xy, rng, synthesis))
        truth.append(index if role in ("hold", "draw") else -1)
    return frames, np.array(truth, np.int64)


_tracker = None  # Each worker process's own HandTracker, opened once by _start_worker.


def _start_worker() -> None:
    """Open this worker's tracker: one LiteRT thread, since the pool already keeps every core busy."""
    global _tracker
    _tracker = HandTracker(threads=1)


def _record(task: tuple[Job, dict[str, list[str]]]) -> tuple[np.ndarray, list[str | None], np.ndarray, float]:
    """In a worker: a stream's landmarks (NaN without a hand), handedness, truth and the tracker's seconds."""
    job, photo_paths = task
    photos = {letter: [cv2.imread(path, cv2.IMREAD_COLOR) for path in photo_paths[letter]] for letter in set(job.word)}
    frames, truth = synthesise(job, photos)
    _tracker.reset()
    started = time.perf_counter()
    hands = [_tracker.find(frame_bgr) for frame_bgr in frames]
    tracker_s = time.perf_counter() - started
    missing = np.full((LANDMARKS, 3), np.nan, np.float32)
    landmarks = np.stack([missing if hand is None else hand.landmarks_px for hand in hands]).astype(np.float32)
    return landmarks, [None if hand is None else hand.handedness for hand in hands], truth, tracker_s


def record(jobs: list[Job], photo_paths: dict[str, dict[str, list[str]]]) -> tuple[list[tuple], float]:
    """Run every job's frames through HandTracker.find in a pool of spawned workers; the results and wall seconds."""
    if problems := hand_model_files.problems():
        raise SystemExit(hand_model_files.HandModelsMissing("; ".join(problems)))
    started, tracks = time.monotonic(), []
    # Spawned, not forked: the caller may have TensorFlow loaded, whose threads do not survive a fork.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_start_worker) as pool:
        for done, track in enumerate(pool.map(_record, [(job, photo_paths[job.source]) for job in jobs]), start=1):
            tracks.append(track)
            if done % 20 == 0 or done == len(jobs):
                left_min = (time.monotonic() - started) / done * (len(jobs) - done) / 60
                print(f"streams: {done}/{len(jobs)} recorded, {left_min:.1f} min left", file=sys.stderr, flush=True)
    return tracks, time.monotonic() - started


def letter_probabilities(jobs: list[Job], tracks: list[tuple], models: dict[str, Path]) -> list[np.ndarray]:
    """Each stream's calibrated (T, 24) probabilities (NaN without a hand), one batch per model (trained if need be)."""
    probabilities = [np.full((len(track[0]), len(SIGN_LETTERS)), np.nan, np.float32) for track in tracks]
    for model_path in sorted(set(models.values())):
        if not model_path.with_suffix(".json").is_file():
            train_fold(sorted(source for source, path in models.items() if path == model_path), model_path)
        predictor = Predictor(model_path)
        if predictor.labels != SIGN_LETTERS:
            raise SystemExit(f"{model_path} reads {predictor.labels}, not the 24 letters {SIGN_LETTERS}")
        rows = [(stream, frame) for stream, job in enumerate(jobs) if models[job.source] == model_path
                for frame, hand in enumerate(tracks[stream][1]) if hand is not None]  # fmt: skip
        features = np.stack([normalize_landmarks(tracks[s][0][f], tracks[s][1][f]) for s, f in rows])
        for (stream, frame), row in zip(rows, predictor.predict_batch(features), strict=True):
            probabilities[stream][frame] = row
    return probabilities


def letter_models(model: str, people: list[str], photos_key: str) -> tuple[dict[str, Path], str]:
    """Each person's letters model (a fold's: trained without its people) and their identity for the cache key."""
    if model == "shipped":
        files = (SHIPPED_MODEL, SHIPPED_MODEL.with_suffix(".json"))
        return dict.fromkeys(people, SHIPPED_MODEL), hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    fold_of = {source: index % FOLDS for index, source in enumerate(sorted(people))}
    recipe = json.dumps([asl_landmarks_recipe(), fold_of, photos_key], sort_keys=True)
    folder = paths.cache_dir() / f"spelling_folds_{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"
    return {source: folder / f"fold{fold}.keras" for source, fold in fold_of.items()}, folder.name


def asl_landmarks_recipe() -> dict:
    """The letters-landmarks settings scripts/evaluate_sources.py trains with by default (one seed)."""
    from core.learn import recipes

    recipe = recipes.get_recipe("letters-landmarks")
    fields = ("epochs", "batch_size", "learning_rate", "label_smoothing", "validation_split")
    return {**{name: getattr(recipe, name) for name in fields}, **recipes.LETTERS_MLP, "seed": SEED}


def train_fold(held_out: list[str], path: Path) -> None:
    """Train letters-landmarks without the held-out people as core/learn/fit.py does, calibrated, and save it.

    Mirrored copies, asl_photos thinned, a validation split of whole groups, and the temperature fitted on it: the
    card beside the model carries it, so that core.predictor.Predictor reads the model as the app would.
    """
    from core.learn.inputs import split_validation
    from core.learn.spec import TrainSpec
    from scripts import evaluate_sources

    started = time.monotonic()
    settings = asl_landmarks_recipe()
    landmarks = asl_landmarks.load_all_landmarks(paths.data_dir(), paths.cache_dir())
    x_train, y_train, _, _, groups = asl_landmarks.source_split(landmarks, tuple(held_out))
    spec = TrainSpec(recipe="letters-landmarks", validation_split=settings["validation_split"], seed=SEED)
    x_fit, y_fit, (x_val, y_val) = split_validation(x_train, y_train, spec, groups)
    args = argparse.Namespace(**settings, smoothing=settings["label_smoothing"], mixup=0.0)
    model = evaluate_sources.train_one(args, x_fit, y_fit, np.ones(len(y_fit), np.float32), SEED)
    temperature = calibration.fit_temperature(model.predict(x_val, 1024, 0), y_val)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    card = {"labels": list(SIGN_LETTERS), "temperature": temperature, "held_out": held_out, **settings}
    path.with_suffix(".json").write_text(json.dumps(card, indent=1), encoding="utf-8")
    took_s = time.monotonic() - started
    print(f"fold model without {', '.join(held_out)}: {took_s:.0f} s, temperature {temperature:.3f}", file=sys.stderr)


def load_streams(paces: tuple[float, ...] = PACES_S, refresh: bool = False, model: str = "folds") -> list[Stream]:
    """All streams, from the cache (HANDLAB_HOME/cache/fingerspelling_streams_<key>.npz) or recorded now.

    Paces among PACES_S are taken from the recording of all of them, so that one cache serves every choice.
    """
    if set(paces) <= set(PACES_S):
        return [stream for stream in load_recording(PACES_S, refresh, model)[0] if stream.pace_s in paces]
    return load_recording(paces, refresh, model)[0]


def load_recording(paces: tuple[float, ...], refresh: bool, model: str) -> tuple[list[Stream], dict]:
    """The streams and how they were recorded (cache path, wall and tracker seconds), recording them if needed."""
    photo_paths, photos_key = _webcam_photos(model)
    models, models_key = letter_models(model, list(photo_paths), photos_key)
    key = _key(paces, model, photos_key, models_key, words=WORDS, per_person=WORDS_PER_PERSON)
    fields, cache = _recording("fingerspelling_streams", key, photo_paths, models, lambda: [
        Job(source, word, kind, float(pace)) for source in sorted(photo_paths)
        for word, kind in words_for(source, set(photo_paths[source])) for pace in paces], refresh)  # fmt: skip
    timing = {"cache": cache, "wall_s": float(fields["wall_s"]), "tracker_s": float(fields["tracker_s"])}
    return unpack(fields), timing


def _key(paces: tuple[float, ...], model: str, photos_key: str, models_key: str, **words) -> dict:
    """A recording's cache key: how streams are made and read, which photos and models, and its words.

    The photos' key holds the landmark pipeline's version and the hand models' hashes (hand_landmarks.cache_key).
    """
    return {"version": STREAMS_VERSION, "paces": list(paces), "fps": FPS, "seed": SEED, "synthesis": asdict(SYNTHESIS),
            "photos": photos_key, "model": model, "models": models_key, **words}  # fmt: skip


def _recording(
    name: str, key: dict, photo_paths: dict, models: dict[str, Path], jobs: Callable[[], list[Job]], refresh: bool
) -> tuple[dict[str, np.ndarray], Path]:
    """The cached recording of HANDLAB_HOME/cache/<name>_<key hash>.npz, or the jobs recorded and read now."""
    text = json.dumps(key, sort_keys=True)
    cache = paths.cache_dir() / f"{name}_{hashlib.sha256(text.encode()).hexdigest()[:12]}.npz"
    arrays = None if refresh else npz_cache.read_arrays(cache, text, CACHE_FIELDS)
    if arrays is not None:
        return dict(zip(CACHE_FIELDS, arrays, strict=True)), cache
    todo = jobs()
    tracks, wall_s = record(todo, photo_paths)
    fields = pack(todo, tracks, letter_probabilities(todo, tracks, models), wall_s)
    npz_cache.write_arrays(cache, text, fields)
    return fields, cache


def load_motion_streams(model: str = "folds", refresh: bool = False) -> list[Stream]:
    """Words with J or Z (MOTION_WORDS, kind "motion") at every pace of PACES_S, by each person with an asl_motion
    clip of the word's J or Z: the clip draws the letter (at 15 fps), the other letters are held as in load_streams."""
    photo_paths, photos_key = _webcam_photos(model)
    models, models_key = letter_models(model, list(photo_paths), photos_key)
    clips = {source: letters for source, letters in _motion_clips().items() if source in photo_paths}
    for source, letters in clips.items():
        photo_paths[source].update(letters)
    key = _key(PACES_S, model, photos_key, models_key, words=MOTION_WORDS, per_person=MOTION_WORDS_PER_PERSON,
               clip_step=CLIP_STEP, clips=clips)  # fmt: skip
    fields, _ = _recording("fingerspelling_motion", key, photo_paths, models, lambda: [
        Job(source, word, "motion", pace) for source in sorted(clips)
        for word in motion_words_for(source, set(photo_paths[source])) for pace in PACES_S], refresh)  # fmt: skip
    return unpack(fields)


def motion_words_for(source: str, letters: set[str]) -> list[str]:
    """The person's words with J or Z: a seeded draw of those made of letters they have (J and Z: a clip)."""
    rng = np.random.default_rng([SEED, zlib.crc32(source.encode())])
    return [str(word) for word in rng.permutation([w for w in MOTION_WORDS if set(w) <= letters])][
        :MOTION_WORDS_PER_PERSON
    ]


def drawn(photo_bgr: np.ndarray, letter: str) -> list[np.ndarray]:
    """DRAW_FRAMES frames of the photo carried along the letter's path (evenly along its length)."""
    path = DRAW_PATHS[letter]
    along = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    targets = np.linspace(0, along[-1], DRAW_FRAMES)
    points = np.stack([np.interp(targets, along, path[:, axis]) for axis in range(2)], axis=1)
    height, width = photo_bgr.shape[:2]
    shifts = (points - points.mean(axis=0)) * DRAW_SIZE * height
    return [cv2.warpAffine(photo_bgr, np.float64([[1, 0, dx], [0, 1, dy]]), (width, height),
                           borderMode=cv2.BORDER_REPLICATE) for dx, dy in shifts]  # fmt: skip


def load_drawn_streams(model: str = "folds", refresh: bool = False) -> list[Stream]:
    """Words with J or Z (MOTION_WORDS, kind "drawn") at every pace of PACES_S, by every person: each J or Z their
    own I or D photo carried along the letter's path (`drawn`), the other letters held as in load_streams."""
    photo_paths, photos_key = _webcam_photos(model)
    models, models_key = letter_models(model, list(photo_paths), photos_key)
    for letters in photo_paths.values():
        letters.update({motion: letters[still] for motion, still in DRAWN_FROM.items() if still in letters})
    key = _key(PACES_S, model, photos_key, models_key, words=MOTION_WORDS, per_person=MOTION_WORDS_PER_PERSON,
               drawn=[DRAW_FRAMES, DRAW_SIZE], paths={k: v.tolist() for k, v in DRAW_PATHS.items()})  # fmt: skip
    fields, _ = _recording("fingerspelling_drawn", key, photo_paths, models, lambda: [
        Job(source, word, "drawn", pace) for source in sorted(photo_paths)
        for word in motion_words_for(source, set(photo_paths[source])) for pace in PACES_S], refresh)  # fmt: skip
    return unpack(fields)


def _motion_clips() -> dict[str, dict[str, list[str]]]:
    """Each person's asl_motion clips: source -> {"J": frame paths in order, "Z": ...}."""
    folder = paths.data_dir() / "asl_motion"
    clips: dict[str, dict[str, list[str]]] = {}
    for clip in sorted(folder.glob("*/*")):
        if clip.is_dir() and clip.name in MOTION_LETTERS:
            clips.setdefault(clip.parent.name, {})[clip.name] = [str(f) for f in sorted(clip.glob("*.jpg"))]
    return clips


CACHE_FIELDS = ("sources", "words", "kinds", "paces", "offsets", "probabilities", "landmarks_px", "handedness",
                "truth", "wall_s", "tracker_s")  # fmt: skip


def pack(jobs: list[Job], tracks: list[tuple], probabilities: list[np.ndarray], wall_s: float) -> dict[str, np.ndarray]:
    """The cache's arrays: per-stream fields, then every frame of every stream concatenated (offsets say where)."""
    landmarks, handedness, truth, tracker_s = zip(*tracks, strict=True)
    return {
        "sources": np.array([job.source for job in jobs], str), "words": np.array([job.word for job in jobs], str),
        "kinds": np.array([job.kind for job in jobs], str), "paces": np.array([job.pace_s for job in jobs]),
        "offsets": np.cumsum([0, *map(len, truth)]), "probabilities": np.concatenate(probabilities),
        "landmarks_px": np.concatenate(landmarks), "truth": np.concatenate(truth),
        "handedness": np.array([hand or "" for hands in handedness for hand in hands], str),
        "wall_s": np.float64(wall_s), "tracker_s": np.float64(sum(tracker_s)),
    }  # fmt: skip


def unpack(fields: dict[str, np.ndarray]) -> list[Stream]:
    """The Streams of the cache's arrays."""
    per_stream = zip(fields["sources"], fields["words"], fields["kinds"], fields["paces"], strict=True)
    spans = zip(fields["offsets"][:-1], fields["offsets"][1:], strict=True)
    return [
        Stream(str(source), str(word), str(kind), float(pace), np.arange(end - start) / FPS,
               fields["probabilities"][start:end], fields["landmarks_px"][start:end],
               [str(hand) or None for hand in fields["handedness"][start:end]], fields["truth"][start:end])
        for (source, word, kind, pace), (start, end) in zip(per_stream, spans, strict=True)
    ]  # fmt: skip


def _webcam_photos(model: str) -> tuple[dict[str, dict[str, list[str]]], str]:
    """The photo paths of the people to stream, by person and letter, and a fingerprint of all asl_webcam photos."""
    data = paths.data_dir()
    needed = [hand_landmarks.WEBCAM_FOLDER] + ([hand_landmarks.ASL_PHOTOS] if model == "folds" else [])
    if missing := [f"{name}/" for name in needed if not (data / name).is_dir()]:
        folders = " and ".join(f"{name}/" for name in needed)
        raise SystemExit(f"no {' or '.join(missing)} in {data}: set HANDLAB_DATA_DIR to the folder holding {folders}")
    photos = hand_landmarks.list_webcam_photos(data / hand_landmarks.WEBCAM_FOLDER)
    wanted = asl_landmarks.TEST_SOURCES if model == "shipped" else sorted({photo.source for photo in photos})
    photo_paths: dict[str, dict[str, list[str]]] = {source: {} for source in wanted}
    for photo in photos:
        if photo.source in photo_paths:
            photo_paths[photo.source].setdefault(SIGN_LETTERS[photo.label], []).append(photo.path)
    return photo_paths, hand_landmarks.cache_key(photos)


def hold_accuracy(streams: list[Stream]) -> float:
    """Share of hold frames (truth >= 0) whose most likely letter is the one held; a frame without a hand is wrong."""
    labels = np.concatenate([[SIGN_LETTERS.index(s.word[i]) if i >= 0 else -1 for i in s.truth] for s in streams])
    read = np.concatenate([np.nan_to_num(s.probabilities, nan=-1.0).argmax(axis=1) for s in streams])
    return float((read == labels)[labels >= 0].mean())


def summary_rows(streams: list[Stream], paces: tuple[float, ...]) -> list[str]:
    """One table line per person (and one for all): streams per pace, frames, hands found, hold accuracy per pace."""
    rows = []
    for source in [*dict.fromkeys(stream.source for stream in streams), "all"]:
        own = [stream for stream in streams if source in ("all", stream.source)]
        counts = "/".join(str(sum(s.pace_s == pace for s in own)) for pace in paces)
        found = np.concatenate([~np.isnan(s.landmarks_px[:, 0, 0]) for s in own])
        held = np.concatenate([s.truth >= 0 for s in own])
        accuracies = "".join(f"{hold_accuracy([s for s in own if s.pace_s == pace]):>10.1%}" for pace in paces)
        rows.append(f"{source:<22}{counts:>9}{len(found):>8}{found.mean():>7.1%}{found[held].mean():>7.1%}{accuracies}")
    return rows


def main() -> None:
    """Record (or load) the streams and print what the live path saw, person by person."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("folds", "shipped"), default="folds", help="which letters model reads")
    parser.add_argument("--refresh", action="store_true", help="record again even if the cache is current")
    args = parser.parse_args()
    streams, timing = load_recording(PACES_S, args.refresh, args.model)
    frames = sum(len(stream.truth) for stream in streams)
    print(f"{len(streams)} streams ({args.model} model), {frames} frames, {timing['cache']}")
    paces = "".join(f"{f'acc {pace:g}s':>10}" for pace in PACES_S)
    print(f"{'source':<22}{'streams':>9}{'frames':>8}{'hand':>7}{'h@hold':>7}{paces}")
    print("\n".join(summary_rows(streams, PACES_S)))
    leave = round(SYNTHESIS.leave_s * FPS)
    empty = np.concatenate([~np.isnan(stream.landmarks_px[-leave:, 0, 0]) for stream in streams])
    print(f"hand found on {empty.mean():.1%} of the frames after the hand left (there is none)")
    wall_ms, tracker_ms = (1000 * timing[name] / frames for name in ("wall_s", "tracker_s"))
    print(f"recorded in {timing['wall_s']:.0f} s: {wall_ms:.1f} ms a frame, {tracker_ms:.1f} ms in one of {WORKERS}")


if __name__ == "__main__":
    main()
