"""The seeded, stratified train/validation split shared by every loader."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainers.datasets.base import RawData, build_dataset, split_indices
from trainers.errors import DatasetError


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=2, max_size=120),
    split=st.floats(0.0, 0.9),
    seed=st.integers(0, 2**31 - 1),
)
def test_split_is_a_partition_and_stratified_when_it_can_be(labels, split, seed):
    labels = np.array(labels)
    n = len(labels)
    train, val = split_indices(n, split, seed, labels)
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))
    if split > 0:
        assert 1 <= len(val) <= max(1, round(n * split) + 1)
    else:
        assert len(val) == 0
    _, counts = np.unique(labels, return_counts=True)
    if split > 0 and counts.min() >= 2 and len(counts) > 1:
        # every class keeps at least one training sample
        assert set(labels[train]) == set(labels)
    again = split_indices(n, split, seed, labels)
    assert np.array_equal(train, again[0]) and np.array_equal(val, again[1])


def test_stratified_split_keeps_class_shares():
    labels = np.array([0] * 80 + [1] * 20)
    train, val = split_indices(100, 0.25, 0, labels)
    assert np.bincount(labels[val]).tolist() == [20, 5]
    assert np.bincount(labels[train]).tolist() == [60, 15]


def test_class_with_one_sample_falls_back_to_a_plain_split():
    labels = np.array([0] * 10 + [1])
    train, val = split_indices(11, 0.2, 0, labels)
    assert len(train) + len(val) == 11 and len(val) == 2


def test_split_leaving_one_training_sample_is_an_error():
    raw = RawData(np.arange(3.0)[:, None], np.arange(3.0), "regression")
    with pytest.raises(DatasetError, match="leaves 1 training sample"):
        build_dataset(raw, "tiny", validation_split=0.5, seed=0)


def test_training_split_with_one_class_is_an_error():
    labels = np.array([0, 0, 0, 1])  # class 1 cannot be stratified: a plain split
    raw = RawData(np.arange(4.0)[:, None], labels, "binary", ("a", "b"))
    seed = next(s for s in range(100) if 3 in split_indices(4, 0.25, s, labels)[1])
    with pytest.raises(DatasetError, match="training split holds a single class"):
        build_dataset(raw, "tiny", validation_split=0.25, seed=seed)


def test_one_sample_is_an_error():
    raw = RawData(np.zeros((1, 2)), np.zeros(1), "regression")
    with pytest.raises(DatasetError, match="tiny: only 1 sample"):
        build_dataset(raw, "tiny", validation_split=0.0, seed=0)
