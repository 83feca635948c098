"""Comma-separated lists as people type them (`trainers.parsing`)."""

import pytest

from trainers.errors import ConfigError, DescentError
from trainers.parsing import float_list, split_list


def test_split_list_strips_parts_and_drops_empty_ones():
    assert split_list("sgd, adam,,  rmsprop ,") == ["sgd", "adam", "rmsprop"]
    assert split_list("full,1,32") == ["full", "1", "32"]
    assert split_list("") == [] and split_list(" , ") == []
    assert split_list(None) is None  # not given: not the same as an empty list


def test_float_list_reads_numbers_in_any_notation():
    assert float_list("--learning-rates", "0.1, 1e-3,2") == [0.1, 0.001, 2.0]
    assert float_list("--learning-rates", None) is None


def test_float_list_names_the_flag_and_the_text_when_a_part_is_not_a_number():
    with pytest.raises(ConfigError, match="--learning-rates takes numbers") as info:
        float_list("--learning-rates", "0.1, fast")
    assert "'0.1, fast'" in str(info.value)
    assert isinstance(info.value, DescentError) and isinstance(info.value, ValueError)
