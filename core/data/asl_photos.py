"""ASL letter photos (asl_photos/<LETTER>/<LETTER><k>.jpg) turned into Sign-MNIST-like arrays, with a cache.

Every photo is cropped as the Sign page crops a frame: the square around the hand the hand models found (its
landmarks, from the landmark cache of core.data.hand_landmarks) through `core.vision.hands.letter_from_frame`, so a
model trained on these arrays sees what it will see live. Photos in which no hand was found are left out.
"""

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal, NamedTuple

import cv2
import numpy as np

from core import images
from core.data import npz_cache
from core.labels import SIGN_LETTERS
from core.vision import hands
from core.vision.hand_tracker import landmarks_box

# Bump when the way photos become letters changes outside core/vision/hands.py, so cached arrays are rebuilt.
# v2: cropped around the hand models' landmarks (v1 found the hand by its skin colour).
ASL_CROP_VERSION = 2
SPLITS = ("x_train", "y_train", "x_test", "y_test")
# The "groups" split: photos are clustered by how they look as a whole (a 4×4 Lab thumbnail: background, light,
# skin) and whole clusters are held out, so the test photos come from rooms and people training never saw.
LOOK_ALIKE_GROUPS = 10
GROUPS_TEST_FRACTION = 0.2


class Photo(NamedTuple):
    """One photo file and what the split and the cache key need to know about it."""

    label: int  # class index into SIGN_LETTERS
    k: int  # the number in the file name, A<k>.jpg
    path: str
    stat: os.stat_result


def asl_split(k: int) -> Literal["train", "test"]:
    """Assign photo number `k` to a split: blocks 400–499 and 900–999 (every fifth hundred) are test."""
    # Neighbouring photo numbers tend to be near-identical shots, so splitting by contiguous blocks keeps
    # test images from being near-copies of training images.
    return "test" if (k // 100) % 5 == 4 else "train"


def look_alike_test_mask(paths: list[str], groups: int = LOOK_ALIKE_GROUPS) -> np.ndarray:
    """Cluster photos by their 4×4 Lab thumbnail and mark whole clusters as test until a fifth is held out."""

    def thumbnail(path: str) -> np.ndarray:
        small = cv2.resize(cv2.imread(path, cv2.IMREAD_COLOR), (4, 4), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32).ravel()

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        features = np.stack(list(pool.map(thumbnail, paths)))
    cv2.setRNGSeed(0)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 0.1)
    _, cluster, _ = cv2.kmeans(features, groups, None, criteria, 5, cv2.KMEANS_PP_CENTERS)
    cluster = cluster.ravel()
    is_test = np.zeros(len(paths), dtype=bool)
    for group in np.random.default_rng(0).permutation(groups):
        if is_test.mean() >= GROUPS_TEST_FRACTION:
            break
        is_test |= cluster == group
    return is_test


def load_asl_arrays(
    folder: Path,
    image_size: int,
    cache: Path,
    found_hands: tuple[np.ndarray, np.ndarray, str],
    split: Literal["blocks", "groups"] = "blocks",
) -> tuple[np.ndarray, ...]:
    """Return x_train, y_train, x_test, y_test (uint8 (N, S, S), int64), from `cache` when it is current.

    `found_hands`: every photo's landmarks_px (N, 21, 3) and found (N,), in list_asl_photos' order, and the version of
    the pipeline that found them (core.data.hand_landmarks.load_collections gives them, cached).
    `split`: "blocks" holds out every fifth hundred of each letter's photo numbers (asl_split); "groups" holds
    out whole clusters of look-alike photos (look_alike_test_mask).
    """
    photos = list_asl_photos(folder)
    landmarks_px, found, hands_version = found_hands
    if len(found) != len(photos):
        raise ValueError(f"{len(found)} rows of landmarks for {len(photos)} photos in {folder}")
    key = f"{cache_key(photos, image_size)}, {hands_version}" + ("" if split == "blocks" else f", {split}")
    arrays = npz_cache.read_arrays(cache, key, SPLITS)
    if arrays is None:
        images = convert_photos([photo.path for photo in photos], landmarks_px, found, image_size)
        labels = np.array([photo.label for photo in photos], dtype=np.int64)
        if split == "groups":
            is_test = look_alike_test_mask([photo.path for photo in photos])
        else:
            is_test = np.array([asl_split(photo.k) == "test" for photo in photos], dtype=bool)
        train, test = found & ~is_test, found & is_test
        arrays = (images[train], labels[train], images[test], labels[test])
        named = dict(zip(SPLITS, arrays, strict=True))
        npz_cache.write_arrays(cache, key, {**named, "crop_version": np.array(ASL_CROP_VERSION)})
    return arrays


def list_asl_photos(folder: Path) -> list[Photo]:
    """List every <LETTER>/<LETTER><k>.jpg (or .jpeg, .png) in letter, then number order.

    Other files are ignored. Raises FileNotFoundError naming the letters that have no photos.
    """
    photos, empty = [], []
    for label, letter in enumerate(SIGN_LETTERS):
        pattern = re.compile(rf"{letter}(\d+)\.(jpe?g|png)", re.IGNORECASE)
        entries = list(os.scandir(folder / letter)) if (folder / letter).is_dir() else []
        found = [Photo(label, int(m[1]), e.path, e.stat()) for e in entries if (m := pattern.fullmatch(e.name))]
        photos += sorted(found, key=lambda photo: photo.k)
        empty += [] if found else [letter]
    if empty:
        raise FileNotFoundError(f"no photos for {', '.join(empty)} in {folder}")
    return photos


def cache_key(photos: list[Photo], image_size: int) -> str:
    """Fingerprint photos and crop cheaply: count, bytes, names and sizes, versions, crop code digest."""
    # Hashing the crop's source files means any change to the crop rebuilds the cache, even if nobody bumps
    # the version.
    code = npz_cache.code_digest(Path(module.__file__) for module in (hands, images))
    names = (f"{SIGN_LETTERS[p.label]}/{os.path.basename(p.path)}" for p in photos)
    files = npz_cache.files_fingerprint(names, (p.stat.st_size for p in photos))
    return f"v{ASL_CROP_VERSION} size {image_size}: {files}, {code}"


def convert_photos(paths: list[str], landmarks_px: np.ndarray, found: np.ndarray, image_size: int) -> np.ndarray:
    """Crop each photo around its hand's landmarks (letter_from_frame); uint8 (N, size, size), zeros without a hand."""

    def convert(index: int) -> np.ndarray:
        if not found[index]:
            return np.zeros((image_size, image_size), np.uint8)
        frame_bgr = cv2.imread(paths[index], cv2.IMREAD_COLOR)
        if frame_bgr is None:
            raise ValueError(f"{paths[index]}: cannot be read as an image")
        box = landmarks_box(landmarks_px[index], frame_bgr.shape)
        letter = hands.letter_from_frame(frame_bgr, box, size=image_size)
        return np.rint(np.clip(letter, 0.0, 1.0) * 255).astype(np.uint8)

    # OpenCV releases the GIL while decoding and resizing, so threads use every core without the fork
    # hazards of a process pool in a process that may have TensorFlow loaded.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        images = list(pool.map(convert, range(len(paths))))
    return np.stack(images) if images else np.zeros((0, image_size, image_size), dtype=np.uint8)
