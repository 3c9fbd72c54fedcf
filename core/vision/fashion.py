"""Turn a photo of one clothing item into the 28×28 input the Fashion-MNIST models read."""

import cv2
import numpy as np

from core import images

ITEM_TRIM = 0.1  # Fashion-MNIST trims borders within this distance (0..1) of the background colour.


def item_from_image(image_bgr: np.ndarray, size: int = 28) -> np.ndarray:
    """A photo of one clothing item in Fashion-MNIST form: (size, size) float32 in [0, 1], light on black.

    Follows the dataset's recipe: trim the border that matches the background, scale the longer side to
    size, centre it on the background colour, and negate when the background is light (as the dataset's
    product photos on white were).
    """
    grey = cv2.GaussianBlur(cv2.cvtColor(images.to_bgr(image_bgr), cv2.COLOR_BGR2GRAY), (3, 3), 0)
    images.check_side(size)
    background = float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))
    x, y, w, h = cv2.boundingRect((np.abs(grey - background) > ITEM_TRIM * 255).astype(np.uint8))
    item = grey[y : y + h, x : x + w] if w and h else grey
    item = images.resize_by(item, size / max(item.shape))
    frame = np.full((size, size), background, np.float32)
    top, left = (size - item.shape[0]) // 2, (size - item.shape[1]) // 2
    frame[top : top + item.shape[0], left : left + item.shape[1]] = item
    # Photos are not shot on pure white: stretch so the background is 0 like the dataset's, then negate.
    if background > 127:
        return np.clip(1.0 - frame / max(background, 1.0), 0.0, 1.0).astype(np.float32)
    return np.clip((frame - background) / max(255.0 - background, 1.0), 0.0, 1.0).astype(np.float32)
