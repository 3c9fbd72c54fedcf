"""Property tests: any array of any shape and dtype, or any damaged image file, gives valid input or a ValueError."""

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core import images
from core.vision import digits, fashion, hands

# Numbers of every kind the pages could be handed (and a few they never should be), with NaN and infinities.
DTYPES = st.sampled_from(
    [
        np.bool_,
        np.uint8,
        np.int8,
        np.uint16,
        np.int16,
        np.int32,
        np.uint32,
        np.int64,
        np.float16,
        np.float32,
        np.float64,
        np.complex64,
        np.str_,
    ]
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def any_array(draw, min_dims: int = 0, max_dims: int = 4, max_side: int = 48) -> np.ndarray:
    """An array of any dtype and shape, mostly images: 2-D and 3-D arrays with 1 to 5 channels are common."""
    dtype = np.dtype(draw(DTYPES))
    shape = draw(
        st.one_of(
            hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=max_side),
            st.tuples(st.integers(1, max_side), st.integers(1, max_side)),
            st.tuples(st.integers(1, max_side), st.integers(1, max_side), st.integers(1, 5)),
        )
    )
    if dtype.kind == "U":
        return np.full(shape, "ink", dtype=dtype)
    fill = hnp.from_dtype(dtype) if dtype.kind in "fc" else hnp.from_dtype(dtype, min_value=None)
    return draw(hnp.arrays(dtype, shape, elements=fill))


def assert_model_input(image: np.ndarray, size: int = 28) -> None:
    assert isinstance(image, np.ndarray)
    assert image.shape == (size, size)
    assert image.dtype == np.float32
    assert np.all(np.isfinite(image))
    assert image.min() >= 0.0
    assert image.max() <= 1.0


def input_or_value_error(function, *args, none_allowed: bool = False, **kwargs) -> None:
    """Call a preprocessing function: it returns a valid model input (or None where allowed) or raises ValueError."""
    try:
        result = function(*args, **kwargs)
    except ValueError as error:
        message = str(error)  # a message the page can show
        assert message, f"{function.__name__} raised a ValueError without a message"  # noqa: PT017
        return
    if result is None and none_allowed:
        return
    assert_model_input(result, kwargs.get("size", 28))


@SETTINGS
@given(any_array())
def test_normalize_digit_gives_a_digit_none_or_value_error(ink):
    input_or_value_error(digits.normalize_digit, ink, none_allowed=True)


@SETTINGS
@given(any_array())
def test_digits_from_canvas_gives_digits_or_value_error(image):
    try:
        crops = digits.digits_from_canvas(image)
    except ValueError:
        return
    for crop in crops:
        assert_model_input(crop.image)


@SETTINGS
@given(any_array(), st.sampled_from([16, 28, 64]))
def test_item_from_image_gives_an_item_or_value_error(image, size):
    input_or_value_error(fashion.item_from_image, image, size=size)


@SETTINGS
@given(
    any_array(),
    st.one_of(st.none(), st.tuples(*[st.integers(-60, 120)] * 2, *[st.integers(0, 120)] * 2)),
    st.sampled_from([28, 64]),
)
def test_letter_from_frame_gives_a_letter_or_value_error(frame, box_xywh, size):
    input_or_value_error(hands.letter_from_frame, frame, box_xywh, size=size)


@pytest.mark.parametrize("size", [0, -3, 2.5, 5000, "28"])
def test_nonsense_sizes_are_refused(size):
    frame = np.zeros((40, 40, 3), np.uint8)
    with pytest.raises(ValueError, match="size must be an integer from 1 to 1024"):
        hands.letter_from_frame(frame, (0, 0, 10, 10), size=size)
    with pytest.raises(ValueError, match="size must be an integer from 1 to 1024"):
        fashion.item_from_image(frame, size=size)


def _valid_files() -> list[bytes]:
    image = np.random.default_rng(0).integers(0, 256, (24, 32, 3), np.uint8)
    return [cv2.imencode(ext, image)[1].tobytes() for ext in (".png", ".jpg", ".bmp", ".webp")]


@st.composite
def damaged_files(draw) -> bytes:
    """A valid PNG, JPEG, BMP or WebP with some bytes changed and maybe cut short, or any bytes at all."""
    data = bytearray(draw(st.sampled_from(_valid_files())))
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return draw(st.one_of(st.just(bytes(data)), st.just(bytes(data[:cut])), st.binary(max_size=64)))


@SETTINGS
@given(damaged_files())
def test_decode_image_gives_a_bgr_image_or_value_error(data):
    try:
        image_bgr = images.decode_image(data)
    except ValueError as error:
        message = str(error)
        assert message  # noqa: PT017
        return
    assert image_bgr.dtype == np.uint8
    assert image_bgr.ndim == 3
    assert image_bgr.shape[2] == 3
