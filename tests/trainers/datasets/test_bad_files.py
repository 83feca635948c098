"""Bad files: each one ends in a DatasetError that names the file and where it went wrong."""

import numpy as np
import pytest

from trainers import datasets
from trainers.errors import DatasetError


def text(name, content, encoding="utf-8"):
    def make(folder):
        path = folder / name
        path.write_bytes(content.encode(encoding))
        return path

    return make


def raw(name, content):
    def make(folder):
        path = folder / name
        path.write_bytes(content)
        return path

    return make


def npz(name, **arrays):
    def make(folder):
        path = folder / name
        np.savez(path, **arrays)
        return path

    return make


def png_bytes():
    import tensorflow as tf

    return tf.io.encode_png(np.zeros((3, 3, 3), np.uint8)).numpy()


def images(name, files):
    def make(folder):
        root = folder / name
        root.mkdir()
        for relative, content in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if content is not None:
                path.write_bytes(png_bytes() if content == "png" else content)
        return root

    return make


def folder(name):
    def make(base):
        path = base / name
        path.mkdir()
        return path

    return make


def missing(name):
    return lambda base: base / name


GOOD = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"

BAD_FILES = [
    ("empty file", text("empty.csv", ""), {}, ["empty.csv", "empty"]),
    ("blank lines only", text("blank.csv", "\n\n  \n"), {}, ["blank.csv", "empty"]),
    ("header only", text("header.csv", "a,b,label\n"), {}, ["header.csv", "no data rows"]),
    (
        "ragged rows",
        text("ragged.csv", "a,b,label\n1,2,x\n3,4\n5,6,y\n"),
        {},
        ["ragged.csv", "row 3", "2 values", "header has 3"],
    ),
    (
        "text feature column refused",
        text("colours.csv", "size,colour,label\n1,2,x\n2,red,y\n3,blue,x\n"),
        {"text_columns": "refuse"},
        ["colours.csv", "'colour'", "row 3", "'red'", "not numbers"],
    ),
    (
        "text in a column of numbers",
        text("typo.csv", "size,weight,label\n1,2,x\n2,3.5,y\n3,4..1,x\n"),
        {},
        ["typo.csv", "'weight'", "row 4", "'4..1'", "holds numbers"],
    ),
    (
        "missing cell",
        text("gaps.csv", "a,b,label\n1,2,x\n3,,y\n5,6,x\n"),
        {},
        ["gaps.csv", "row 3", "column 'b'", "empty"],
    ),
    (
        "missing marker",
        text("na.csv", "a,b,label\n1,2,x\n3,4,y\n5,NA,x\n"),
        {},
        ["na.csv", "row 4", "column 'b'", "'NA'"],
    ),
    (
        "infinite value",
        text("inf.csv", "a,b,label\n1,2,x\n3,inf,y\n"),
        {},
        ["inf.csv", "row 3", "column 'b'", "finite"],
    ),
    (
        "missing target",
        text("no_target.csv", "a,b,label\n1,2,x\n3,4,\n5,6,y\n"),
        {},
        ["no_target.csv", "row 3", "'label'"],
    ),
    (
        "unknown target column",
        text("target.csv", GOOD),
        {"target": "price"},
        ["target.csv", "'price'", "'a', 'b', 'label'"],
    ),
    (
        "single class",
        text("one_class.csv", "a,label\n1,x\n2,x\n3,x\n"),
        {},
        ["one_class.csv", "'label'", "'x'", "two classes"],
    ),
    (
        "single column",
        text("one_column.csv", "y\n1\n2\n"),
        {},
        ["one_column.csv", "single column"],
    ),
    (
        "text target forced to regression",
        text("forced.csv", GOOD),
        {"task": "regression"},
        ["forced.csv", "'label'", "'x'", "row 2"],
    ),
    (
        "bad csv option",
        text("option.csv", GOOD),
        {"delimiter": "|"},
        ["option.csv", "delimiter"],
    ),
    (
        "binary garbage",
        raw("garbage.csv", np.random.default_rng(0).bytes(4096)),
        {},
        ["garbage.csv", "binary"],
    ),
    (
        "garbage without NUL bytes",
        raw("noise.csv", bytes(range(1, 256)) * 4),
        {},
        ["noise.csv", "UTF-8"],
    ),
    (
        "latin-1 text",
        text("latin1.csv", "x,label\n1,café\n2,thé\n", encoding="latin-1"),
        {},
        ["latin1.csv", "UTF-8", "row 2"],
    ),
    (
        "NaN-filled",
        text("nan.csv", "a,b,label\nnan,nan,nan\nnan,nan,nan\n"),
        {},
        ["nan.csv", "row 2", "column 'a'", "'nan'"],
    ),
    ("single row", text("one_row.csv", "1,2,3\n"), {}, ["one_row.csv", "single data row"]),
    (
        "split leaves one training row",
        text("three.csv", "a,y\n1,1.5\n2,2.5\n3,3.5\n"),
        {"validation_split": 0.5},
        ["three.csv", "leaves 1 training sample"],
    ),
    ("npz without y", npz("no_y.npz", x=np.zeros((4, 2))), {}, ["no_y.npz", "'y'", "'x'"]),
    (
        "npz with object array",
        npz("objects.npz", x=np.array([{"a": 1}, None], dtype=object), y=np.zeros(2)),
        {},
        ["objects.npz", "'x'", "object"],
    ),
    (
        "npz with mismatched lengths",
        npz("mismatch.npz", x=np.zeros((10, 2)), y=np.zeros(9)),
        {},
        ["mismatch.npz", "10 samples", "'y' has 9"],
    ),
    (
        "npz with NaN",
        npz(
            "nan.npz",
            x=np.where(np.arange(8)[:, None] == 3, np.nan, 1.0) * np.ones((8, 2)),
            y=np.arange(8) % 2,
        ),
        {},
        ["nan.npz", "'x'", "index 3"],
    ),
    (
        "npz with text features",
        npz("words.npz", x=np.array([["a"], ["b"]]), y=np.arange(2)),
        {},
        ["words.npz", "'x'", "numbers"],
    ),
    (
        "npz with one-hot y",
        npz("onehot.npz", x=np.zeros((4, 2)), y=np.eye(4)),
        {},
        ["onehot.npz", "'y'", "argmax"],
    ),
    (
        "text saved as npz",
        text("fake.npz", "this is not an archive"),
        {},
        ["fake.npz", "numpy.savez"],
    ),
    (
        "single .npy array",
        raw(
            "array.npz",
            b"\x93NUMPY" + b"\x01\x00" + b"v\x00" + b"{'descr': '<f8', "
            b"'fortran_order': False, 'shape': (2,), }" + b" " * 74 + b"\n" + bytes(16),
        ),
        {},
        ["array.npz"],
    ),
    (
        "target option on npz",
        npz("target.npz", x=np.zeros((4, 2)), y=np.arange(4) % 2),
        {"target": "y"},
        ["target.npz", "target"],
    ),
    (
        "image folder with one class",
        images("one_class_images", {"cats/a.png": "png", "cats/b.png": "png"}),
        {},
        ["one_class_images", "two class", "'cats'"],
    ),
    (
        "image folder with an empty class",
        images("empty_class", {"cats/a.png": "png", "dogs/readme.txt": b"no images"}),
        {},
        ["empty_class", "'dogs'", "no images"],
    ),
    (
        "unreadable image",
        images("broken_images", {"cats/a.png": "png", "dogs/broken.png": b"not a png"}),
        {},
        ["broken_images", "dogs/broken.png"],
    ),
    ("path that does not exist", missing("nowhere.csv"), {}, ["nowhere.csv", "does not exist"]),
    ("directory passed as CSV", folder("table.csv"), {}, ["table.csv", "folder"]),
    ("unsupported file type", text("sheet.xlsx", "PK"), {}, ["sheet.xlsx", ".xlsx"]),
]


@pytest.mark.parametrize(
    ("make", "kwargs", "expected"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_file_is_a_dataset_error(tmp_path, make, kwargs, expected):
    path = make(tmp_path)
    with pytest.raises(DatasetError) as caught:
        datasets.get(path, **kwargs)
    message = str(caught.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (text("empty.csv", ""), "empty"),
        (raw("garbage.csv", np.random.default_rng(0).bytes(4096)), "binary"),
        (folder("table.csv"), "folder"),
        (missing("nowhere.csv"), "does not exist"),
    ],
)
def test_csv_columns_of_a_bad_file(tmp_path, make, expected):
    with pytest.raises(DatasetError, match=expected):
        datasets.csv_columns(make(tmp_path))


def test_built_in_name_as_a_string_path_still_finds_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "iris.csv").write_text(GOOD)
    assert datasets.get("iris.csv").name == "iris.csv"
    assert datasets.get("iris").name == "iris"
