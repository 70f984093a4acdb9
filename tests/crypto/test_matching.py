"""The escrow construction: k authors' payloads recover the content; fewer do not."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.crypto import matching, threshold
from chorus.crypto.errors import DecryptionError, MalformedInput


def _output() -> bytes:
    return os.urandom(64)


@given(st.integers(min_value=2, max_value=5), st.data())
@settings(max_examples=30)
def test_any_k_distinct_authors_recover_the_content(k: int, data: st.DataObject) -> None:
    derived = matching.derive(_output(), organization="org", k=k)
    authors = [os.urandom(32) for _ in range(k + 1)]
    payloads = [matching.payload(derived, author, b"entry %d" % i) for i, author in enumerate(authors)]
    chosen = data.draw(st.permutations(range(k + 1)))[:k]
    opened = [matching.payload_open(payloads[i]) for i in chosen]
    secret = matching.recover([share for share, _ in opened], k)
    assert secret == derived.secret
    assert matching.content_open(secret, derived.tag, opened[0][1]) == b"entry %d" % chosen[0]


def test_one_author_naming_twice_gives_the_same_point() -> None:
    derived = matching.derive(_output(), organization="org", k=2)
    author = os.urandom(32)
    first, _ = matching.payload_open(matching.payload(derived, author, b"a"))
    second, _ = matching.payload_open(matching.payload(derived, author, b"b"))
    assert first == second
    with pytest.raises(MalformedInput, match="2 distinct shares"):
        matching.recover([first, second], 2)


@given(st.data())
@settings(max_examples=30)
def test_k_minus_one_shares_fit_every_candidate_secret(data: st.DataObject) -> None:
    """With k-1 points, for any guessed K there is a degree-(k-1) polynomial through them."""
    k = data.draw(st.integers(min_value=2, max_value=4))
    derived = matching.derive(_output(), organization="org", k=k)
    shares = [derived.share_for(os.urandom(32)) for _ in range(k - 1)]
    guess = data.draw(st.integers(min_value=0, max_value=threshold.ORDER - 1))
    completed = [*shares, threshold.Share(x=0, y=guess)] if k > 1 else shares
    # Interpolating through (0, guess) and the k-1 shares is always possible and consistent.
    assert threshold.interpolate(completed, 0) == guess


def test_tags_differ_by_organization_and_threshold_and_content_is_bound_to_its_tag() -> None:
    output = _output()
    base = matching.derive(output, organization="org", k=2)
    assert base.tag != matching.derive(output, organization="other", k=2).tag
    assert base.tag != matching.derive(output, organization="org", k=3).tag
    assert base.tag == matching.derive(output, organization="org", k=2).tag
    author_a, author_b = os.urandom(32), os.urandom(32)
    share_a, sealed = matching.payload_open(matching.payload(base, author_a, b"x"))
    share_b, _ = matching.payload_open(matching.payload(base, author_b, b"y"))
    secret = matching.recover([share_a, share_b], 2)
    with pytest.raises(DecryptionError):
        matching.content_open(secret, bytes(32), sealed)


def test_fixed_randomness_gives_fixed_bytes() -> None:
    """The vector the browser implementation reproduces: same output, author, nonce → same bytes."""
    derived = matching.derive(bytes(range(64)), organization="org", k=2)
    first = matching.payload(derived, bytes(32), b"content", nonce=bytes(24))
    assert first == matching.payload(derived, bytes(32), b"content", nonce=bytes(24))
    assert len(first) == matching.SHARE_SIZE + 1 + 24 + len(b"content") + 16
