"""The command line's text: numbers and aligned tables (no Keras needed)."""

import math

from trainers.cli.output import aligned_table, format_number


def test_format_number_gives_dashes_decimals_and_non_finite_values_as_such():
    assert format_number(None) == "-"
    assert format_number(0.123456) == "0.1235" and format_number(12.34, 1) == "12.3"
    assert format_number(math.nan) == "nan" and format_number(-math.inf) == "-inf"
    assert format_number(7) == "7" and format_number("adam") == "adam"


def test_aligned_table_pads_each_column_and_aligns_numbers_right():
    columns = [("run", lambda r: r[0]), ("loss", lambda r: r[1])]
    text = aligned_table(columns, [("SGD", "0.5"), ("Momentum", "12.25")], [False, True])
    assert text.splitlines() == [
        "run        loss",
        "SGD         0.5",
        "Momentum  12.25",
    ]
