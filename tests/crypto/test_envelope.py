from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.crypto import envelope
from chorus.crypto.errors import DecryptionError, MalformedInput


@given(st.binary(max_size=4096), st.text(max_size=40))
def test_it_round_trips_any_plaintext(plaintext: bytes, context: str) -> None:
    key = envelope.random_key()
    assert envelope.open_sealed(key, envelope.seal(key, plaintext, context=context), context=context) == plaintext


def test_it_refuses_another_context() -> None:
    key = envelope.random_key()
    blob = envelope.wrap_key(key, envelope.random_key(), context="vault-by-password:1")
    with pytest.raises(DecryptionError):
        envelope.unwrap_key(key, blob, context="private-key:1")


def test_it_refuses_another_key() -> None:
    blob = envelope.seal(envelope.random_key(), b"story", context="c")
    with pytest.raises(DecryptionError):
        envelope.open_sealed(envelope.random_key(), blob, context="c")


@given(st.integers(min_value=0, max_value=60), st.integers(min_value=1, max_value=255))
def test_it_detects_any_flipped_byte(position: int, flip: int) -> None:
    key = envelope.random_key()
    blob = bytearray(envelope.seal(key, b"what happened", context="c"))
    blob[position % len(blob)] ^= flip
    with pytest.raises(DecryptionError):
        envelope.open_sealed(key, bytes(blob), context="c")


def test_it_uses_a_fresh_nonce_each_time() -> None:
    key = envelope.random_key()
    assert envelope.seal(key, b"same", context="c") != envelope.seal(key, b"same", context="c")


def test_it_rejects_short_keys() -> None:
    with pytest.raises(MalformedInput):
        envelope.seal(b"short", b"x", context="c")


def test_sealed_box_opens_only_with_the_private_key() -> None:
    pair, other = envelope.generate_key_pair(), envelope.generate_key_pair()
    blob = envelope.seal_to_public_key(pair.public_key, b"shared part")
    assert envelope.open_with_private_key(pair.private_key, blob) == b"shared part"
    with pytest.raises(DecryptionError):
        envelope.open_with_private_key(other.private_key, blob)
    assert envelope.public_key_of(pair.private_key) == pair.public_key
    assert "private" not in repr(pair) or pair.private_key.hex() not in repr(pair)
