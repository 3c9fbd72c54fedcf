"""Group the ink components of a drawing or photo into digits: pieces that overlap in x, flags and dots join."""

import cv2
import numpy as np

DOT_AREA = 0.15  # A split piece under this fraction of the largest piece's area joins its neighbour.
MAYBE_ONE_OVERLAP = 0.25  # Neighbours overlapping this much in x (but under half) may be one digit in two strokes.
FLAG_GAP = 0.2  # A flat stroke at a digit's top, at most this far (× the digit's height) beside it, is its flag.
# Further out, up to this far, it may be its flag or a stroke of its own (a 5's long bar drawn well to the right):
# the reader reads both ways and keeps the surer.
MAYBE_FLAG_GAP = 0.5
FLAG_ABOVE = 0.3  # A flag's middle lies at most this far (× the digit's height) above or below the digit's top...
# ...or, to be read both ways, up to this far above it: a 5's bar drawn apart often floats over the body.
MAYBE_FLAG_ABOVE = 0.6


def group_components(stats: np.ndarray) -> list[list[int]]:
    """Group component indices into digits: pieces overlapping in x join, and so do flags and small dots."""
    groups: list[list[int]] = []
    for index in np.argsort(stats[:, cv2.CC_STAT_LEFT], kind="stable").tolist():
        if groups and _same_digit(union_box(stats[groups[-1]]), union_box(stats[[index]])):
            groups[-1].append(index)
        else:
            groups.append([index])
    while len(groups) > 1:
        areas = [int(stats[group, cv2.CC_STAT_AREA].sum()) for group in groups]
        smallest = int(np.argmin(areas))
        if areas[smallest] >= DOT_AREA * max(areas):
            break
        dot = groups.pop(smallest)
        nearest = min(groups, key=lambda group: _x_gap(union_box(stats[group]), union_box(stats[dot])))
        nearest.extend(dot)
    return sorted(groups, key=lambda group: union_box(stats[group])[0])


def _same_digit(a_xywh: tuple[int, ...], b_xywh: tuple[int, ...]) -> bool:
    """Whether two pieces, the second starting further right, belong to one digit."""
    return _x_overlap(a_xywh, b_xywh) >= 0.5 or _is_flag(a_xywh, b_xywh) or _is_flag(b_xywh, a_xywh)


def maybe_one_digit(first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two neighbouring groups (stats rows) may be one digit: they overlap in x, or one is the other's flag."""
    a_xywh, b_xywh = union_box(first), union_box(second)
    if _x_overlap(a_xywh, b_xywh) >= MAYBE_ONE_OVERLAP:
        return True
    maybe = {"gap": MAYBE_FLAG_GAP, "above": MAYBE_FLAG_ABOVE}
    return _is_flag(a_xywh, b_xywh, **maybe) or _is_flag(b_xywh, a_xywh, **maybe)


def _is_flag(
    flag_xywh: tuple[int, ...], digit_xywh: tuple[int, ...], gap: float = FLAG_GAP, above: float = FLAG_ABOVE
) -> bool:
    """Whether a piece is a flat stroke at the top of a digit: its middle at most `above` × the digit's height above
    the digit's top (FLAG_ABOVE below it), and at most `gap` × the height beside it in x."""
    # People often draw the top bar of a 5 last, apart and to the right: half of it need not overlap the rest.
    _, flag_y, flag_w, flag_h = flag_xywh
    _, top, _, height = digit_xywh
    flat = flag_w >= 1.8 * flag_h and flag_h <= 0.4 * height
    at_top = top - above * height <= flag_y + flag_h / 2 <= top + FLAG_ABOVE * height
    return flat and at_top and _x_gap(flag_xywh, digit_xywh) <= gap * height


def union_box(stats: np.ndarray) -> tuple[int, int, int, int]:
    """The box_xywh around components given by their connectedComponentsWithStats rows."""
    left, top = stats[:, 0].min(), stats[:, 1].min()
    right, bottom = (stats[:, 0] + stats[:, 2]).max(), (stats[:, 1] + stats[:, 3]).max()
    return int(left), int(top), int(right - left), int(bottom - top)


def _x_overlap(a_xywh: tuple[int, ...], b_xywh: tuple[int, ...]) -> float:
    """Horizontal overlap of two boxes as a fraction of the narrower one's width."""
    overlap = min(a_xywh[0] + a_xywh[2], b_xywh[0] + b_xywh[2]) - max(a_xywh[0], b_xywh[0])
    return max(0, overlap) / max(1, min(a_xywh[2], b_xywh[2]))


def _x_gap(a_xywh: tuple[int, ...], b_xywh: tuple[int, ...]) -> int:
    """Horizontal distance between two boxes (0 when they overlap in x)."""
    return max(0, max(a_xywh[0], b_xywh[0]) - min(a_xywh[0] + a_xywh[2], b_xywh[0] + b_xywh[2]))
