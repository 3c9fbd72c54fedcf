"""Dataset loading: registry, npz and CSV parsing with line-exact errors, the ASL photo cache, real data."""

import re
import socket
from pathlib import Path

import cv2
import numpy as np
import pytest

from core import labels
from core.data import asl_photos, datasets, hand_landmarks, pima_csv, readers, sign_csv
from core.data.datasets import DatasetMissing, load_dataset
from core.paths import cache_dir, data_dir
from core.vision import hand_model_files, hands

SIGN_HEADER = "label," + ",".join(f"pixel{i}" for i in range(1, 785))


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HANDLAB_DATA_DIR, and a Keras home without cached downloads."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(folder))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return folder


def write_npz(path: Path, n_train: int, n_test: int, labels: list[int], **overrides: np.ndarray) -> None:
    """Write a Keras-format npz of random images with labels cycling through `labels`."""
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": np.resize(np.array(labels, dtype=np.uint8), n_train),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": np.resize(np.array(labels, dtype=np.uint8), n_test),
    }
    np.savez_compressed(path, **(arrays | overrides))


def sign_lines(labels: list[int], seed: int = 0) -> list[str]:
    """CSV data lines in the Kaggle format: a label, then 784 random pixels."""
    pixels = np.random.default_rng(seed).integers(0, 256, (len(labels), 784))
    return [",".join(map(str, [label, *row])) for label, row in zip(labels, pixels, strict=True)]


def read_sign_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one CSV the way the app reads a pair, as both the training and the test file."""
    x, labels, _, _ = sign_csv.read_sign_mnist_pair(path, path)
    return x, labels


def write_lines(path: Path, lines: list[str], newline: str = "\n") -> Path:
    """Write text lines, each ending with `newline`."""
    path.write_bytes("".join(line + newline for line in lines).encode())
    return path


# --- registry, npz, download ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "class_names"), [("mnist", labels.DIGITS), ("fashion_mnist", labels.FASHION_CLASSES)])
def test_npz_loads_as_uint8_images_with_int64_labels(data: Path, name: str, class_names: tuple) -> None:
    write_npz(data / f"{name}.npz", 30, 20, list(range(10)))
    dataset = load_dataset(name)
    assert dataset.x_train.shape == (30, 28, 28)
    assert dataset.x_train.dtype == np.uint8
    assert dataset.x_test.shape == (20, 28, 28)
    assert dataset.y_train.dtype == np.int64
    assert dataset.y_train[:12].tolist() == [*range(10), 0, 1]
    assert dataset.class_names == class_names
    assert dataset.num_classes == 10
    assert dataset.kind == "image"
    assert datasets.available(name)


def test_loaded_arrays_are_read_only(data: Path) -> None:
    write_npz(data / "mnist.npz", 4, 2, [1])
    dataset = load_dataset("mnist")
    with pytest.raises(ValueError, match="read-only"):
        dataset.x_train[0, 0, 0] = 1


def test_npz_without_an_array_names_it(data: Path) -> None:
    np.savez(data / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match=r"^mnist.npz: missing array 'x_test'; expected x_train, y_train"):
        load_dataset("mnist")


def test_npz_with_wrong_image_shape_is_refused(data: Path) -> None:
    write_npz(data / "mnist.npz", 4, 2, [1], x_test=np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"^mnist.npz: x_test must be uint8 \(N, 28, 28\), found uint8 \(2, 32, 32\)$"):
        load_dataset("mnist")


def test_npz_with_out_of_range_label_is_refused(data: Path) -> None:
    write_npz(data / "fashion_mnist.npz", 4, 3, [0, 10, 2])
    with pytest.raises(ValueError, match=r"^fashion_mnist.npz: y_train\[1\] is 10, not a valid label$"):
        load_dataset("fashion_mnist")


def test_failed_download_says_which_file_to_put_where(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(name: str) -> None:
        raise Exception(f"URL fetch failure on https://example/{name}.npz: [Errno -2] Name unknown")

    monkeypatch.setattr(readers, "fetch_with_keras", offline)
    with pytest.raises(DatasetMissing) as caught:
        load_dataset("mnist")
    assert str(caught.value) == (
        f"MNIST not found: put mnist.npz (arrays x_train, y_train, x_test, y_test) in {data} "
        "(the download failed: URL fetch failure on https://example/mnist.npz: [Errno -2] Name unknown)"
    )
    assert isinstance(caught.value, FileNotFoundError)


def test_download_runs_under_a_socket_timeout(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def fetch(name: str) -> tuple[np.ndarray, ...]:
        seen.append(socket.getdefaulttimeout())
        images, labels = np.zeros((3, 28, 28), np.uint8), np.array([0, 5, 9], np.uint8)
        return images, labels, images, labels

    monkeypatch.setattr(readers, "fetch_with_keras", fetch)
    before = socket.getdefaulttimeout()
    dataset = load_dataset("fashion_mnist")
    assert seen == [readers.DOWNLOAD_TIMEOUT_S]
    assert socket.getdefaulttimeout() == before
    assert dataset.y_test.tolist() == [0, 5, 9]


def test_unknown_name_lists_the_valid_names() -> None:
    with pytest.raises(ValueError, match=r"^Unknown dataset 'emnist': choose one of mnist, fashion_mnist, sign_mnist"):
        load_dataset("emnist")
    with pytest.raises(ValueError, match="Unknown dataset"):
        datasets.available("emnist")


def test_image_size_is_refused_for_fixed_size_datasets(data: Path) -> None:
    resizable = "sign_mnist, asl_photos, letters, letters_groups"
    with pytest.raises(ValueError, match=rf"^MNIST has a fixed size: image_size=32 works only for {resizable}"):
        load_dataset("mnist", image_size=32)


def test_available_needs_one_complete_set_of_files(data: Path) -> None:
    assert not any(datasets.available(name) for name in datasets.DATASETS)
    write_lines(data / "sign_mnist_train.csv", [SIGN_HEADER])
    assert not datasets.available("sign_mnist")
    write_lines(data / "sign_mnist_valid.csv", [SIGN_HEADER])
    assert datasets.available("sign_mnist")
    (data / "asl_photos").mkdir()
    assert datasets.available("asl_photos")


def test_keras_download_cache_counts_as_available(data: Path, tmp_path: Path) -> None:
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    (tmp_path / "keras" / "datasets" / "mnist.npz").write_bytes(b"")
    assert datasets.available("mnist")
    assert not datasets.available("fashion_mnist")


def test_registry_describes_every_dataset() -> None:
    expected = ["mnist", "fashion_mnist", "sign_mnist", "asl_photos", "letters", "letters_groups", "pima", "my_digits"]
    assert [name for name in datasets.DATASETS if name in expected] == expected
    assert all(info.name == name for name, info in datasets.DATASETS.items())
    assert datasets.get_info("pima").kind == "tabular"
    assert datasets.get_info("asl_photos").num_classes == 24


# --- Sign Language MNIST CSV --------------------------------------------------------------------------------


def test_csv_with_header_gives_images_and_original_labels(tmp_path: Path) -> None:
    lines = sign_lines([3, 24, 10, 0])
    path = write_lines(tmp_path / "sign_mnist_train.csv", [SIGN_HEADER, *lines], newline="\r\n")
    x, labels = read_sign_csv(path)
    assert x.shape == (4, 28, 28)
    assert x.dtype == np.uint8
    assert x[1].ravel().tolist() == [int(v) for v in lines[1].split(",")[1:]]
    assert labels.tolist() == [3, 24, 10, 0]
    assert labels.dtype == np.int64


def test_csv_without_header_reads_the_first_line_as_data(tmp_path: Path) -> None:
    lines = sign_lines([3, 24, 10])
    with_header = read_sign_csv(write_lines(tmp_path / "a.csv", [SIGN_HEADER, *lines]))
    without = read_sign_csv(write_lines(tmp_path / "b.csv", lines))
    assert np.array_equal(with_header[0], without[0])
    assert np.array_equal(with_header[1], without[1])


def test_renumbered_labels_are_mapped_back_to_original(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "sign_mnist_train.csv", [SIGN_HEADER, *sign_lines([0, 8, 9, 10, 23])])
    assert sign_csv.detect_numbering(np.array([0, 8, 9, 10, 23])) == "renumbered"
    assert read_sign_csv(path)[1].tolist() == [0, 8, 10, 11, 24]


def test_labels_without_9_or_24_are_read_as_original(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "sign_mnist_train.csv", sign_lines([2, 10, 22]))
    assert read_sign_csv(path)[1].tolist() == [2, 10, 22]
    _, raw_labels = sign_csv.parse_sign_mnist_csv(path)
    assert sign_csv.original_sign_labels(path, raw_labels, "renumbered").tolist() == [2, 11, 23]


def test_sign_class_indices_skip_j() -> None:
    indices = sign_csv.sign_class_indices(np.array([0, 8, 10, 24]))
    assert indices.tolist() == [0, 8, 9, 23]
    assert [labels.SIGN_LETTERS[i] for i in indices] == ["A", "I", "K", "Y"]
    assert len(labels.SIGN_LETTERS) == 24
    assert "J" not in labels.SIGN_LETTERS


def bad_line(text: str, column: int, value: str) -> str:
    """Replace field `column` (0 = label) of a CSV line."""
    fields = text.split(",")
    fields[column] = value
    return ",".join(fields)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda line: line.rsplit(",", 1)[0], "line 3: expected 785 values, found 784"),
        (lambda line: line + ",7", "line 3: expected 785 values, found 786"),
        (lambda line: bad_line(line, 5, "x"), "line 3: pixel5 is 'x', not a whole number"),
        (lambda line: bad_line(line, 784, "1.5"), "line 3: pixel784 is '1.5', not a whole number"),
        (lambda line: bad_line(line, 5, ""), "line 3: pixel5 is '', not a whole number"),
        (lambda line: bad_line(line, 7, "256"), "line 3: pixel7 is 256, outside 0..255"),
        (lambda line: bad_line(line, 1, "-1"), "line 3: pixel1 is -1, outside 0..255"),
        (
            lambda line: bad_line(line, 0, "25"),
            "line 3: label 25 is not a Sign Language MNIST label (0..24, no 9 = J)",
        ),
        (lambda line: bad_line(line, 0, "A"), "line 3: label 'A' is not a whole number"),
        (
            lambda line: bad_line(line, 0, "9"),
            "line 3: label 9 is not a Sign Language MNIST label (0..24, no 9 = J)",
        ),
    ],
    ids=["short", "long", "text", "float", "empty", "256", "negative", "label25", "labelA", "label9-with-24"],
)
def test_bad_csv_line_is_named_with_file_and_line(tmp_path: Path, change, message: str) -> None:
    lines = sign_lines([1, 2, 24, 4])
    lines[1] = change(lines[1])
    path = write_lines(tmp_path / "sign_mnist_train.csv", [SIGN_HEADER, *lines])
    with pytest.raises(ValueError, match=f"^{re.escape(f'sign_mnist_train.csv {message}')}$"):
        read_sign_csv(path)


def test_line_numbers_count_blank_lines_and_files_without_header(tmp_path: Path) -> None:
    lines = sign_lines([1, 2, 3])
    path = write_lines(tmp_path / "signs.csv", [lines[0], "", lines[1], bad_line(lines[2], 3, "300")])
    with pytest.raises(ValueError, match=r"^signs.csv line 4: pixel3 is 300, outside 0..255$"):
        read_sign_csv(path)
    path = write_lines(tmp_path / "signs.csv", [SIGN_HEADER, lines[0], "", "0,1,2"])
    with pytest.raises(ValueError, match=r"^signs.csv line 4: expected 785 values, found 3$"):
        read_sign_csv(path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {2: lambda line: line + ",7", 4: lambda line: bad_line(line, 9, "x")},
            "line 5: expected 785 values, found 786",
        ),
        (
            {2: lambda line: bad_line(line, 9, "x"), 4: lambda line: line + ",7"},
            "line 5: pixel9 is 'x', not a whole number",
        ),
        (
            {3: lambda line: bad_line(line, 2, "1e2"), 5: lambda line: line[:9]},
            "line 6: pixel2 is '1e2', not a whole number",
        ),
        ({3: lambda line: bad_line(line, 2, '"x"')}, "line 6: pixel2 is '\"x\"', not a whole number"),
        ({3: lambda line: bad_line(line, 2, '"7')}, "line 6: pixel2 is '\"7', not a whole number"),
        (
            {1: lambda line: bad_line(line, 0, " 3 "), 4: lambda line: bad_line(line, 0, "-2")},
            "line 7: label -2 is not",
        ),
    ],
    ids=["long-then-text", "text-then-long", "1e2-then-short", "quoted", "open-quote", "spaces-then-negative-label"],
)
def test_first_bad_line_is_named_whatever_the_kinds_of_problems_after_it(tmp_path: Path, changes, message: str) -> None:
    lines = sign_lines([1, 2, 3, 4, 5, 6])
    for row, change in changes.items():
        lines[row] = change(lines[row])
    path = write_lines(tmp_path / "signs.csv", [SIGN_HEADER, lines[0], "", *lines[1:]])
    with pytest.raises(ValueError, match=f"^{re.escape(f'signs.csv {message}')}"):
        read_sign_csv(path)


def test_quoted_whole_numbers_are_read_as_numbers(tmp_path: Path) -> None:
    lines = sign_lines([1, 2])
    path = write_lines(tmp_path / "signs.csv", [lines[0], bad_line(lines[1], 3, '"7"')])
    x, labels = read_sign_csv(path)
    assert labels.tolist() == [1, 2]
    assert x[1].ravel()[2] == 7


def test_label_error_after_parsing_finds_the_line_past_blank_lines(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "signs.csv", [SIGN_HEADER, *sign_lines([24, 1]), "", *sign_lines([9], seed=1)])
    with pytest.raises(ValueError, match=r"^signs.csv line 5: label 9 is not a Sign Language MNIST label"):
        read_sign_csv(path)


def test_renumbered_file_with_label_24_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "signs.csv", sign_lines([9, 24]))
    message = "signs.csv line 2: label 24 is outside 0..23 (this file's labels are renumbered to 0..23)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        sign_csv.original_sign_labels(path, sign_csv.parse_sign_mnist_csv(path)[1], "renumbered")


def test_empty_csv_and_header_only_csv_are_refused(tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "sign_mnist_test.csv", [])
    with pytest.raises(ValueError, match=r"^sign_mnist_test.csv is empty: expected label,pixel1,…,pixel784"):
        read_sign_csv(empty)
    header_only = write_lines(tmp_path / "sign_mnist_test.csv", [SIGN_HEADER])
    with pytest.raises(ValueError, match=r"^sign_mnist_test.csv has a header but no data lines$"):
        read_sign_csv(header_only)


def test_sign_mnist_loads_from_csvs_with_valid_as_test_split(data: Path) -> None:
    write_lines(data / "sign_mnist_train.csv", [SIGN_HEADER, *sign_lines([0, 9, 23, 5])])
    write_lines(data / "sign_mnist_valid.csv", sign_lines([2, 10, 22], seed=1))
    dataset = load_dataset("sign_mnist")
    # The train file shows the 0..23 numbering, so the test file, ambiguous alone, is read the same way.
    assert dataset.y_train.tolist() == [0, 9, 23, 5]
    assert dataset.y_test.tolist() == [2, 10, 22]
    assert [dataset.class_names[i] for i in dataset.y_train] == ["A", "K", "Y", "F"]
    assert dataset.x_test.shape == (3, 28, 28)


def test_sign_mnist_npz_labels_become_class_indices(data: Path) -> None:
    write_npz(data / "sign_mnist.npz", 4, 2, [0, 10, 24, 8])
    dataset = load_dataset("sign_mnist")
    assert dataset.y_train.tolist() == [0, 9, 23, 8]
    assert dataset.num_classes == 24


def test_sign_mnist_npz_with_label_9_is_refused(data: Path) -> None:
    write_npz(data / "sign_mnist.npz", 4, 2, [0, 9])
    with pytest.raises(ValueError, match=r"^sign_mnist.npz: y_train\[1\] is 9, not a valid label$"):
        load_dataset("sign_mnist")


def test_sign_mnist_upscales_with_inter_linear_for_larger_inputs(data: Path) -> None:
    write_npz(data / "sign_mnist.npz", 4, 2, [0, 10])
    small, large = load_dataset("sign_mnist"), load_dataset("sign_mnist", image_size=64)
    assert large.x_train.shape == (4, 64, 64)
    assert large.x_test.dtype == np.uint8
    expected = cv2.resize(small.x_train[1], (64, 64), interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(large.x_train[1], expected)
    assert datasets.input_note("sign_mnist", 64).endswith("upscaled to 64×64 with cv2.INTER_LINEAR.")
    assert datasets.input_note("sign_mnist", 28) is None
    assert datasets.input_note("mnist", 64) is None


def test_missing_sign_mnist_says_which_files_to_put_where(data: Path) -> None:
    with pytest.raises(DatasetMissing) as caught:
        load_dataset("sign_mnist")
    assert str(caught.value) == (
        "Sign Language MNIST not found: put sign_mnist_train.csv and sign_mnist_test.csv "
        f"(from Kaggle datamunge/sign-language-mnist) or sign_mnist.npz in {data}"
    )
    write_lines(data / "sign_mnist_train.csv", sign_lines([1]))
    with pytest.raises(DatasetMissing, match=r"in .*data \(found only sign_mnist_train.csv\)$"):
        load_dataset("sign_mnist")


# --- Pima --------------------------------------------------------------------------------------------------


def pima_lines(outcomes: list[int]) -> list[str]:
    """diabetes.csv lines: the header, then rows whose first value is the row number."""
    rows = [f"{i},{100 + i},70,20,0,30.5,0.25,{20 + i % 40},{o}" for i, o in enumerate(outcomes)]
    return [pima_csv.PIMA_HEADER, *rows]


def test_pima_splits_80_20_by_class_the_same_way_every_time(data: Path) -> None:
    outcomes = [0] * 50 + [1] * 30
    (data / "diabetes.csv").write_bytes("\r\n".join(pima_lines(outcomes)).encode())
    first, second = load_dataset("pima"), load_dataset("pima")
    assert first.kind == "tabular"
    assert first.x_train.dtype == np.float32
    assert first.x_train.shape == (64, 8)
    assert np.bincount(first.y_test).tolist() == [10, 6]
    assert np.bincount(first.y_train).tolist() == [40, 24]
    assert np.array_equal(first.x_test, second.x_test)
    rows = np.sort(np.concatenate([first.x_train[:, 0], first.x_test[:, 0]]))
    assert rows.tolist() == list(range(80))
    assert first.class_names == ("no diabetes", "diabetes")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1,2,3,4,5,6,7,1", "line 3: expected 9 values, found 8"),
        ("1,2,x,4,5,6,7,8,1", "line 3: BloodPressure is 'x', not a number"),
        ("1,2,3,4,5,-6,7,8,1", "line 3: BMI is -6, expected a number ≥ 0"),
        ("1,2,3,4,5,nan,7,8,1", "line 3: BMI is nan, expected a number ≥ 0"),
        ("1,2,3,4,5,6,7,8,2", "line 3: Outcome is 2, expected 0 or 1"),
        ("1,2,3,4,5,6,7,8,1,", "line 3: expected 9 values, found 10"),
        ('"1",2,3,4,5,6,7,8,1', "line 3: Pregnancies is '\"1\"', not a number"),
        ("True,2,3,4,5,6,7,8,1", "line 3: Pregnancies is 'True', not a number"),
        ("1,2,3,4,5,6,7,NA,1", "line 3: Age is 'NA', not a number"),
    ],
)
def test_bad_pima_line_is_named(tmp_path: Path, line: str, message: str) -> None:
    lines = pima_lines([0, 1])
    path = write_lines(tmp_path / "diabetes.csv", [*lines[:2], line, lines[2]], newline="\r\n")
    with pytest.raises(ValueError, match=f"^{re.escape(f'diabetes.csv {message}')}$"):
        pima_csv.read_pima_csv(path)


def test_pima_with_header_and_blank_lines_only_is_refused(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "diabetes.csv", [pima_csv.PIMA_HEADER, "", "  "])
    with pytest.raises(ValueError, match=r"^diabetes.csv has a header but no data lines$"):
        pima_csv.read_pima_csv(path)


def test_binary_file_named_diabetes_csv_is_refused_as_not_text(tmp_path: Path) -> None:
    path = tmp_path / "diabetes.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe" * 10)
    with pytest.raises(ValueError, match=r"^diabetes.csv is not text: expected a CSV with the header Pregnancies,"):
        pima_csv.read_pima_csv(path)


def test_pima_with_wrong_header_or_missing_file_is_refused(tmp_path: Path, data: Path) -> None:
    path = write_lines(tmp_path / "diabetes.csv", ["a,b,c", "1,2,3"])
    with pytest.raises(ValueError, match=r"^diabetes.csv line 1: expected the header Pregnancies,Glucose,"):
        pima_csv.read_pima_csv(path)
    with pytest.raises(DatasetMissing, match=r"^Pima Indians Diabetes not found: put diabetes.csv \(from Kaggle"):
        load_dataset("pima")


# --- ASL photos --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [400, 450, 499, 900, 999, 1400])
def test_asl_split_puts_every_fifth_block_of_100_in_test(k: int) -> None:
    assert asl_photos.asl_split(k) == "test"


@pytest.mark.parametrize("k", [0, 99, 399, 500, 899, 1000, 1500])
def test_asl_split_puts_the_other_blocks_in_train(k: int) -> None:
    assert asl_photos.asl_split(k) == "train"


def test_asl_split_holds_out_a_fifth() -> None:
    assert sum(asl_photos.asl_split(k) == "test" for k in range(1000)) == 200


PHOTO_NUMBERS = (0, 7, 450, 901)  # two train, two test photos per letter


@pytest.fixture
def crop_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replace the Sign page's crop by one returning the photo's mean grey level; record each call's size.

    The hand models are stood in for too: they find a hand in every photo but those named *9.jpg.
    """
    calls = []

    def fake_letter_from_frame(frame_bgr: np.ndarray, box_xywh, size: int = 28) -> np.ndarray:
        assert box_xywh == (2, 3, 18, 15)  # the box around the landmarks below
        calls.append(size)
        return np.full((size, size), frame_bgr.mean() / 255, dtype=np.float32)

    def fake_extract(photos: list[hand_landmarks.PhotoFile], **_) -> hand_landmarks.LandmarkSet:
        found = np.array([not photo.path.endswith("9.jpg") for photo in photos])
        landmarks = np.zeros((len(photos), 21, 3), np.float32)
        landmarks[found] = np.linspace([2, 3, 0], [20, 18, 0], 21, dtype=np.float32)
        return hand_landmarks.LandmarkSet(
            np.array([photo.source for photo in photos]),
            np.array([photo.label for photo in photos]),
            landmarks,
            np.where(found, "right", ""),
            found,
        )

    monkeypatch.setattr(hands, "letter_from_frame", fake_letter_from_frame)
    monkeypatch.setattr(hand_landmarks, "extract_landmarks", fake_extract)
    return calls


def make_photos(data: Path, numbers: tuple[int, ...] = PHOTO_NUMBERS) -> Path:
    """Write small flat-grey JPEGs asl_photos/<LETTER>/<LETTER><k>.jpg; the grey encodes letter and k."""
    for label, letter in enumerate(labels.SIGN_LETTERS):
        (data / "asl_photos" / letter).mkdir(parents=True, exist_ok=True)
        for k in numbers:
            grey = 8 * label + k % 5
            cv2.imwrite(str(data / "asl_photos" / letter / f"{letter}{k}.jpg"), np.full((24, 32, 3), grey, np.uint8))
    return data / "asl_photos"


def test_asl_photos_go_through_the_crop_and_split_by_number(data: Path, crop_calls: list[int]) -> None:
    make_photos(data)
    (data / "asl_photos" / "A" / "notes.txt").write_text("ignored")
    dataset = load_dataset("asl_photos", image_size=12)
    assert dataset.x_train.shape == (48, 12, 12)
    assert dataset.x_train.dtype == np.uint8
    assert dataset.y_train.tolist() == np.repeat(np.arange(24), 2).tolist()
    assert dataset.y_test.tolist() == np.repeat(np.arange(24), 2).tolist()
    grey = 8 * np.repeat(np.arange(24), 2) + np.tile([0, 2], 24)  # train photos k = 0 and 7
    assert np.abs(dataset.x_train[:, 0, 0].astype(int) - grey).max() <= 2  # JPEG rounding
    assert crop_calls == [12] * 96
    assert dataset.class_names == labels.SIGN_LETTERS


def test_asl_photos_in_which_no_hand_was_found_are_left_out(data: Path, crop_calls: list[int]) -> None:
    make_photos(data, numbers=(0, 9, 409, 450))  # 9 and 409: no hand found
    dataset = load_dataset("asl_photos")
    assert dataset.y_train.tolist() == list(range(24))  # photo 0 of each letter; 9 left out
    assert dataset.y_test.tolist() == list(range(24))  # photo 450; 409 left out
    assert len(crop_calls) == 48


def test_asl_photos_without_hand_models_say_how_to_fetch_them(
    data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    make_photos(data, numbers=(1,))
    monkeypatch.setattr(hand_model_files, "HAND_MODELS_DIR", tmp_path / "no-models")
    with pytest.raises(DatasetMissing, match=r"ASL letter photos needs the hand models.*fetch_hand_models"):
        load_dataset("asl_photos")


def test_second_asl_load_reads_the_cache(data: Path, crop_calls: list[int]) -> None:
    make_photos(data)
    first = load_dataset("asl_photos")
    second = load_dataset("asl_photos")
    assert len(crop_calls) == 96
    assert np.array_equal(first.x_train, second.x_train)
    assert np.array_equal(first.y_test, second.y_test)
    with np.load(cache_dir() / "asl_photos_28.npz") as cache:
        assert int(cache["crop_version"]) == asl_photos.ASL_CROP_VERSION


def test_asl_cache_is_rebuilt_when_photos_change(data: Path, crop_calls: list[int]) -> None:
    make_photos(data)
    load_dataset("asl_photos")
    make_photos(data, numbers=(3,))
    dataset = load_dataset("asl_photos")
    assert len(crop_calls) == 96 + 120
    assert len(dataset.x_train) == 72


def test_asl_cache_is_rebuilt_when_the_crop_version_changes(
    data: Path, crop_calls: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_photos(data, numbers=(1,))
    load_dataset("asl_photos")
    monkeypatch.setattr(asl_photos, "ASL_CROP_VERSION", asl_photos.ASL_CROP_VERSION + 1)
    load_dataset("asl_photos")
    assert len(crop_calls) == 48


def test_asl_photos_missing_letters_or_folder_say_what_to_add(data: Path, crop_calls: list[int]) -> None:
    with pytest.raises(DatasetMissing, match=r"^ASL letter photos not found: put a folder asl_photos with"):
        load_dataset("asl_photos")
    folder = make_photos(data, numbers=(1,))
    for letter in ("C", "Y"):
        (folder / letter / f"{letter}1.jpg").unlink()
    with pytest.raises(DatasetMissing, match=r"\(no photos for C, Y in .*asl_photos\)$"):
        load_dataset("asl_photos")


def test_letters_mix_photos_with_every_third_sign_mnist_image(data: Path, crop_calls: list[int]) -> None:
    make_photos(data)
    write_npz(data / "sign_mnist.npz", 9, 5, [0, 10, 24])
    letters = load_dataset("letters", image_size=32)
    assert letters.x_train.shape == (48 + 3, 32, 32)
    assert letters.y_train[48:].tolist() == [0, 0, 0]  # Sign MNIST images 0, 3 and 6 are all label 0 (A)
    assert letters.x_test.shape == (48 + 5, 32, 32)
    assert datasets.available("letters")
    (data / "sign_mnist.npz").unlink()
    assert not datasets.available("letters")


def test_look_alike_groups_are_held_out_whole(tmp_path: Path) -> None:
    """Photos of ten distinct scenes: the test split takes whole scenes, about a fifth of the photos."""
    rng = np.random.default_rng(0)
    paths, scene_of = [], []
    for scene in range(10):
        colour = rng.integers(0, 256, 3)
        for i in range(20):
            image = np.clip(colour + rng.normal(0, 3, (16, 16, 3)), 0, 255).astype(np.uint8)
            paths.append(str(tmp_path / f"{scene}-{i}.png"))
            cv2.imwrite(paths[-1], image)
            scene_of.append(scene)
    is_test = asl_photos.look_alike_test_mask(paths, groups=10)
    scene_of = np.array(scene_of)
    held_out = set(scene_of[is_test])
    assert 0.2 <= is_test.mean() <= 0.3
    assert all(is_test[scene_of == scene].all() for scene in held_out)


def test_unreadable_photo_is_named(data: Path, crop_calls: list[int]) -> None:
    folder = make_photos(data, numbers=(1,))
    (folder / "B" / "B2.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=r"B2.jpg: cannot be read as an image$"):
        load_dataset("asl_photos")


# --- real data (HANDLAB_DATA_DIR) --------------------------------------------------------------------------


def require(name: str) -> Path:
    """Return data_dir()/name, or skip the test when it is absent."""
    path = data_dir() / name
    if not path.exists():
        pytest.skip(f"{name} is not in {data_dir()}")
    return path


@pytest.mark.data
def test_real_mnist_has_the_published_class_counts() -> None:
    require("mnist.npz")
    dataset = load_dataset("mnist")
    assert np.bincount(dataset.y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(dataset.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert dataset.x_train.shape == (60000, 28, 28)
    assert dataset.x_test.shape == (10000, 28, 28)


@pytest.mark.data
def test_real_fashion_mnist_has_6000_per_class() -> None:
    require("fashion_mnist.npz")
    dataset = load_dataset("fashion_mnist")
    assert np.bincount(dataset.y_train).tolist() == [6000] * 10
    assert np.bincount(dataset.y_test).tolist() == [1000] * 10
    assert dataset.class_names[9] == "Ankle boot"


# Per-letter counts as the datasets README lists them.
SIGN_TRAIN_COUNTS = (
    "A 1126, B 1010, C 1144, D 1196, E 957, F 1204, G 1090, H 1013, I 1162, K 1114, L 1241, M 1055, "
    "N 1151, O 1196, P 1088, Q 1279, R 1294, S 1199, T 1186, U 1161, V 1082, W 1225, X 1164, Y 1118"
)
SIGN_TEST_COUNTS = (
    "A 331, B 432, C 310, D 245, E 498, F 247, G 348, H 436, I 288, K 331, L 209, M 394, "
    "N 291, O 246, P 347, Q 164, R 144, S 246, T 248, U 266, V 346, W 206, X 267, Y 332"
)


def letter_counts(dataset: datasets.Dataset, labels: np.ndarray) -> str:
    """Count labels per class, written like the README: 'A 1126, B 1010, …'."""
    counts = np.bincount(labels, minlength=dataset.num_classes)
    return ", ".join(f"{name} {count}" for name, count in zip(dataset.class_names, counts, strict=True))


@pytest.mark.data
def test_real_sign_mnist_has_the_published_letter_counts() -> None:
    if not datasets.available("sign_mnist"):
        pytest.skip(f"Sign Language MNIST is not in {data_dir()}")
    dataset = load_dataset("sign_mnist")
    assert len(dataset.x_train) == 27455
    assert len(dataset.x_test) == 7172
    assert letter_counts(dataset, dataset.y_train) == SIGN_TRAIN_COUNTS
    assert letter_counts(dataset, dataset.y_test) == SIGN_TEST_COUNTS


@pytest.mark.data
def test_real_sign_mnist_sample_csvs_match_the_npz() -> None:
    samples = require("sign_mnist_samples")
    with np.load(require("sign_mnist.npz")) as archive:
        x_train, y_train = archive["x_train"], archive["y_train"].astype(np.int64)
    # No header in the training file; the test file holds rows 189–199.
    pair = sign_csv.read_sign_mnist_pair(
        samples / "RitikaRoy72_sign_mnist_train.csv", samples / "RitikaRoy72_sign_mnist_test.csv"
    )
    assert np.array_equal(pair[0], x_train[:188])
    assert np.array_equal(pair[1], y_train[:188])
    assert np.array_equal(pair[2], x_train[188:199])
    assert np.array_equal(pair[3], y_train[188:199])
    x, labels = read_sign_csv(samples / "ahmed-mo505_sign_mnist_train.csv")  # renumbered 0..23
    row_of = {image.tobytes(): row for row, image in enumerate(x_train)}
    rows = [row_of[image.tobytes()] for image in x]
    assert np.array_equal(labels, y_train[rows])
    assert len(set(labels.tolist())) == 24


@pytest.mark.data
def test_real_pima_has_768_rows_500_negative() -> None:
    x, y = pima_csv.read_pima_csv(require("diabetes.csv"))
    assert x.shape == (768, 8)
    assert np.bincount(y).tolist() == [500, 268]
    assert x[0].tolist() == pytest.approx([6, 148, 72, 35, 0, 33.6, 0.627, 50])
    assert y[0] == 1
    dataset = load_dataset("pima")
    assert len(dataset.x_train) + len(dataset.x_test) == 768
    assert np.bincount(dataset.y_test).tolist() == [100, 54]


@pytest.mark.data
def test_real_asl_photos_are_cropped_around_the_hand_and_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A sample, two train and one test photo a letter, linked into a data folder of its own: the whole set's
    # landmarks take minutes to extract, and CI starts with an empty cache.
    photos = require("asl_photos")
    if missing := hand_model_files.problems():
        pytest.skip(f"hand models not ready: {'; '.join(missing)}")
    for letter in labels.SIGN_LETTERS:
        (tmp_path / "asl_photos" / letter).mkdir(parents=True)
        for k in (0, 250, 450):
            (tmp_path / "asl_photos" / letter / f"{letter}{k}.jpg").symlink_to(photos / letter / f"{letter}{k}.jpg")
    monkeypatch.setenv("HANDLAB_DATA_DIR", str(tmp_path))
    dataset = load_dataset("asl_photos")
    assert len(dataset.x_train) >= 0.85 * 48  # hands found in most photos, as asl_landmarks' data test says
    assert len(dataset.x_test) >= 0.85 * 24
    assert dataset.x_train.shape[1:] == (28, 28)
    assert dataset.x_train.reshape(len(dataset.x_train), -1).std(axis=1).min() > 10  # a hand, not a blank

    def no_crop(*args, **kwargs) -> None:
        raise AssertionError("the cached load must not crop photos again")

    monkeypatch.setattr(hands, "letter_from_frame", no_crop)
    cached = load_dataset("asl_photos")
    assert np.array_equal(cached.x_test, dataset.x_test)
