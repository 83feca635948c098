"""A researcher's CSV: text columns one-hot encoded or refused, columns left out, missing values
refused, dropped or filled with the mean, and every problem row counted in one message; from
`datasets.get`, a run.toml and the command line."""

import json

import numpy as np
import pytest

from trainers import cli, datasets
from trainers.build import load_dataset
from trainers.config import RunConfig
from trainers.errors import DatasetError

COLOURS = ("red", "green", "blue")


def write(folder, name, header, rows):
    path = folder / name
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def refused(path, **options) -> str:
    with pytest.raises(DatasetError) as caught:
        datasets.get(path, **options)
    message = str(caught.value)
    assert path.name in message and len(message) <= 600, message
    return message


def raw_features(data) -> np.ndarray:
    """Every sample's features in the units of the file (the standardization undone), in the
    order train then validation."""
    mean, std = data.feature_scale
    return np.concatenate([data.x_train, data.x_val]) * std + mean


@pytest.fixture
def shop(tmp_path):
    """40 rows: a numeric size, a colour and a city as text, and a yes/no label."""
    rows = [
        (i, COLOURS[i % 3], "Oslo" if i % 4 else "Rome", "yes" if i % 2 else "no")
        for i in range(40)
    ]
    return write(tmp_path, "shop.csv", ["size", "colour", "city", "bought"], rows)


def test_text_feature_columns_are_one_hot_encoded_by_default(shop):
    data = datasets.get(shop, validation_split=0)
    assert data.feature_names == (
        "size",
        "colour=blue",
        "colour=green",
        "colour=red",
        "city=Oslo",
        "city=Rome",
    )
    x = raw_features(data)
    # Each row has exactly one colour and one city, and they are its own.
    for row in np.round(x).astype(int):
        size = row[0]
        colour = COLOURS[size % 3]
        assert row[1:4].tolist() == [colour == c for c in ("blue", "green", "red")]
        assert row[4:].tolist() == [size % 4 != 0, size % 4 == 0]
    assert "one-hot" in data.description and "'colour' (3 values)" in data.description


def test_text_columns_can_be_refused_with_the_choice_offered(shop):
    message = refused(shop, text_columns="refuse")
    assert "'colour'" in message and "'city'" in message and "'size'" not in message
    assert "row 2" in message  # the first text cell, where to look
    assert "One-hot" in message and "--text-columns onehot" in message
    assert "Leave out" in message and "--exclude colour,city" in message


def test_a_text_column_of_many_values_is_refused_and_can_be_left_out(tmp_path):
    rows = [(f"customer {i}", i % 5, i % 2) for i in range(80)]
    path = write(tmp_path, "people.csv", ["name", "visits", "label"], rows)
    message = refused(path)
    assert "'name'" in message and "80 different" in message and "at most 50" in message
    assert "leave it out" in message.lower()
    data = datasets.get(path, exclude=["name"])
    assert data.feature_names == ("visits",)
    assert "left out: 'name'" in data.description


def test_left_out_columns_are_never_read(tmp_path):
    rows = [(i, f"#{i}?!", i * 2 % 7, i % 2) for i in range(20)]
    path = write(tmp_path, "ids.csv", ["id", "note", "x", "label"], rows)
    # As a list (a run.toml) or as names between commas (--set dataset.exclude=...).
    for exclude in (["id", "note"], "id, note", ("ID", "Note")):
        data = datasets.get(path, exclude=exclude)
        assert data.feature_names == ("x",)
    assert "'note'" in refused(path, exclude=["id"], text_columns="refuse")


@pytest.mark.parametrize(
    ("exclude", "words"),
    [
        (["price"], ["no column 'price'", "'id'", "'label'"]),
        (["label"], ["'label'", "target", "cannot be left out"]),
        (["id", "note", "x"], ["no feature column", "leave fewer out"]),
        (3, ["`exclude`", "column names"]),
    ],
)
def test_a_wrong_exclude_is_refused_saying_why(tmp_path, exclude, words):
    rows = [(i, "a", i % 3, i % 2) for i in range(6)]
    path = write(tmp_path, "ids.csv", ["id", "note", "x", "label"], rows)
    message = refused(path, exclude=exclude)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def b_value(i):
    return (i * 7) % 11 + 0.1 * (i % 3)


@pytest.fixture
def gappy(tmp_path):
    """40 rows; 12 of them (rows 4, 7, 10, ... of the file) have an empty or NA cell in a or b."""
    rows, holes = [], []
    for i in range(40):
        a, b = f"{i * 0.5:g}", f"{b_value(i):g}"
        if i % 3 == 2 and i < 36:
            holes.append(i + 2)  # the file row: the header is row 1
            if i % 2:
                a = ""
            else:
                b = "NA"
        rows.append((a, b, i % 2))
    path = write(tmp_path, "gaps.csv", ["a", "b", "label"], rows)
    return path, holes


def test_missing_values_are_refused_by_default_counting_every_row(gappy):
    path, holes = gappy
    message = refused(path)
    assert len(holes) == 12
    assert "12 rows have missing values" in message
    assert "rows 4, 7, 10, 13, 16 and 7 more" in message
    assert "row 4, column 'b'" in message  # the first one, exactly
    assert "Drop rows" in message and "Fill with mean" in message
    assert "--missing drop" in message


def test_missing_values_can_drop_their_rows(gappy):
    path, holes = gappy
    data = datasets.get(path, missing="drop", validation_split=0)
    assert data.n_samples == 40 - len(holes)
    assert "12 rows with missing values dropped" in data.description
    kept_a = {float(f"{i * 0.5:g}") for i in range(40) if i + 2 not in holes}
    assert set(np.round(raw_features(data)[:, 0], 4).tolist()) == kept_a


def test_missing_values_can_be_filled_with_the_column_mean(gappy):
    path, holes = gappy
    data = datasets.get(path, missing="mean", validation_split=0)
    assert data.n_samples == 40
    x = raw_features(data)
    present_a = [i * 0.5 for i in range(40) if not (i + 2 in holes and i % 2)]
    present_b = [b_value(i) for i in range(40) if not (i + 2 in holes and not i % 2)]
    filled_a = np.isclose(x[:, 0], np.mean(present_a), atol=1e-4)
    filled_b = np.isclose(x[:, 1], np.mean(present_b), atol=1e-4)
    assert filled_a.sum() == 6 and filled_b.sum() == 6
    assert "12 missing cells filled with the column mean" in data.description


def test_a_missing_target_is_dropped_by_drop_and_mean_and_counted_by_refuse(tmp_path):
    rows = [(i, "" if i in (3, 8, 9) else i % 2) for i in range(20)]
    path = write(tmp_path, "labels.csv", ["x", "label"], rows)
    message = refused(path)
    assert "3 rows have missing values" in message and "rows 5, 10 and 11" in message
    assert "target column 'label'" in message
    for missing in ("drop", "mean"):
        data = datasets.get(path, missing=missing, validation_split=0)
        assert data.n_samples == 17
        assert "3 rows with missing values dropped" in data.description


def test_one_hot_columns_with_missing_cells_follow_the_choice(tmp_path):
    colours = ["red", "blue", "", "red", "blue", "red", "NA", "red"] * 3
    rows = [(i, c, i % 2) for i, c in enumerate(colours)]
    path = write(tmp_path, "paint.csv", ["x", "colour", "label"], rows)
    assert "6 rows have missing values" in refused(path)
    assert datasets.get(path, missing="drop").n_samples == 18
    x = raw_features(datasets.get(path, missing="mean", validation_split=0))
    # A missing colour becomes the colours' frequencies among the rows that have one.
    assert np.isclose(x[:, 1:], [1 / 3, 2 / 3], atol=1e-4).all(axis=1).sum() == 6


def test_every_column_empty_somewhere_leaves_nothing_to_drop(tmp_path):
    rows = [("" if i % 2 else i, i if i % 2 else "", i % 2) for i in range(10)]
    path = write(tmp_path, "holes.csv", ["a", "b", "label"], rows)
    message = refused(path, missing="drop")
    assert "every row has a missing value" in message
    assert "'a' (5 rows)" in message and "'b' (5 rows)" in message
    empty = write(
        tmp_path, "empty_column.csv", ["a", "b", "label"], [(i, "", i % 2) for i in range(6)]
    )
    assert "'b' has no values" in refused(empty, missing="mean")


def test_text_in_a_numeric_column_counts_every_row(tmp_path):
    bad = {4, 11, 12, 30, 31, 32, 33}
    rows = [(i, "oops" if i in bad else i * 1.5, i % 2) for i in range(60)]
    path = write(tmp_path, "typos.csv", ["x", "weight", "label"], rows)
    message = refused(path)
    assert "'weight'" in message and "7 rows hold text" in message
    assert "rows 6, 13, 14, 32, 33 and 2 more" in message and "'oops'" in message
    # Leaving the column out, or choosing it as a target, is offered; dropping is not a fix.
    assert "leave the column out" in message
    assert datasets.get(path, exclude="weight").feature_names == ("x",)


def test_numbers_that_are_not_finite_are_counted(tmp_path):
    rows = [(i, "inf" if i in (2, 5) else i, i % 2) for i in range(12)]
    path = write(tmp_path, "inf.csv", ["x", "y", "label"], rows)
    message = refused(path, missing="mean")  # an infinity is no missing value
    assert "2 rows" in message and "rows 4 and 7" in message and "'inf'" in message
    assert "finite" in message


def test_csv_choices_are_checked_naming_the_ones_that_exist(shop):
    assert "`text_columns` must be one of onehot, refuse" in refused(shop, text_columns="ordinal")
    assert "`missing` must be one of refuse, drop, mean" in refused(shop, missing="zero")


def test_csv_choices_reach_the_data_from_a_run_toml(tmp_path, gappy):
    path, holes = gappy
    toml = tmp_path / "run.toml"
    toml.write_text(
        f"dataset = {json.dumps(str(path))}\n"
        'dataset_options = {missing = "drop", exclude = ["b"], text_columns = "refuse"}\n'
    )
    config = RunConfig.from_file(toml).validate()
    data = load_dataset(config)
    assert data.feature_names == ("a",)
    assert data.n_samples == 40 - 6  # only the rows missing a: b is left out


def test_cli_flags_set_the_csv_choices_and_the_run_folder_keeps_them(tmp_path, shop, capsys):
    common = ["train", "--dataset", str(shop), "--epochs", "1", "--hidden", "4", "--quiet"]
    assert cli.main([*common, "--text-columns", "refuse"]) == 2
    err = capsys.readouterr().err
    assert "'colour'" in err and "--text-columns onehot" in err and "Traceback" not in err
    out = tmp_path / "run"
    args = ["--exclude", "city", "--missing", "mean", "--text-columns", "onehot"]
    assert cli.main([*common, *args, "--out", str(out)]) == 0
    saved = RunConfig.from_file(out / "run.toml")
    assert saved.dataset_options == {
        "exclude": ["city"],
        "missing": "mean",
        "text_columns": "onehot",
    }
    assert load_dataset(saved.validate()).feature_names[-1] == "colour=red"
