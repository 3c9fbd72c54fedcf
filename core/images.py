"""Decode untrusted image bytes and coerce arrays into the BGR uint8 images the rest of core expects."""

import base64
import io
import re
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

# Pillow names of the formats Handlab accepts. Pillow reads headers and checks that files are complete; OpenCV
# decodes the pixels (Pillow keeps only the high byte of 16-bit colour PNGs).
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "BMP", "WEBP"})
NOT_AN_IMAGE = "This file is not an image Handlab can read (PNG, JPEG, BMP, WebP)."
TRUNCATED = "The image file is incomplete (truncated): save or export it again."


def decode_image(data: bytes, *, max_pixels: int = 40_000_000) -> np.ndarray:
    """Decode PNG, JPEG, BMP or WebP bytes into a BGR uint8 (H, W, 3) image, or raise ValueError.

    The pixel count is checked from the header before any pixel is decoded, so a decompression bomb costs
    nothing. 16-bit images are scaled to 8 bits, greyscale is expanded to BGR, and transparent pixels are
    composited onto white (uploads are mostly drawings or photos of paper). EXIF orientation is applied.
    """
    if not data:
        raise ValueError("The file is empty.")
    data = bytes(data)
    with _open_checked(data, max_pixels) as image:
        _refuse_truncated(image, data)
        orientation = _orientation(image)
    try:
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        decoded = None
    if decoded is None or decoded.size == 0:
        raise ValueError("The image could not be decoded; it may be damaged or incomplete: export it again.")
    return np.ascontiguousarray(_upright(to_bgr(decoded), orientation))


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


def _open_checked(data: bytes, max_pixels: int) -> Image.Image:
    """Open an image reading only its header; refuse unknown formats and images over `max_pixels`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        # Pillow refuses images far beyond our limit before we can read their size; report its count.
        found = re.search(r"\((\d+) pixels\)", str(error))
        megapixels = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "too large"
        raise ValueError(f"The image is {megapixels}; {_limit(max_pixels)}.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValueError(NOT_AN_IMAGE) from None
    if image.format not in ACCEPTED_FORMATS:
        raise ValueError(NOT_AN_IMAGE)
    if image.width * image.height > max_pixels:
        raise ValueError(f"The image is {image.width}×{image.height} pixels; {_limit(max_pixels)}.")
    return image


def _refuse_truncated(image: Image.Image, data: bytes) -> None:
    """Raise ValueError(TRUNCATED) if Pillow finds a JPEG or PNG cut short (OpenCV would fill it with grey)."""
    try:
        if image.format == "PNG":
            # load() accepts a PNG whose last chunks are missing; verify() reads every chunk up to IEND.
            with Image.open(io.BytesIO(data)) as png:
                png.verify()
        elif image.format in ("JPEG", "MPO"):
            # At 1/8 scale libjpeg still reads every byte of the scans but skips most of the decoding work.
            image.draft(image.mode, (image.width // 8, image.height // 8))
            image.load()
    except Exception as error:  # Pillow raises many kinds of errors on damaged data; OpenCV judges the rest.
        if "truncated" in str(error).lower():
            raise ValueError(TRUNCATED) from None


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 = upright) of an opened image; malformed EXIF counts as upright."""
    try:
        return int(image.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # Pillow raises many kinds of errors on broken EXIF blocks; orientation is optional.
        return 1


def _upright(image_bgr: np.ndarray, orientation: int) -> np.ndarray:
    """Turn or flip a decoded image as its EXIF orientation asks (phone photos are often stored sideways)."""
    if orientation == 1:
        return image_bgr
    image = Image.fromarray(image_bgr)  # Pillow takes the channels as RGB, which a turn or a flip ignores.
    image.getexif()[ExifTags.Base.Orientation] = orientation
    return np.asarray(ImageOps.exif_transpose(image))


def _limit(max_pixels: int) -> str:
    """The sentence half that states the size limit."""
    return f"the largest Handlab reads is {max_pixels / 1e6:g} megapixels"


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


def data_url(image: np.ndarray, extension: str = ".jpg") -> str:
    """A uint8 image (BGR or greyscale) encoded as a `data:` URL (".jpg" for photos, ".png" for sharp pixels)."""
    encoded, data = cv2.imencode(extension, image)
    if not encoded:
        raise ValueError(f"OpenCV could not encode a {image.shape} {image.dtype} image as {extension}.")
    mime = "image/jpeg" if extension in (".jpg", ".jpeg") else f"image/{extension.lstrip('.')}"
    return f"data:{mime};base64,{base64.b64encode(data.tobytes()).decode('ascii')}"
