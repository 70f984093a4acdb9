"""Shamir k-of-n over the ristretto255 scalar field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.crypto import threshold
from chorus.crypto.errors import MalformedInput

secrets_ = st.integers(min_value=0, max_value=threshold.ORDER - 1)


@settings(max_examples=60, deadline=None)
@given(secret=secrets_, k=st.integers(1, 6), extra=st.integers(0, 4), data=st.data())
def test_any_k_shares_recover_the_secret(secret: int, k: int, extra: int, data: st.DataObject) -> None:
    shares = threshold.split(secret, k, k + extra)
    chosen = data.draw(st.permutations(shares))[:k]
    assert threshold.combine(chosen) == secret


@settings(max_examples=60, deadline=None)
@given(secret=secrets_, candidate=secrets_, k=st.integers(2, 6))
def test_k_minus_one_shares_fit_every_candidate_secret(secret: int, candidate: int, k: int) -> None:
    shares = threshold.split(secret, k, k)[: k - 1]
    # The polynomial through the k-1 shares and (0, candidate) has degree <= k-1 and
    # passes through every share: the shares cannot tell ``candidate`` from ``secret``.
    completed = [*shares, threshold.Share(0, candidate)]
    for share in shares:
        assert threshold.interpolate(completed, share.x) == share.y
    assert threshold.interpolate(completed, 0) == candidate


@settings(max_examples=30, deadline=None)
@given(secret=secrets_, k=st.integers(1, 5))
def test_shares_round_trip_as_bytes(secret: int, k: int) -> None:
    for share in threshold.split(secret, k, k + 1):
        assert threshold.Share.from_bytes(share.to_bytes()) == share


def test_bad_parameters_and_shares_are_refused() -> None:
    with pytest.raises(MalformedInput):
        threshold.split(1, 3, 2)
    with pytest.raises(MalformedInput):
        threshold.combine([threshold.Share(1, 2), threshold.Share(1, 3)])
    with pytest.raises(MalformedInput):
        threshold.Share.from_bytes(bytes(64))
