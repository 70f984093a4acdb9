from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.crypto import codes
from chorus.crypto.errors import MalformedInput


def test_it_carries_at_least_160_bits() -> None:
    code = codes.new_code()
    assert len(code.replace("-", "")) * 5 >= 160


@given(st.sampled_from([" ", "-", "\n"]), st.booleans())
def test_typing_variations_normalize_to_the_same_code(separator: str, lower: bool) -> None:
    code = codes.new_code()
    typed = separator.join(code.split("-"))
    typed = typed.lower() if lower else typed
    assert codes.normalize_code(typed) == code


def test_confusable_letters_read_as_digits() -> None:
    code = "0000-1111-" + "-".join(["ABCD"] * 6)
    assert codes.normalize_code(code.replace("0", "O").replace("1", "l")) == code


@pytest.mark.parametrize("bad", ["", "ABCD", "U" * 32, "!" * 32, "A" * 33])
def test_it_rejects_what_cannot_be_a_code(bad: str) -> None:
    with pytest.raises(MalformedInput):
        codes.normalize_code(bad)
