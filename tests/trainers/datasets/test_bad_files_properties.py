"""Bad files, generated: whatever a student's CSV, NPZ or image folder holds, loading it either
works or ends in one DatasetError that names the file and says what to do; nothing else escapes.

`test_bad_files.py` pins one hand-written example per problem; these properties throw hundreds
of random, truncated, mis-encoded, NaN-filled, ragged and enormous inputs at the same loaders.
Derandomized, so CI sees the same examples every run.
"""

import codecs
import io
import struct
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.files import SCRATCH, npz_declaring, scratch_folder, write_scratch  # noqa: F401
from tests.processes import run_main
from trainers import datasets
from trainers.datasets.files import MAX_IMAGE_PIXELS
from trainers.errors import DatasetError

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,  # derandomized: nothing to remember, and no .hypothesis folder
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=25)  # for the ones that decode images with TensorFlow
LONGEST_MESSAGE = 600
"""A message is a paragraph: longer means it echoes the file back instead of explaining."""


def write(name: str, content: bytes) -> Path:
    return write_scratch(name, content, "descent-bad-")


def load(path: Path, **options) -> str | None:
    """The DatasetError's message, or None when the file loaded. Any other exception fails."""
    try:
        data = datasets.get(path, **options)
    except DatasetError as exc:
        message = str(exc)
        assert path.name in message, f"the file is not named: {message!r}"
        assert len(message) <= LONGEST_MESSAGE, f"{len(message)} characters: {message[:200]!r}"
        assert "Traceback" not in message
        return message
    assert np.isfinite(data.x_train).all() and np.isfinite(data.y_train).all()
    return None


def refused(path: Path, **options) -> str:
    message = load(path, **options)
    assert message is not None, f"{path.name} loaded, but it should have been refused"
    return message


# ---------------------------------------------------------------------------------------- CSV

NUMBER = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.6g}"),
)
CSV_TEXT = st.text(
    alphabet=st.one_of(st.sampled_from(list("0123456789.,;\t\n\r\"'-+eE NA")), st.characters()),
    max_size=400,
)


@st.composite
def tables(draw, min_rows=4, max_rows=12):
    """A valid numeric table: header row, feature columns and a 0/1 label column (both classes
    present), as a list of rows of cells."""
    n_features = draw(st.integers(1, 4))
    n_rows = draw(st.integers(min_rows, max_rows))
    header = [f"f{i}" for i in range(n_features)] + ["label"]
    rows = [[draw(NUMBER) for _ in range(n_features)] + [str(r % 2)] for r in range(n_rows)]
    return [header, *rows]


def csv_bytes(rows, encoding="utf-8") -> bytes:
    return "".join(",".join(row) + "\n" for row in rows).encode(encoding)


@SETTINGS
@given(st.binary(max_size=3000))
def test_random_bytes_as_csv_load_or_are_refused_by_name(content):
    load(write("random.csv", content))


@SETTINGS
@given(CSV_TEXT)
def test_random_text_as_csv_loads_or_is_refused_by_name(content):
    load(write("random.csv", content.encode("utf-8", "surrogatepass")))


@SETTINGS
@given(tables(), st.data())
def test_truncated_csv_loads_or_is_refused_by_name(rows, data):
    content = csv_bytes(rows)
    cut = data.draw(st.integers(0, len(content) - 1))
    message = load(write("cut.csv", content[:cut]))
    if cut < len(csv_bytes(rows[:2])):  # not even one whole data row survived
        assert message is not None


@SETTINGS
@given(st.text(alphabet=" \t\r\n", max_size=50))
def test_empty_or_blank_csv_is_refused_as_empty(content):
    assert "empty" in refused(write("blank.csv", content.encode()))


@SETTINGS
@given(
    tables(),
    st.data(),
    st.sampled_from(["latin-1", "cp1252"]),
    st.text(alphabet="éèàüöçñßÅØ", min_size=1, max_size=3),
)
def test_a_file_in_a_legacy_encoding_is_refused_naming_the_row(rows, data, encoding, accents):
    row = data.draw(st.integers(1, len(rows) - 1))
    rows[row][-1] = f"class{accents}"  # a text label: the row's first non-ASCII character
    message = refused(write("legacy.csv", csv_bytes(rows, encoding)))
    assert "UTF-8" in message
    assert f"row {row + 1}" in message  # rows counted as a spreadsheet does: header is row 1


@SETTINGS
@given(tables(), st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_utf16_without_its_byte_order_mark_is_refused_as_binary(rows, encoding):
    assert "binary" in refused(write("wide.csv", csv_bytes(rows, encoding)))


@SETTINGS
@given(tables(), st.sampled_from(["utf-16", "utf-32", "utf-8-sig"]))
def test_text_with_a_byte_order_mark_loads(rows, encoding):
    """Spreadsheets write these marks; the UTF-32 one starts like UTF-16's and must not be
    read as it."""
    assert load(write("marked.csv", csv_bytes(rows, encoding))) is None


@SETTINGS
@given(
    tables(),
    st.data(),
    st.sampled_from(["", "nan", "NaN", "NA", "n/a", "null", "?", "inf", "-inf", "1e400"]),
)
def test_a_missing_or_infinite_feature_is_named_by_row_and_column(rows, data, gap):
    n_rows, n_features = len(rows) - 1, len(rows[0]) - 1
    holes = data.draw(
        st.lists(
            st.tuples(st.integers(1, n_rows), st.integers(0, n_features - 1)),
            min_size=1,
            max_size=n_rows * n_features,
            unique=True,
        )
    )
    for row, col in holes:
        rows[row][col] = gap
    first_row, first_col = min(holes)
    message = refused(write("gaps.csv", csv_bytes(rows)))
    assert f"row {first_row + 1}, column 'f{first_col}'" in message
    assert "delete the row" in message


@SETTINGS
@given(tables())
def test_a_table_of_nothing_but_nan_is_refused(rows):
    filled = [rows[0]] + [["nan"] * len(rows[0]) for _ in rows[1:]]
    message = refused(write("nan.csv", csv_bytes(filled)))
    assert "row 2" in message


@SETTINGS
@given(tables(min_rows=1, max_rows=1), st.booleans())
def test_a_single_data_row_is_refused(rows, with_header):
    rows = rows if with_header else rows[1:]
    message = refused(write("one.csv", csv_bytes(rows)))
    assert "single data row" in message or "only 1 sample" in message


@SETTINGS
@given(tables(), st.sampled_from(["1", "7", "cat", "yes"]))
def test_a_single_class_target_is_refused_naming_the_class(rows, label):
    for row in rows[1:]:
        row[-1] = label
    message = refused(write("oneclass.csv", csv_bytes(rows)))
    assert f"'{label}'" in message and "two classes" in message


@SETTINGS
@given(tables(), st.data())
def test_a_row_of_the_wrong_length_is_named(rows, data):
    row = data.draw(st.integers(1, len(rows) - 1))
    width = len(rows[0])
    new_width = data.draw(st.integers(1, width + 3).filter(lambda k: k != width))
    rows[row] = (rows[row] + ["1"] * 3)[:new_width]
    message = refused(write("ragged.csv", csv_bytes(rows)))
    assert f"row {row + 1} has {new_width} value" in message
    assert "same number of values" in message


@SETTINGS
@given(
    tables(),
    st.data(),
    st.integers(10_000, 300_000),
    st.sampled_from(["9", "z", "é", '"']),
)
def test_an_enormous_cell_is_refused_without_echoing_it(rows, data, length, char):
    row = data.draw(st.integers(1, len(rows) - 1))
    col = data.draw(st.integers(0, len(rows[0]) - 1))
    rows[row][col] = char * length
    message = refused(write("huge.csv", csv_bytes(rows)))
    assert char * 100 not in message  # quoted in part at most: the advice stays readable


@SETTINGS
@given(tables(), st.floats(1e39, 1e308), st.booleans())
def test_numbers_too_large_to_scale_are_refused_naming_the_column(rows, big, as_target):
    col = len(rows[0]) - 1 if as_target else 0
    for r, row in enumerate(rows[1:]):
        row[col] = repr(big * (1 if r % 2 else -1) * (1 + r))  # may overflow: inf is refused too
    message = refused(write("big.csv", csv_bytes(rows)), task="regression")
    assert "too large" in message or "not a finite number" in message
    assert ("target" in message) if as_target else ("'f0'" in message)


# ---------------------------------------------------------------------------------------- NPZ


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@st.composite
def good_arrays(draw):
    n = draw(st.integers(4, 20))
    k = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).normal(size=(n, k))
    return x, np.arange(n) % 2


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from([b"", b"PK\x03\x04", b"\x93NUMPY"]))
def test_random_bytes_as_npz_are_refused_by_name(content, head):
    refused(write("random.npz", head + content))


@SETTINGS
@given(good_arrays(), st.data())
def test_a_truncated_npz_is_refused_by_name(arrays, data):
    content = npz_bytes(x=arrays[0], y=arrays[1])
    cut = data.draw(st.integers(0, len(content) - 1))
    refused(write("cut.npz", content[:cut]))


@SETTINGS
@given(good_arrays(), st.integers(1, 30))
def test_x_and_y_of_different_lengths_are_refused_with_both_counts(arrays, m):
    x, _ = arrays
    if m == len(x):
        m += 1
    message = refused(write("mismatch.npz", npz_bytes(x=x, y=np.arange(m) % 2)))
    assert f"{len(x)} samples" in message and f"has {m}" in message


@SETTINGS
@given(good_arrays(), st.data(), st.sampled_from([np.nan, np.inf, -np.inf]), st.booleans())
def test_nan_in_x_or_y_is_refused_naming_the_first_sample(arrays, data, bad, in_y):
    x, y = arrays
    y = y.astype(np.float64)
    target = y if in_y else x
    indices = data.draw(st.lists(st.integers(0, len(x) - 1), min_size=1, unique=True))
    for i in indices:
        target[i] = bad
    message = refused(write("nan.npz", npz_bytes(x=x, y=y)))
    assert f"'{'y' if in_y else 'x'}'" in message
    assert f"index {min(indices)}" in message


@SETTINGS
@given(good_arrays())
def test_a_single_sample_is_refused(arrays):
    x, _ = arrays
    message = refused(write("one.npz", npz_bytes(x=x[:1], y=x[:1, 0])))  # regression: no classes
    assert "only 1 sample" in message


@SETTINGS
@given(good_arrays(), st.sampled_from([0, 3, "a"]))
def test_a_single_class_y_is_refused(arrays, label):
    x, _ = arrays
    message = refused(write("oneclass.npz", npz_bytes(x=x, y=np.full(len(x), label))))
    assert "two classes" in message


@SETTINGS
@given(
    st.lists(st.integers(0, 5), min_size=0, max_size=6),
    st.lists(st.integers(0, 5), min_size=0, max_size=3),
    st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex64]),
)
def test_arrays_of_any_shape_and_dtype_load_or_are_refused_by_name(x_shape, y_shape, dtype):
    rng = np.random.default_rng(len(x_shape) * 7 + len(y_shape))
    x = (rng.random(x_shape) * 3).astype(dtype)
    y = (rng.random(y_shape) * 3).astype(np.int64)
    load(write("shapes.npz", npz_bytes(x=x, y=y)))


@SETTINGS
@given(
    st.lists(st.integers(1, 2**40), min_size=1, max_size=4),
    st.sampled_from(["<f8", "<f4", "|u1", "<i8"]),
)
def test_a_header_declaring_more_data_than_the_archive_holds_is_refused(shape, descr):
    """A damaged or hand-made header may claim petabytes: refused before numpy allocates."""
    load(write("forged.npz", npz_declaring(shape, descr)))


@SETTINGS
@given(st.integers(300, 20_000), st.sampled_from([".csv", ".npz", ""]))
def test_a_path_too_long_for_the_system_is_refused_without_echoing_it(length, suffix):
    path = Path(tempfile.gettempdir()) / ("d" * length + suffix)
    try:
        datasets.get(path)
    except DatasetError as exc:
        message = str(exc)
        assert "not a usable path" in message or "does not exist" in message
        assert len(message) <= LONGEST_MESSAGE
    else:
        raise AssertionError("a path that cannot exist loaded")


# ------------------------------------------------------------------------------- image folder


def png(height: int = 6, width: int = 6, channels: int = 3) -> bytes:
    import tensorflow as tf

    pixels = np.random.default_rng(height * width).integers(0, 255, (height, width, channels))
    return tf.io.encode_png(pixels.astype(np.uint8)).numpy()


def image_folder(files: dict[str, bytes]) -> Path:
    root = Path(tempfile.mkdtemp(prefix="descent-images-", dir=SCRATCH[0])) / "pictures"
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def load_images(root: Path, **options) -> str | None:
    message = load(root, **options)
    if message is not None:
        assert root.name in message
    return message


@FEW
@given(st.binary(max_size=600), st.sampled_from([".png", ".jpg", ".gif", ".bmp", ".webp"]))
def test_random_bytes_as_an_image_are_refused_naming_the_image(content, suffix):
    root = image_folder(
        {
            "cats/a.png": png(),
            "cats/b.png": png(),
            "dogs/c.png": png(),
            f"dogs/bad{suffix}": content,
        }
    )
    message = load_images(root)
    if message is not None:
        assert f"dogs/bad{suffix}" in message


@FEW
@given(st.integers(0, 10_000), st.sampled_from([1, 2, 3, 4]))
def test_a_truncated_image_loads_or_is_refused_naming_it(cut_at, channels):
    whole = png(12, 9, channels)
    cut = whole[: cut_at % len(whole)]
    root = image_folder({"cats/a.png": png(), "dogs/b.png": png(), "dogs/cut.png": cut})
    message = load_images(root)
    if message is not None:
        assert "dogs/cut.png" in message


@FEW
@given(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1), st.sampled_from(["png", "gif", "bmp"]))
def test_an_image_declaring_absurd_dimensions_is_refused_unread(width, height, kind):
    if width * height <= MAX_IMAGE_PIXELS:
        width = MAX_IMAGE_PIXELS // height + 1
    if kind == "png":
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        head = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0\0\0\0"
    elif kind == "gif":
        width, height = min(width, 65535), min(height, 65535)
        if width * height <= MAX_IMAGE_PIXELS:
            width = height = 65535
        head = b"GIF89a" + struct.pack("<HH", width, height) + b"\0\0\0"
    else:
        width, height = min(width, 2**31 - 1), min(height, 2**31 - 1)
        head = b"BM" + bytes(12) + struct.pack("<Iii", 40, width, height) + bytes(28)
    root = image_folder({"cats/a.png": png(), "dogs/b.png": png(), f"dogs/huge.{kind}": head})
    message = refused(root)
    assert f"dogs/huge.{kind}" in message and f"{width:,}x{height:,}" in message


@FEW
@given(st.sampled_from(["one", "empty", "none"]))
def test_a_folder_without_two_classes_of_images_is_refused(shape):
    files = {
        "one": {"cats/a.png": png(), "cats/b.png": png()},
        "empty": {"cats/a.png": png(), "dogs/notes.txt": b"no pictures here"},
        "none": {"readme.txt": b"nothing"},
    }[shape]
    message = refused(image_folder(files))
    assert "class" in message


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE]))
def test_reading_the_columns_of_random_bytes_names_the_file(content, bom):
    """The window reads a CSV's column names as soon as it is chosen: the same guarantee."""
    path = write("columns.csv", bom + content)
    try:
        names = datasets.csv_columns(path)
    except DatasetError as exc:
        assert "columns.csv" in str(exc) and len(str(exc)) <= LONGEST_MESSAGE
    else:
        assert names and all(isinstance(n, str) for n in names)


# -------------------------------------------------------------------------- the command line

ROOT = Path(__file__).resolve().parents[3]


@st.composite
def refused_files(draw) -> tuple[str, bytes]:
    """(name, content) of a file the loaders must refuse, of every kind tried above."""
    rows = draw(tables())
    kind = draw(
        st.sampled_from(["legacy", "gaps", "ragged", "one class", "one row", "binary", "npz"])
    )
    if kind == "legacy":
        rows[-1][-1] = "café"
        return "legacy.csv", csv_bytes(rows, "latin-1")
    if kind == "gaps":
        rows[-1][0] = draw(st.sampled_from(["", "nan", "inf"]))
    elif kind == "ragged":
        rows[-1].append("1")
    elif kind == "one class":
        for row in rows[1:]:
            row[-1] = "1"
    elif kind == "one row":
        rows = rows[:2]
    elif kind == "binary":
        return "binary.csv", b"\x00" + draw(st.binary(max_size=200))
    else:
        return "arrays.npz", npz_bytes(x=np.zeros((5, 2)), y=np.arange(4))
    return f"{kind.replace(' ', '_')}.csv", csv_bytes(rows)


@settings(
    SETTINGS,
    max_examples=15,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(refused_files())
def test_the_cli_exits_2_with_the_file_named_on_stderr(capsys, file):
    from trainers import cli

    name, content = file
    path = write(name, content)
    status = cli.main(["train", "--dataset", str(path), "--epochs", "1", "--quiet", "--no-model"])
    out, err = capsys.readouterr()
    assert status == cli.EXIT_BAD_INPUT
    assert err.startswith("descent: ") and name in err
    assert "Traceback" not in err and len(err) <= LONGEST_MESSAGE + len(str(path.parent)) + 20


def test_main_py_train_on_a_bad_csv_exits_2_without_a_traceback(tmp_path):

    bad = tmp_path / "grades.csv"
    bad.write_bytes("hours,grade\n1,pass\n2,échec\n".encode("latin-1"))
    done = run_main("train", "--dataset", bad, "--epochs", "1", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "grades.csv is not UTF-8 text" in done.stderr and "row 3" in done.stderr
