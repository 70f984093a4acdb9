from __future__ import annotations

import pytest

from chorus.crypto import signing
from chorus.crypto.errors import BadSignature


def test_it_signs_and_verifies() -> None:
    seed = bytes(32)
    signature = signing.sign(seed, b"head")
    signing.verify(signing.public_key_for(seed), b"head", signature)
    with pytest.raises(BadSignature):
        signing.verify(signing.public_key_for(seed), b"other head", signature)
    with pytest.raises(BadSignature):
        signing.verify(signing.public_key_for(bytes([1]) * 32), b"head", signature)


def test_crypto_never_imports_django() -> None:
    import pathlib

    for path in pathlib.Path(signing.__file__).parent.glob("*.py"):
        assert "django" not in path.read_text(), path.name
