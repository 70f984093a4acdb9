from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.crypto import kdf
from chorus.crypto.errors import MalformedInput

FAST = kdf.Argon2Params(memory_kib=256, iterations=1, parallelism=1)
SALT = bytes(range(16))


def test_it_matches_argon2id_reference_output() -> None:
    # RFC 9106 section 5.3 style check through argon2-cffi: same inputs, same bytes.
    from argon2.low_level import Type, hash_secret_raw

    raw = hash_secret_raw(b"pw", SALT, time_cost=1, memory_cost=256, parallelism=1, hash_len=64, type=Type.ID)
    derived = kdf.derive_from_password("pw", SALT, FAST)
    assert derived == kdf._split(raw, SALT)


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=64))
def test_it_separates_passwords(first: str, second: str) -> None:
    a = kdf.derive_from_password(first, SALT, FAST)
    b = kdf.derive_from_password(second, SALT, FAST)
    assert (a == b) == (first == second)
    assert a.verifier != a.wrapping_key


def test_the_verifier_does_not_reveal_the_wrapping_key() -> None:
    derived = kdf.derive_from_password("a long passphrase", SALT, FAST)
    encoded = kdf.encode_password_hash(SALT, FAST, derived.verifier)
    assert derived.wrapping_key.hex() not in encoded
    salt, params, verifier = kdf.decode_password_hash(encoded)
    assert (salt, params, verifier) == (SALT, FAST, derived.verifier)
    assert kdf.verifier_matches(verifier, kdf.derive_from_password("a long passphrase", salt, params))
    assert not kdf.verifier_matches(verifier, kdf.derive_from_password("a long passphrasE", salt, params))


@pytest.mark.parametrize("bad", ["", "argon2$x", "chorus-argon2id$m=1$AAAA$AAAA", "chorus-argon2id$m=1,t=1,p=1$%%%$AA"])
def test_it_rejects_malformed_hashes(bad: str) -> None:
    with pytest.raises(MalformedInput):
        kdf.decode_password_hash(bad)


def test_it_refuses_short_codes_and_salts() -> None:
    with pytest.raises(MalformedInput):
        kdf.derive_from_code(b"short", SALT)
    with pytest.raises(MalformedInput):
        kdf.derive_from_password("pw", b"salt", FAST)
