"""Decode untrusted image bytes and coerce arrays into the BGR uint8 images the rest of core expects."""

import io
import re
import warnings
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

# Pillow names of the formats Handlab accepts; Pillow only reads their headers here, OpenCV decodes.
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "BMP", "WEBP"})
NOT_AN_IMAGE = "This file is not an image Handlab can read (PNG, JPEG, BMP, WebP)."
TRUNCATED = "The image file is incomplete (truncated): save or export it again."

# EXIF orientation tag values and the OpenCV rotation/flip that undoes each (phone photos need this).
_EXIF_ORIENTATION = 0x0112
_UNDO_ORIENTATION = {
    2: [lambda a: cv2.flip(a, 1)],
    3: [lambda a: cv2.rotate(a, cv2.ROTATE_180)],
    4: [lambda a: cv2.flip(a, 0)],
    5: [lambda a: cv2.transpose(a)],
    6: [lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE)],
    7: [lambda a: cv2.transpose(a), lambda a: cv2.rotate(a, cv2.ROTATE_180)],
    8: [lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE)],
}


def decode_image(data: bytes, *, max_pixels: int = 40_000_000) -> np.ndarray:
    """Decode PNG, JPEG, BMP or WebP bytes into a BGR uint8 (H, W, 3) image, or raise ValueError.

    The pixel count is checked from the header before any pixel is decoded, so a decompression bomb costs
    nothing. 16-bit images are scaled to 8 bits, greyscale is expanded to BGR, and transparent pixels are
    composited onto white (uploads are mostly drawings or photos of paper). EXIF orientation is applied.
    """
    if not data:
        raise ValueError("The file is empty.")
    header = _read_header(bytes(data), max_pixels)
    if _is_truncated(bytes(data), header.format):
        raise ValueError(TRUNCATED)
    try:
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        decoded = None
    if decoded is None or decoded.size == 0:
        raise ValueError("The image could not be decoded; it may be damaged or incomplete: export it again.")
    image_bgr = to_bgr(decoded)
    for undo in _UNDO_ORIENTATION.get(header.orientation, []):
        image_bgr = undo(image_bgr)
    return np.ascontiguousarray(image_bgr)


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file into a BGR uint8 (H, W, 3) array, or raise ValueError naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"No image at {path}: check the path.") from None
    except OSError as error:
        raise ValueError(f"Cannot read {path}: {error.strerror or error}.") from None
    try:
        return decode_image(data)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def to_bgr(image: np.ndarray) -> np.ndarray:
    """Coerce a grey, BGR or BGRA array of any numeric dtype into BGR uint8 (H, W, 3), or raise ValueError.

    uint8 is taken as is, uint16 is scaled from 0..65535, other integers are clipped to 0..255, floats are
    read on a 0..1 scale (clipped) and bools as black/white. Alpha is composited onto white.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"Expected an image array, got {type(image).__name__}.")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (2, 3, 4)):
        raise ValueError(f"Expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"The image is empty (shape {image.shape}).")
    image_u8 = to_uint8(image)
    if image_u8.ndim == 2:
        return cv2.cvtColor(image_u8, cv2.COLOR_GRAY2BGR)
    if image_u8.shape[2] == 2:  # Grey + alpha.
        image_u8 = image_u8[:, :, [0, 0, 0, 1]]
    if image_u8.shape[2] == 4:
        return _composite_on_white(image_u8)
    return np.ascontiguousarray(image_u8)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Convert a numeric array to uint8 with the scaling rules of to_bgr, or raise ValueError."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return (image // 257).astype(np.uint8)
    if np.issubdtype(image.dtype, np.integer):
        return np.clip(image, 0, 255).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        if not np.all(np.isfinite(image)):
            raise ValueError("The image contains NaN or infinite values.")
        return np.round(np.clip(image, 0.0, 1.0).astype(np.float32) * 255).astype(np.uint8)
    raise ValueError(f"Expected an image of numbers, got dtype {image.dtype}.")


class _Header(NamedTuple):
    """What the header tells before decoding."""

    format: str  # Pillow's name, e.g. "PNG".
    orientation: int  # EXIF orientation, 1 = upright.


def _read_header(data: bytes, max_pixels: int) -> _Header:
    """Read format, size and orientation from the header only; refuse unknown formats and huge images."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as header:
                width, height = header.size
                fmt = header.format or ""
                orientation = _orientation(header)
    except Image.DecompressionBombError as error:
        # Pillow refuses images far beyond our limit before we can read their size; report its count.
        found = re.search(r"\((\d+) pixels\)", str(error))
        megapixels = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "too large"
        raise ValueError(f"The image is {megapixels}; {_limit(max_pixels)}.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValueError(NOT_AN_IMAGE) from None
    if fmt not in ACCEPTED_FORMATS:
        raise ValueError(NOT_AN_IMAGE)
    if width * height > max_pixels:
        raise ValueError(f"The image is {width}×{height} pixels; {_limit(max_pixels)}.")
    return _Header(fmt, orientation)


def _orientation(header: Image.Image) -> int:
    """The EXIF orientation (1 = upright) of an opened image; malformed EXIF counts as upright."""
    try:
        return int(header.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # Pillow raises many kinds of errors on broken EXIF blocks; orientation is optional.
        return 1


def _limit(max_pixels: int) -> str:
    """The sentence half that states the size limit."""
    return f"the largest Handlab reads is {max_pixels / 1e6:g} megapixels"


def _is_truncated(data: bytes, fmt: str) -> bool:
    """Whether a JPEG or PNG stops before its end marker (decoders may fill the rest with grey silently)."""
    if fmt in ("JPEG", "MPO"):
        # Entropy-coded data never holds FF D9 (0xFF bytes are stuffed), so the end-of-image marker must
        # follow the last start-of-scan marker. Earlier markers may belong to an embedded EXIF thumbnail.
        last_scan = data.rfind(b"\xff\xda")
        return last_scan < 0 or data.find(b"\xff\xd9", last_scan) < 0
    if fmt == "PNG":
        return data.rfind(b"IEND") < 0
    return False


def _composite_on_white(image_bgra: np.ndarray) -> np.ndarray:
    """Blend a BGRA uint8 image onto a white background."""
    alpha = image_bgra[:, :, 3:4].astype(np.float32) / 255.0
    blended = image_bgra[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    return np.round(blended).astype(np.uint8)


def resize_by(image: np.ndarray, factor: float, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """Resize by a factor, keeping at least one pixel on each side."""
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    return cv2.resize(image, size, interpolation=interpolation)


def check_side(size: int) -> None:
    """Refuse output sizes that are not a sensible integer."""
    if not isinstance(size, int | np.integer) or not 1 <= size <= 1024:
        raise ValueError(f"size must be an integer from 1 to 1024, got {size!r}.")
