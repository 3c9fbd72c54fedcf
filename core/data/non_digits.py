"""Ink that is not a digit, drawn as the Draw page's canvas draws it: letters, shapes, doodles and scribbles.

The digits model only ever saw digits, so it reads a letter A as a sure "4" (issue #32). This module makes the
other kind of ink, to measure how often the reader says "not a digit" (`benchmarks/non_digits.py`) and to teach
the model (outlier exposure: `core.data.mnist_other`). Every drawing is a pen path in a unit box, jittered and
slanted a little as a hand would, then drawn with a round pen (`pen_strokes.render_pen`) at a random size, place
and pen width on a 320 px canvas, white on black, as the page's canvas returns it.

Letters are a font's glyphs thinned to their centreline (`pen_strokes.skeleton_of`): OpenCV's Hershey fonts (pen
paths by birth, in every OpenCV) and TrueType fonts found on the machine. Two sets that share no font, no seed
and only some shape families keep tuning apart from measuring: `TUNING` teaches and sets thresholds, `HELD_OUT`
is only measured.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from core.vision import pen_strokes

CANVAS_SIDE = 320  # px, the Draw page's canvas
PEN_PX = (6, 40)  # the page's thinnest and thickest pens
MAX_PEN = 0.25  # of the drawing's size: nobody draws a smiley with a pen half as wide as the smiley
INK_SIZE = (0.3, 0.9)  # the drawing's longer side as a fraction of the canvas: from small to filling it
MAX_TURN_DEG = 12  # a hand's slant either way
MAX_SHEAR = 0.2
ASPECT = (0.75, 1.3)  # width stretched or squeezed by up to this, as people draw wider or narrower
JITTER = 0.012  # of the unit box: a hand's wobble...
WOBBLE_STEPS = 25  # ...smoothed over this many points 0.01 apart: it bends a line, it does not fray it
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Letters a person writes as a digit: no reader can tell them apart from that digit without context, so figures
# are given with and without them. Chosen before measuring, from the shapes alone.
DIGIT_LOOKALIKES = {"O": "0", "o": "0", "I": "1", "l": "1", "S": "5", "s": "5", "Z": "2", "z": "2"}
DIGIT_LOOKALIKES |= {"b": "6", "g": "9", "q": "9", "B": "8"}
# Other scripts' letters and symbols, for teaching only (TUNING): the model learns from many shapes what is not a
# digit. Left out: any that is written like a digit (θ, σ, ø, З, ð, ?, !, $, §, ∫, ...) and any that is one of
# HELD_OUT's own shape families (+, #, ✓, √, ×, ⌂, ☁, ⚡).
SYMBOLS = "αηκλμνπρχψωΓΔΛΞΠΣΨΩЖДЛПЦШЩЪЫЮЯжлпцшщыюяикгнмт@%€¥©®∞≈≠∑←→↔♠♣♥♦☺☻★☆♪♫☼☀☂☎✉✂✈♀♂☮⚓♞♛⌘¶æœþŋ"
MISSING_GLYPH = "\U000fffff"  # a private-use character no font has: its drawing is the font's "missing" box
GLYPH_PX = 160  # font size at which glyphs are rendered before thinning

Stroke = np.ndarray  # (N, 2) float (x, y) points in a unit box, y down


@dataclass(frozen=True)
class NonDigitSet:
    """Which fonts and shapes make a set, and the seed of its sizes, places, pens and wobbles."""

    hershey_fonts: tuple[int, ...]  # cv2.FONT_HERSHEY_* (| cv2.FONT_ITALIC)
    font_files: tuple[str, ...]  # TrueType files; those missing on this machine are left out
    shapes: tuple[str, ...]  # names in SHAPES
    seed: int
    symbols: str = ""  # characters of SYMBOLS, drawn by the TrueType fonts that have them
    per_shape: int = 40  # drawings of each shape family
    per_letter: int = 1  # drawings of each letter in each font


@dataclass(frozen=True)
class NonDigit:
    """One drawing: its family ("letter" or a shape's name), what it is (e.g. "A, DejaVuSans") and the canvas."""

    family: str
    name: str
    image_rgba: np.ndarray  # (CANVAS_SIDE, CANVAS_SIDE, 4) uint8, white ink on opaque black

    @property
    def digit_lookalike(self) -> bool:
        """Whether this is a letter written like a digit (O, l, S, ...)."""
        return self.family == "letter" and self.name.split(",")[0] in DIGIT_LOOKALIKES


# Shape makers: rng -> strokes in a unit box. Each draws one kind of doodle the way people draw it.


def _arc(cx: float, cy: float, rx: float, ry: float, start_deg: float, end_deg: float, n: int = 32) -> Stroke:
    angles = np.radians(np.linspace(start_deg, end_deg, n))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1)


def _polygon(corners: int, turn_deg: float, star: bool = False) -> Stroke:
    """A closed regular polygon (or star) in the unit box, its first corner at turn_deg."""
    step = 2 if star else 1
    angles = np.radians(turn_deg + 360 * np.arange(corners + 1) * step / corners)
    return np.stack([0.5 + 0.5 * np.cos(angles), 0.5 + 0.5 * np.sin(angles)], 1)


def _triangle(rng: np.random.Generator) -> list[Stroke]:
    return [_polygon(3, -90 + rng.uniform(-20, 20))]


def _square(rng: np.random.Generator) -> list[Stroke]:
    return [_polygon(4, 45 + rng.uniform(-8, 8))]


def _star(rng: np.random.Generator) -> list[Stroke]:
    return [_polygon(5, -90 + rng.uniform(-10, 10), star=True)]


def _heart(rng: np.random.Generator) -> list[Stroke]:
    t = np.linspace(0, 2 * np.pi, 64)
    x, y = 16 * np.sin(t) ** 3, -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    return [np.stack([x, y], 1)]


def _spiral(rng: np.random.Generator) -> list[Stroke]:
    turns = rng.uniform(1.8, 3.5)
    t = np.linspace(0, turns * 2 * np.pi, 120)
    radius = t / t[-1]
    return [np.stack([radius * np.cos(t), radius * np.sin(t) * rng.choice([-1, 1])], 1)]


def _zigzag(rng: np.random.Generator) -> list[Stroke]:
    teeth = int(rng.integers(3, 7))
    x = np.linspace(0, 1, 2 * teeth + 1)
    return [np.stack([x, np.tile([0.0, 1.0], teeth + 1)[: len(x)] * rng.uniform(0.3, 0.7)], 1)]


def _wave(rng: np.random.Generator) -> list[Stroke]:
    t = np.linspace(0, rng.uniform(2, 4) * np.pi, 80)
    return [np.stack([t, np.sin(t) * rng.uniform(0.6, 1.4)], 1)]


def _arrow(rng: np.random.Generator) -> list[Stroke]:
    head = rng.uniform(0.2, 0.35)
    return [np.array([[0, 0.5], [1, 0.5]]), np.array([[1 - head, 0.5 - head], [1, 0.5], [1 - head, 0.5 + head]])]


def _scribble(rng: np.random.Generator) -> list[Stroke]:
    """One stroke that loops and crosses itself (a tangle), or wanders off with momentum: what a bored hand does."""
    if rng.random() < 0.5:
        t = np.linspace(0, 1, 200)[:, None]
        waves = rng.uniform(0.5, 4.5, (3, 2)), rng.uniform(0, 2 * np.pi, (3, 2)), rng.uniform(0.3, 1, (3, 2))
        return [sum(amp * np.sin(2 * np.pi * freq * t + phase) for freq, phase, amp in zip(*waves, strict=True))]
    heading, point, points = rng.uniform(0, 2 * np.pi), np.zeros(2), [np.zeros(2)]
    for _ in range(int(rng.integers(6, 16))):
        heading += rng.normal(0, 1.4)
        point = point + rng.uniform(0.3, 1.0) * np.array([np.cos(heading), np.sin(heading)])
        points.append(point)
    return [_smooth(_resample(np.array(points), 0.1), 6)]


def _smiley(rng: np.random.Generator) -> list[Stroke]:
    eye = rng.uniform(0.03, 0.07)
    eyes = [_arc(x, 0.37, eye, eye, 0, 360, 12) for x in (0.35, 0.65)]
    if rng.random() < 0.5:  # eyes as short strokes
        eyes = [np.array([[x, 0.3], [x, 0.42]]) for x in (0.35, 0.65)]
    mouth = _arc(0.5, 0.5, 0.25, rng.uniform(0.12, 0.25), 20, 160, 24)
    return [_arc(0.5, 0.5, 0.5, 0.5, -90, 270 + rng.uniform(-10, 15), 64), *eyes, mouth]


def _cross(rng: np.random.Generator) -> list[Stroke]:
    return [np.array([[0, 0], [1, 1]]), np.array([[1, 0], [0, 1]])]


def _plus(rng: np.random.Generator) -> list[Stroke]:
    return [np.array([[0.5, 0], [0.5, 1]]), np.array([[0, 0.5], [1, 0.5]])]


def _check(rng: np.random.Generator) -> list[Stroke]:
    return [np.array([[0, 0.55], [rng.uniform(0.3, 0.4), 1], [1, 0]])]


def _house(rng: np.random.Generator) -> list[Stroke]:
    return [np.array([[0.1, 1], [0.1, 0.45], [0.5, 0], [0.9, 0.45], [0.9, 1], [0.1, 1]])]


def _lightning(rng: np.random.Generator) -> list[Stroke]:
    return [np.array([[0.6, 0], [0.2, 0.55], [0.6, 0.5], [0.3, 1]])]


def _hash(rng: np.random.Generator) -> list[Stroke]:
    return [np.array([[0.35, 0], [0.3, 1]]), np.array([[0.7, 0], [0.65, 1]])] + [
        np.array([[0, y], [1, y]]) for y in (0.35, 0.65)
    ]


def _cloud(rng: np.random.Generator) -> list[Stroke]:
    bumps = int(rng.integers(3, 6))
    centres = np.linspace(0.15, 0.85, bumps)
    top = np.concatenate([_arc(x, 0.45, 0.7 / bumps / 2 + 0.02, 0.2, 180, 360, 16) for x in centres])
    return [np.concatenate([top, np.array([[0.9, 0.55], [0.1, 0.55], top[0]])])]


def _polygon_random(rng: np.random.Generator) -> list[Stroke]:
    """A closed outline through 5–8 random points, in random order: it may cross itself."""
    points = rng.uniform(0, 1, (int(rng.integers(5, 9)), 2))
    return [np.concatenate([points, points[:1]])]


def _envelope(rng: np.random.Generator) -> list[Stroke]:
    flap = rng.uniform(0.35, 0.6)
    return [_polygon(4, 45), np.array([[0.15, 0.15], [0.5, 0.15 + flap * 0.7], [0.85, 0.15]])]


SHAPES = {
    "triangle": _triangle,
    "square": _square,
    "star": _star,
    "heart": _heart,
    "spiral": _spiral,
    "zigzag": _zigzag,
    "wave": _wave,
    "arrow": _arrow,
    "scribble": _scribble,
    "smiley": _smiley,
    "cross": _cross,
    "plus": _plus,
    "check": _check,
    "house": _house,
    "lightning": _lightning,
    "hash": _hash,
    "cloud": _cloud,
    "polygon": _polygon_random,
    "envelope": _envelope,
}

_DEJAVU = "/usr/share/fonts/truetype/dejavu/"
_LIBERATION = "/usr/share/fonts/truetype/liberation/"
TUNING = NonDigitSet(
    hershey_fonts=(cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX),
    font_files=tuple(
        _DEJAVU + name
        for name in (
            *("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Oblique.ttf"),
            *("DejaVuSans-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSansCondensed.ttf"),
        )
    ),
    shapes=(
        *("triangle", "square", "star", "heart", "spiral", "zigzag", "wave", "arrow", "scribble", "smiley", "cross"),
        *("polygon", "envelope"),
    ),
    seed=1,
    symbols=SYMBOLS,
)
HELD_OUT = NonDigitSet(
    hershey_fonts=(
        cv2.FONT_HERSHEY_DUPLEX,
        cv2.FONT_HERSHEY_TRIPLEX | cv2.FONT_ITALIC,
        cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    ),
    font_files=tuple(
        _LIBERATION + name
        for name in (
            "LiberationSans-Regular.ttf",
            "LiberationSerif-Regular.ttf",
            "LiberationMono-Regular.ttf",
            "LiberationSansNarrow-Regular.ttf",
            "LiberationSerif-Italic.ttf",
        )
    ),
    # scribble, smiley and cross also come in TUNING (other seeds); the rest are families tuning never saw.
    shapes=("scribble", "smiley", "cross", "plus", "check", "house", "lightning", "hash", "cloud"),
    seed=2,
)


def drawings(which: NonDigitSet) -> Iterator[NonDigit]:
    """Every drawing of a set: each letter in each font, then each shape family, in a fixed order."""
    rng = np.random.default_rng(which.seed)
    for font_name, font in set_fonts(which):
        for letter in LETTERS:
            path = glyph_path(letter, font)
            for _ in range(which.per_letter):
                yield NonDigit("letter", f"{letter}, {font_name}", draw_on_canvas(path, rng))
    for font_name, font in set_fonts(which):
        for symbol in which.symbols if isinstance(font, str) else "":
            path = glyph_path(symbol, font)
            if len(path):
                yield NonDigit("symbol", f"{symbol}, {font_name}", draw_on_canvas(path, rng))
    for shape in which.shapes:
        for _ in range(which.per_shape):
            strokes = SHAPES[shape](rng)
            yield NonDigit(shape, shape, draw_on_canvas(strokes_to_segments(strokes, rng), rng))


def set_fonts(which: NonDigitSet) -> list[tuple[str, int | str]]:
    """A set's fonts as (name, font) pairs: its Hershey fonts, and those of its TrueType files on this machine."""
    fonts: list[tuple[str, int | str]] = [(f"Hershey{font}", font) for font in which.hershey_fonts]
    return fonts + [(Path(path).stem, path) for path in which.font_files if Path(path).is_file()]


@cache
def glyph_path(letter: str, font: int | str) -> np.ndarray:
    """A letter's centreline in a font (a cv2 Hershey font number or a TrueType file) as segments (N, 2, 2) px;
    empty when a TrueType font has no such glyph."""
    side = 2 * GLYPH_PX
    if isinstance(font, int):
        mask = np.zeros((side, side), np.uint8)
        scale = cv2.getFontScaleFromHeight(font, GLYPH_PX // 2, 3)
        cv2.putText(mask, letter, (side // 4, 3 * side // 4), font, scale, 1, 5, cv2.LINE_8)
    else:
        mask = _truetype_mask(letter, font)
        if np.array_equal(mask, _truetype_mask(MISSING_GLYPH, font)):
            return np.zeros((0, 2, 2), np.float32)
    return pen_strokes.path_segments(pen_strokes.skeleton_of(mask))


def _truetype_mask(letter: str, font_file: str) -> np.ndarray:
    """A character of a TrueType font as a binary uint8 mask (a font without it draws its "missing" box)."""
    from PIL import Image, ImageDraw, ImageFont

    side = 2 * GLYPH_PX
    image = Image.new("L", (side, side))
    font = ImageFont.truetype(font_file, GLYPH_PX)
    ImageDraw.Draw(image).text((side // 4, side // 8), letter, fill=255, font=font)
    return (np.asarray(image) >= 128).astype(np.uint8)


def strokes_to_segments(strokes: list[Stroke], rng: np.random.Generator) -> np.ndarray:
    """Strokes (each (N, 2) points) as segments (M, 2, 2), every stroke wobbling a little as a hand draws it."""
    low = np.min([stroke.min(0) for stroke in strokes], axis=0)
    high = np.max([stroke.max(0) for stroke in strokes], axis=0)
    scale = 1 / max(float((high - low).max()), 1e-6)
    segments = []
    for stroke in strokes:
        points = _resample((stroke - low) * scale, 0.01)
        # White noise averaged over WOBBLE_STEPS points keeps 1/sqrt(WOBBLE_STEPS) of its spread: a slow wobble.
        wobble = _smooth(rng.normal(0, JITTER * math.sqrt(WOBBLE_STEPS), points.shape), WOBBLE_STEPS)
        points = points + wobble
        segments.append(np.stack([points[:-1], points[1:]], 1))
    return np.concatenate(segments).astype(np.float32)


def draw_on_canvas(segments_xy: np.ndarray, rng: np.random.Generator, side: int = CANVAS_SIDE) -> np.ndarray:
    """Segments of a drawing slanted, stretched, sized and placed at random on the canvas and drawn with a random
    pen: RGBA uint8, white ink on opaque black."""
    points = segments_xy.reshape(-1, 2).astype(np.float64)
    points = points - points.mean(0)
    turn = math.radians(rng.uniform(-MAX_TURN_DEG, MAX_TURN_DEG))
    rotate = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    shape = np.array([[rng.uniform(*ASPECT), rng.uniform(-MAX_SHEAR, MAX_SHEAR)], [0, 1]])
    points = points @ (rotate @ shape).T
    ink_side = rng.uniform(*INK_SIZE) * side
    pen = min(rng.uniform(*PEN_PX), MAX_PEN * ink_side)
    extent = points.max(0) - points.min(0)
    points = (points - points.min(0)) * (max(ink_side - pen, 4) / max(float(extent.max()), 1e-6))
    room = np.maximum(side - pen - (points.max(0)), 0)
    points = points + pen / 2 + rng.uniform(0, 1, 2) * room
    ink = pen_strokes.render_pen(points.reshape(-1, 2, 2).astype(np.float32), (side, side), pen)
    grey = np.round(ink * 255).astype(np.uint8)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


def _resample(points: np.ndarray, step: float) -> np.ndarray:
    """Points along a polyline every `step` apart (its corners kept), so that a wobble bends long lines too."""
    out = [points[:1]]
    for start, end in zip(points[:-1], points[1:], strict=True):
        count = max(1, math.ceil(float(np.linalg.norm(end - start)) / step))
        out.append(start + (end - start) * (np.arange(1, count + 1)[:, None] / count))
    return np.concatenate(out)


def _smooth(points: np.ndarray, window: int) -> np.ndarray:
    """A moving average along the first axis (the ends kept in place by edge padding)."""
    if len(points) < 3:
        return points
    kernel = np.ones(window) / window
    padded = np.pad(points, ((window, window), (0, 0)), mode="edge")
    smoothed = np.stack([np.convolve(padded[:, i], kernel, mode="same") for i in range(points.shape[1])], 1)
    return smoothed[window:-window]
