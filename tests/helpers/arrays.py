"""Arrays for the input-contract tests: any array a page could be handed, and a measure of where ink lies."""

import cv2
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

DTYPES = st.sampled_from([np.bool_, np.uint8, np.int8, np.uint16, np.int32, np.int64, np.float32, np.float64])
# Small arrays of any shape and dtype (NaN included), image-like shapes, non-finite values and complex numbers.
ANY_ARRAY = hnp.arrays(
    DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12), elements={"allow_nan": True}
)
ANY_ARRAY = st.one_of(
    ANY_ARRAY,
    hnp.arrays(DTYPES, st.sampled_from([(40, 40), (40, 40, 3), (40, 40, 4), (1, 1, 4), (30, 1)])),
    hnp.arrays(np.float64, st.just((3, 3)), elements=st.sampled_from([np.nan, np.inf, 0.5])),
    hnp.arrays(np.complex64, st.just((4, 4))),
)


def assert_unit_image(image: object, size: int = 28) -> None:
    """A model input: a (size, size) float32 array in [0, 1]."""
    assert isinstance(image, np.ndarray)
    assert image.shape == (size, size)
    assert image.dtype == np.float32
    assert image.min() >= 0.0
    assert image.max() <= 1.0


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(x, y) centre of mass of an image, in pixels."""
    moments = cv2.moments(image)
    return moments["m10"] / moments["m00"], moments["m01"] / moments["m00"]
