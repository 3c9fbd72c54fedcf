"""Tests for core.images: decoding untrusted image bytes."""

import base64
import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from core.images import data_url, decode_image, read_image, to_bgr


def encode(image: np.ndarray, ext: str, *params: int) -> bytes:
    """Encode an array with OpenCV."""
    ok, buffer = cv2.imencode(ext, image, list(params))
    assert ok
    return buffer.tobytes()


def gradient_bgr(height: int = 48, width: int = 64) -> np.ndarray:
    """A smooth colour image that survives JPEG nearly unchanged."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.dstack([xs * 3, ys * 4, np.full_like(xs, 120)]).astype(np.uint8)


def png_with_size(width: int, height: int) -> bytes:
    """A tiny valid PNG whose IHDR is patched to claim another size (with a correct CRC)."""
    data = bytearray(encode(np.zeros((4, 4, 3), np.uint8), ".png"))
    ihdr = 8  # The IHDR chunk follows the 8-byte signature: length, type, 13 bytes of data, CRC.
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 21]))
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", crc)
    return bytes(data)


@pytest.mark.parametrize("ext", [".png", ".bmp", ".webp"])
def test_lossless_round_trip_keeps_pixels(ext):
    image_bgr = gradient_bgr()
    params = (cv2.IMWRITE_WEBP_QUALITY, 101) if ext == ".webp" else ()
    decoded = decode_image(encode(image_bgr, ext, *params))
    assert decoded.dtype == np.uint8
    np.testing.assert_array_equal(decoded, image_bgr)


def test_jpeg_round_trip_is_close():
    image_bgr = gradient_bgr()
    decoded = decode_image(encode(image_bgr, ".jpg", cv2.IMWRITE_JPEG_QUALITY, 95))
    assert decoded.shape == image_bgr.shape
    assert np.abs(decoded.astype(int) - image_bgr).mean() < 3


def test_empty_file_is_refused():
    with pytest.raises(ValueError, match="empty"):
        decode_image(b"")


@pytest.mark.parametrize("data", [b"hello, world", b"%PDF-1.7\n" + bytes(200), bytes(range(256)) * 4])
def test_non_image_is_refused(data):
    with pytest.raises(ValueError, match="not an image Handlab can read"):
        decode_image(data)


def test_unsupported_format_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "TIFF")
    with pytest.raises(ValueError, match="PNG, JPEG, BMP, WebP"):
        decode_image(buffer.getvalue())


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.98])
def test_truncated_jpeg_is_refused(keep):
    noise = cv2.GaussianBlur(np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8), (5, 5), 0)
    data = encode(noise, ".jpg")
    with pytest.raises(ValueError, match="incomplete"):
        decode_image(data[: int(len(data) * keep)])


def test_truncated_png_is_refused():
    data = encode(gradient_bgr(), ".png")
    with pytest.raises(ValueError, match="incomplete"):
        decode_image(data[: len(data) - 20])


def test_huge_dimensions_are_refused_before_decoding():
    # The file holds 4×4 pixels of data, so only a header check can produce this message.
    with pytest.raises(ValueError, match=r"The image is (20000×20000 pixels|400 megapixels); the largest"):
        decode_image(png_with_size(20_000, 20_000))


def test_size_limit_is_a_parameter():
    with pytest.raises(ValueError, match="8000×6000 pixels"):
        decode_image(png_with_size(8_000, 6_000))
    assert decode_image(encode(gradient_bgr(), ".png"), max_pixels=48 * 64).shape == (48, 64, 3)


def test_sixteen_bit_png_is_scaled_to_eight_bits():
    image16 = np.full((10, 12, 3), 40_000, np.uint16)
    image16[:, :, 0] = 65_535
    decoded = decode_image(encode(image16, ".png"))
    assert decoded.dtype == np.uint8
    assert decoded[0, 0].tolist() == [255, 40_000 // 257, 40_000 // 257]


def test_greyscale_becomes_bgr():
    grey = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (5, 1))
    decoded = decode_image(encode(grey, ".png"))
    assert decoded.shape == (5, 25, 3)
    np.testing.assert_array_equal(decoded[:, :, 1], grey)


def test_transparency_is_composited_on_white():
    image_bgra = np.zeros((6, 6, 4), np.uint8)
    image_bgra[:, :3] = (0, 0, 0, 255)  # Opaque black on the left, transparent black on the right.
    decoded = decode_image(encode(image_bgra, ".png"))
    assert decoded[:, :3].max() == 0
    assert decoded[:, 3:].min() == 255


def test_cmyk_jpeg_decodes_to_bgr():
    buffer = io.BytesIO()
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(buffer, "JPEG", quality=95)  # Pure red.
    decoded = decode_image(buffer.getvalue())
    assert decoded.shape == (16, 16, 3)
    blue, green, red = decoded[8, 8].tolist()
    assert red > 200
    assert green < 60
    assert blue < 60


def test_exif_orientation_is_applied():
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # Stored sideways; viewers rotate 90° clockwise.
    Image.new("RGB", (40, 20), (255, 0, 0)).save(buffer, "JPEG", exif=exif)
    assert decode_image(buffer.getvalue()).shape == (40, 20, 3)


def test_one_pixel_image_decodes():
    assert decode_image(encode(np.full((1, 1, 3), 7, np.uint8), ".png")).tolist() == [[[7, 7, 7]]]


def test_read_image_reads_a_file(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(encode(gradient_bgr(), ".png"))
    np.testing.assert_array_equal(read_image(path), gradient_bgr())


def test_read_image_names_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match="nothing.png"):
        read_image(tmp_path / "nothing.png")


def test_read_image_names_a_bad_file(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("not a picture")
    with pytest.raises(ValueError, match=r"notes\.jpg: This file is not an image"):
        read_image(path)


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (np.ones((2, 2), bool), 255),
        (np.full((2, 2), 0.5, np.float64), 128),
        (np.full((2, 2, 1), 300, np.int64), 255),
        (np.full((2, 2, 3), 65_535, np.uint16), 255),
    ],
)
def test_to_bgr_scales_dtypes(array, expected):
    image_bgr = to_bgr(array)
    assert image_bgr.shape == (2, 2, 3)
    assert image_bgr.dtype == np.uint8
    assert image_bgr.max() == expected


@pytest.mark.parametrize(
    "array",
    [np.zeros((0, 0)), np.zeros((3, 3, 5)), np.zeros((2, 2, 2, 2)), np.full((2, 2), np.nan), np.array(["a"])],
)
def test_to_bgr_refuses_what_is_not_an_image(array):
    with pytest.raises(ValueError, match="."):
        to_bgr(array)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_matches_pillows_upright_image(orientation):
    image_rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10  # Every pixel differs.
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(image_rgb).save(buffer, "PNG", exif=exif)
    upright_rgb = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue()))))
    np.testing.assert_array_equal(decode_image(buffer.getvalue()), upright_rgb[:, :, ::-1])


def test_jpeg_cut_after_an_embedded_thumbnail_is_refused():
    thumbnail = encode(np.zeros((8, 8, 3), np.uint8), ".jpg")
    data = encode(gradient_bgr(), ".jpg")
    # An APP2 segment holding a whole JPEG puts a scan and an end marker ahead of the real image's data.
    app2 = b"\xff\xe2" + struct.pack(">H", len(thumbnail) + 2) + thumbnail
    full = data[:2] + app2 + data[2:]
    assert decode_image(full).shape == (48, 64, 3)
    with pytest.raises(ValueError, match="incomplete"):
        decode_image(full[: len(full) - 40])


def test_data_url_carries_the_image_itself():
    image_bgr = np.zeros((20, 30, 3), np.uint8)
    image_bgr[:, :10] = (255, 0, 0)  # blue on the left, in BGR
    url = data_url(image_bgr, ".png")
    assert url.startswith("data:image/png;base64,")
    decoded = decode_image(base64.b64decode(url.split(",", 1)[1]))
    np.testing.assert_array_equal(decoded, image_bgr)
    assert data_url(image_bgr).startswith("data:image/jpeg;base64,")
