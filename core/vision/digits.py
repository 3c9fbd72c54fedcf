"""Turn canvas drawings and photos of handwritten digits into the 28×28 inputs the digit models read.

Digits follow MNIST: white ink on black, the ink's longer side scaled to 20 px, the centre of mass at the
centre of a 28×28 frame.
"""

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from core import images
from core.vision import digit_groups

DIGIT_SIZE = 28  # MNIST frame.
DIGIT_BOX = 20  # MNIST scales the ink's longer side to 20 px.
DIGIT_CENTER = 14  # MNIST's mean centre of mass is at pixel index (14.0, 14.0).
STROKE_RATIO = 0.12  # MNIST's median stroke width (2.4 px at a 0.5 threshold) over its 20 px box.
WORK_BOX = 80  # Longer side (px) of the ink while its stroke width is normalised: 4× the final box.
MIN_INK = 0.1  # Below this peak intensity (0..1) an image holds no ink.
SPECK_SIDE = 0.03  # Components shorter than this fraction of the image's longer side are specks...
SPECK_AREA = 0.05  # ...and so are components smaller than this fraction of the largest one's area.
PHOTO_SIDE = 1000  # Photos are reduced to this longer side (px) before thresholding.
MIN_CONTRAST = 0.08  # Ink in a photo must differ from the paper by at least this much (0..1).
# The paper's level is what a morphological opening of this width (px, on the photo shrunk to 64 px) leaves: ink
# narrower goes. 11 px ate the crossings of thick digits (a 15% pen at 64 px: 92.5% read right, 98.5% with 17).
BACKGROUND_KERNEL = 17
PAGE_SIDE = 128  # px: a photo's longer side while the sheet of paper is looked for.
PAGE_SMOOTH = 0.07  # A median filter this fraction of the side wide wipes pen strokes off the page while looking.
MIN_PAGE_CONTRAST = 40  # Grey levels between a sheet and the table around it; less is one surface.
MIN_PAGE_AREA = 0.15  # A sheet covers at least this fraction of the photo...
MIN_PAGE_SOLIDITY = 0.85  # ...and fills this much of its convex hull (a sheet is a quadrilateral, a table is not)...
MIN_PAGE_RECTANGULARITY = 0.88  # ...and of its smallest rectangle (sheets: 0.96; thick digits' ink: up to 0.83).
MIN_PAGE_EDGE = 0.15  # The sheet's edge is a step: grey changes there by this fraction of the contrast per pixel
# (a shadow or a lighting gradient changes it by ~0.02 of it per pixel).
PAGE_MARGIN = 0.02  # The sheet's edge, this fraction of the side, is left out: shadows and curl lie there.


@dataclass(frozen=True, eq=False)
class PenSteps:
    """How a digit's pen was evened: its ink before and after, at the working size (longer side WORK_BOX px)."""

    found: np.ndarray  # (h, w) float32 0/1: the ink as found, scaled to the working size
    evened: np.ndarray  # the same after thickening or thinning its strokes to MNIST's proportion
    found_ratio: float  # stroke width over the ink's longer side, as drawn (MNIST's: STROKE_RATIO)
    evened_ratio: float  # the same after evening


@dataclass(frozen=True, eq=False)
class DigitCrop:
    """One digit found in a drawing or photo."""

    image: np.ndarray  # (28, 28) float32 in [0, 1], white ink on black, MNIST-normalised.
    box_xywh: tuple[int, int, int, int]  # Where its ink lies in the input image, in input pixels.
    strokes: int = 1  # Separate pieces of ink it is made of, not counting dots (under DOT_AREA of the largest).
    pen: PenSteps | None = None  # How its stroke width was evened, to show; None where not kept.
    joined: "DigitCrop | None" = None  # This digit and the next read as one, where they may be one digit.


def normalize_digit(ink: np.ndarray) -> np.ndarray | None:
    """Normalise a 2-D white-on-black ink image to MNIST form: (28, 28) float32 in [0, 1], or None if blank.

    uint8 ink is read on 0..255, floats on 0..1. Specks are dropped, the stroke width is made MNIST-like.
    """
    ink01 = _as_grey01(ink, "ink")
    mask = _clean_mask(ink01)
    normalised = _normalize_ink(ink01 * mask) if mask.any() else None
    return None if normalised is None else normalised[0]


def digits_from_canvas(image_rgba: np.ndarray | None) -> list[DigitCrop]:
    """Read every digit on the canvas, left to right; empty when there is no ink."""
    return [] if image_rgba is None else _split_digits(_canvas_ink(image_rgba), scale=1.0)


def digits_from_image(image_bgr: np.ndarray) -> list[DigitCrop]:
    """Read every handwritten digit in a photo or scan, left to right; boxes are in the photo's pixels."""
    ink01, scale = _photo_ink(image_bgr)
    return _split_digits(ink01, scale)


def _as_grey01(image: np.ndarray, name: str) -> np.ndarray:
    """Validate a 2-D numeric image and return it as float32 in [0, 1]."""
    if not isinstance(image, np.ndarray) or image.ndim != 2:
        shape = getattr(image, "shape", type(image).__name__)
        raise ValueError(f"{name} must be a 2-D greyscale array (H, W), got {shape}.")
    if image.size == 0:
        raise ValueError(f"{name} is empty (shape {image.shape}).")
    if np.issubdtype(image.dtype, np.floating):
        if not np.all(np.isfinite(image)):
            raise ValueError(f"{name} contains NaN or infinite values.")
        return np.clip(image, 0.0, 1.0).astype(np.float32)
    return images.to_uint8(image).astype(np.float32) / 255.0


def _canvas_ink(image_rgba: np.ndarray) -> np.ndarray:
    """The canvas's ink as float32 in [0, 1]: luminance times alpha, flipped if strokes are dark on light."""
    if not isinstance(image_rgba, np.ndarray) or image_rgba.ndim != 3 or image_rgba.shape[2] not in (3, 4):
        shape = getattr(image_rgba, "shape", type(image_rgba).__name__)
        raise ValueError(f"The canvas image must be RGBA (H, W, 4) or RGB (H, W, 3), got {shape}.")
    if image_rgba.size == 0:
        raise ValueError(f"The canvas image is empty (shape {image_rgba.shape}).")
    # This runs after every stroke: uint8 work (OpenCV's luminance, integer products) is ~10× faster than
    # converting the whole RGBA image to floats first.
    rgba = np.ascontiguousarray(images.to_uint8(image_rgba))
    luminance = cv2.cvtColor(rgba, cv2.COLOR_RGBA2GRAY if rgba.shape[2] == 4 else cv2.COLOR_RGB2GRAY)
    if rgba.shape[2] == 4:
        alpha = rgba[:, :, 3]
        ink = _product(luminance, alpha)  # Transparent pixels are background, whatever their colour.
        if _mostly_light(alpha) and _mostly_light(ink):
            ink = _product(255 - luminance, alpha)  # An opaque light canvas with dark strokes.
    else:
        ink = 255 - luminance if _mostly_light(luminance) else luminance
    return ink.astype(np.float32) * np.float32(1 / 255)


def _product(a_u8: np.ndarray, b_u8: np.ndarray) -> np.ndarray:
    """a·b/255 of two uint8 images, rounded, as uint8."""
    return ((a_u8.astype(np.uint16) * b_u8 + 127) // 255).astype(np.uint8)


def _mostly_light(image_u8: np.ndarray) -> bool:
    """Whether more than half the pixels are above mid-grey (a median test without sorting)."""
    return 2 * np.count_nonzero(image_u8 > 127) > image_u8.size


def _photo_ink(image_bgr: np.ndarray) -> tuple[np.ndarray, float]:
    """Binary ink (float32 0/1, light on dark) of a photo, and the factor it was scaled by.

    The paper's brightness is estimated with a large morphological opening and subtracted, so shadows and
    uneven lighting do not become ink; Otsu then separates ink from paper.
    """
    grey = cv2.cvtColor(images.to_bgr(image_bgr), cv2.COLOR_BGR2GRAY)
    scale = min(1.0, PHOTO_SIDE / max(grey.shape))
    grey = images.resize_by(grey, scale) if scale < 1.0 else grey
    page = find_page(grey)
    if page is not None:  # A sheet on a table: the table becomes blank paper, so its edge is not ink.
        grey = np.where(page, grey, np.uint8(np.median(grey[page])))
    # The paper is the median; the ink is whichever extreme lies farther from it. Percentiles (the 1st and 99th)
    # would miss a thin pen: ink under 1% of the pixels left both of them on the paper, so dark ink was read as
    # light and the paper's edges around the strokes became the digit (a 0.5% pen at 1,000 px: 18% read right).
    if np.median(grey) > (int(grey.min()) + int(grey.max())) / 2:
        grey = 255 - grey  # Dark ink on light paper: make the ink the bright part.
    grey = cv2.GaussianBlur(grey, (3, 3), 0)
    ink = cv2.subtract(grey, _background(grey))
    threshold, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = ink > max(threshold, MIN_CONTRAST * 255)
    return mask.astype(np.float32), scale


def find_page(grey: np.ndarray) -> np.ndarray | None:
    """Where a sheet of paper lies in a photo of it on a table (bool mask, edge left out), or None.

    None when one surface fills the photo (a scan, a drawing, a close-up of the paper). A sheet is the surface in
    the photo's middle, clearly lighter or darker than a surface that frames it along the border, with a step for
    an edge, large, without holes, and nearly a rectangle (a thick digit's ink is rounder); the strokes on it are
    wiped off by a median filter before looking, so ink is not taken for the table.
    """
    factor = min(1.0, PAGE_SIDE / max(grey.shape))
    small = images.resize_by(grey, factor)
    smooth = cv2.medianBlur(small, 2 * round(PAGE_SMOOTH * max(small.shape) / 2) + 1)
    _, light = cv2.threshold(smooth, 0, 1, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light = light.astype(bool)
    if not light.any() or light.all():
        return None
    contrast = smooth[light].mean() - smooth[~light].mean()
    if contrast < MIN_PAGE_CONTRAST:
        return None
    height, width = small.shape
    middle = light[height // 4 : height - height // 4, width // 4 : width - width // 4]
    sheet = light if middle.mean() >= 0.5 else ~light  # The sheet is whichever surface fills the middle...
    border = np.concatenate([sheet[0], sheet[-1], sheet[:, 0], sheet[:, -1]])
    if border.mean() > 0.6:  # ...and the table must frame it along much of the border.
        return None
    if _edge_steepness(smooth, sheet) < MIN_PAGE_EDGE * contrast:
        return None  # A shadow or uneven light across one sheet, not a sheet's edge.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(sheet.astype(np.uint8), connectivity=4)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    contours, _ = cv2.findContours((labels == largest).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = max(contours, key=cv2.contourArea)
    hull = cv2.convexHull(outline)
    area, hull_area = cv2.contourArea(outline), cv2.contourArea(hull)
    if hull_area < MIN_PAGE_AREA * small.size or area < MIN_PAGE_SOLIDITY * hull_area:
        return None
    if stats[largest, cv2.CC_STAT_AREA] < MIN_PAGE_SOLIDITY * area:
        return None  # A ring, like a thick 0: a sheet has no hole of table in it.
    _, (rect_width, rect_height), _ = cv2.minAreaRect(outline)
    if area < MIN_PAGE_RECTANGULARITY * rect_width * rect_height:
        return None  # Rounded, like a thick 8: a sheet's edges are straight.
    mask = np.zeros(small.shape, np.uint8)
    cv2.fillConvexPoly(mask, hull, 1)
    mask = cv2.resize(mask, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_NEAREST)
    margin = max(1, round(PAGE_MARGIN * max(grey.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
    mask = cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)  # The photo's edge too.
    return mask.astype(bool) if mask.any() else None


def _edge_steepness(smooth: np.ndarray, region: np.ndarray) -> float:
    """The median change of grey per pixel where a region meets the rest, away from the photo's border."""
    mask = region.astype(np.uint8)
    edge = (cv2.dilate(mask, None) != cv2.erode(mask, None))[1:-1, 1:-1]
    if not edge.any():
        return 0.0
    dy, dx = np.gradient(smooth.astype(np.float32))
    return float(np.median(np.hypot(dx, dy)[1:-1, 1:-1][edge]))


def _background(grey: np.ndarray) -> np.ndarray:
    """Estimate the paper level under light ink: open away strokes narrower than ~1/4 of the image."""
    small = images.resize_by(grey, 64 / max(grey.shape))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (BACKGROUND_KERNEL, BACKGROUND_KERNEL))
    opened = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    opened = cv2.blur(opened, (5, 5))
    return cv2.resize(opened, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_LINEAR)


def _clean_mask(ink01: np.ndarray) -> np.ndarray:
    """Threshold ink at half its peak and drop specks; returns a uint8 0/1 mask."""
    labels, _ = _ink_components(ink01)
    return (labels > 0).astype(np.uint8)


def _ink_components(ink01: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label the ink's components (threshold at half its peak, 8-connected) and drop specks.

    Returns labels (H, W) uint16 or int32, 0 for background and 1..n for the kept components in scan order, and their
    connectedComponentsWithStats rows (n, 5).
    """
    peak = float(ink01.max())
    if peak < MIN_INK:
        return np.zeros(ink01.shape, np.uint16), np.zeros((0, 5), np.int32)
    mask = (ink01 >= peak / 2).astype(np.uint8)
    # 16-bit labels are ~3× faster; an image has at most size/4 separate 8-connected components.
    ltype = cv2.CV_16U if mask.size < 4 * np.iinfo(np.uint16).max else cv2.CV_32S
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=ltype)
    areas, sides = stats[1:, cv2.CC_STAT_AREA], stats[1:, 2:4].max(axis=1)
    keep = (areas >= SPECK_AREA * areas.max(initial=0)) & (sides >= SPECK_SIDE * max(mask.shape))
    if keep.all():
        return labels, stats[1:]
    # Relabel the kept components 1..n in their scan order, as labelling the cleaned mask again would.
    relabel = np.zeros(count, labels.dtype)
    relabel[np.flatnonzero(keep) + 1] = np.arange(1, int(keep.sum()) + 1)
    return relabel[labels], stats[1:][keep]


def _normalize_ink(ink01: np.ndarray) -> tuple[np.ndarray, PenSteps] | None:
    """Crop, even the stroke width, scale the longer side to 20 px and centre by mass in 28×28; and the pen steps."""
    ink = _crop_to_ink(ink01)
    found = _to_work_box(ink)
    work = _normalize_stroke(found)
    if not work.any():
        return None
    box = _crop_to_ink(work)
    # The pen as drawn is measured at full size: at the working size a hairline is one pixel wide.
    steps = PenSteps(found, box, _stroke_ratio(ink >= ink.max() / 2), _stroke_ratio(box))
    return _center_by_mass(images.resize_by(box, DIGIT_BOX / max(box.shape))), steps


def stroke_width(mask: np.ndarray) -> float:
    """The mean stroke width in pixels of a binary ink mask (0 when there is no ink)."""
    # A stroke of length L and width w has an area of about L·w and an outline of about 2L.
    mask = (np.asarray(mask) > 0).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(contour, True) for contour in contours)
    return 2 * float(mask.sum()) / perimeter if perimeter else 0.0


def _stroke_ratio(work: np.ndarray) -> float:
    """Stroke width over the ink's longer side."""
    x, y, w, h = cv2.boundingRect((work > 0).astype(np.uint8))
    return stroke_width(work) / max(w, h, 1)


def _crop_to_ink(image: np.ndarray) -> np.ndarray:
    """Crop to the bounding box of the non-zero pixels."""
    x, y, w, h = cv2.boundingRect((image > 0).astype(np.uint8))
    return image[y : y + h, x : x + w]


def _to_work_box(ink01: np.ndarray) -> np.ndarray:
    """Scale the ink so its longer side is WORK_BOX px and binarise it, keeping even hairline strokes."""
    factor = WORK_BOX / max(ink01.shape)
    if factor < 1:
        # Area averaging turns a hairline into faint grey; any ink at all marks the working pixel.
        return (images.resize_by(ink01, factor) > 1e-3).astype(np.float32)
    return (images.resize_by(ink01, factor, cv2.INTER_LINEAR) >= ink01.max() / 2).astype(np.float32)


def _normalize_stroke(work: np.ndarray) -> np.ndarray:
    """Dilate or erode a binary ink image so its stroke width over its box matches MNIST's."""
    mask = work.astype(np.uint8)
    if not mask.any():
        return work
    width = max(1.0, stroke_width(mask))
    # Dilating by d grows the box by about d too; solve target / (box + target - width) = STROKE_RATIO.
    target = STROKE_RATIO * (max(mask.shape) - width) / (1 - STROKE_RATIO)
    radius = round(abs(target - width) / 2)
    if radius == 0:
        return work
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    if target > width:
        padded = cv2.copyMakeBorder(mask, *(radius + 1,) * 4, cv2.BORDER_CONSTANT, value=0)
        return cv2.dilate(padded, kernel).astype(np.float32)
    eroded = cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    # Uneven strokes can vanish under a full erosion; keep the ink rather than lose the digit.
    return eroded.astype(np.float32) if eroded.sum() >= 0.2 * mask.sum() else work


def _center_by_mass(small: np.ndarray) -> np.ndarray:
    """Place a ≤20×20 ink image in a 28×28 frame with its centre of mass at MNIST's centre.

    The shift is subpixel: a whole-pixel shift would make the output jump as a drawing grows stroke by stroke.
    """
    moments = cv2.moments(small)
    if moments["m00"] <= 0:
        return np.zeros((DIGIT_SIZE, DIGIT_SIZE), np.float32)
    dx = DIGIT_CENTER - moments["m10"] / moments["m00"]
    dy = DIGIT_CENTER - moments["m01"] / moments["m00"]
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    frame = cv2.warpAffine(small, shift, (DIGIT_SIZE, DIGIT_SIZE), flags=cv2.INTER_LINEAR)
    return np.clip(frame, 0.0, 1.0).astype(np.float32)


def _split_digits(ink01: np.ndarray, scale: float) -> list[DigitCrop]:
    """Split ink into digits left to right; boxes are divided by scale to map back to the input.

    Where two neighbouring digits overlap in x enough that they may be one digit drawn in two strokes (a 4 whose
    stem was drawn apart), the first crop carries that one digit as `joined`, for the reader to choose.
    """
    labels, stats = _ink_components(ink01)
    groups = digit_groups.group_components(stats) if len(stats) else []
    crops = [_crop_of(ink01, labels, stats, members, scale) for members in groups]
    for index, (first, second) in enumerate(zip(groups, groups[1:], strict=False)):
        if crops[index] is not None and digit_groups.maybe_one_digit(stats[first], stats[second]):
            joined = _crop_of(ink01, labels, stats, first + second, scale)
            crops[index] = dataclasses.replace(crops[index], joined=joined)
    return [crop for crop in crops if crop is not None]


def _crop_of(
    ink01: np.ndarray, labels: np.ndarray, stats: np.ndarray, members: list[int], scale: float
) -> DigitCrop | None:
    """The DigitCrop of these ink components, or None when nothing is left of them after normalising."""
    x, y, w, h = digit_groups.union_box(stats[members])
    piece = ink01[y : y + h, x : x + w] * np.isin(labels[y : y + h, x : x + w], np.add(members, 1))
    normalised = _normalize_ink(piece)
    if normalised is None:
        return None
    box = tuple(round(v / scale) for v in (x, y, w, h))
    areas = stats[members, cv2.CC_STAT_AREA]
    strokes = int(np.sum(areas >= digit_groups.DOT_AREA * areas.max()))
    return DigitCrop(normalised[0], box, strokes, normalised[1])
