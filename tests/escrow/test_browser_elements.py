"""The browser decodes every element the holders send through one strict function
(js/escrow.js decodeElement), as the server does (chorus.crypto.oprf.check_element): the RFC
9496 lists give the same answers under Node, and over generated encodings both accept and
refuse exactly the same ones. The Chromium run of the same lists is in tests/browser.

Generated encodings are drawn by Hypothesis (the same ones on every run) and go to Node in
one process. More, with a fresh seed::

    CHORUS_DIFFERENTIAL_EXAMPLES=20000 pytest tests/escrow/test_browser_elements.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import strategies as st

from chorus.crypto import oprf
from tests.escrow.both_sides import drawn, node
from tests.escrow.vectors import make_vectors

ROOT = Path(__file__).resolve().parents[2]
RFC9496 = json.loads((ROOT / "tests" / "crypto" / "vectors" / "rfc9496-ristretto255.json").read_text())
MULTIPLES: list[str] = RFC9496["multiples"]
INVALID: list[str] = [encoding for encodings in RFC9496["invalid"].values() for encoding in encodings]
EXAMPLES = int(os.environ.get("CHORUS_DIFFERENTIAL_EXAMPLES") or 3000)
FIELD = 2**255 - 19
ORDER = 2**252 + 27742317777372353535851937790883648493


def browser_refusals(encodings: list[str]) -> list[str | None]:
    """For each hex encoding, None if the browser's decodeElement accepts it, else why not."""
    result = node("elements", encodings)
    answers: list[str | None] = json.loads(result.stdout)
    return answers


def server_accepts(encoding: str) -> bool:
    try:
        oprf.check_element(bytes.fromhex(encoding))
    except oprf.InvalidElement:
        return False
    return True


def top_bit_set(encoding: str) -> str:
    data = bytearray.fromhex(encoding)
    data[31] |= 0x80
    return data.hex()


def test_node_refuses_every_invalid_encoding_of_rfc9496() -> None:
    assert len(INVALID) == 29
    refusals = browser_refusals(INVALID)
    assert all(refusals), [encoding for encoding, why in zip(INVALID, refusals, strict=True) if why is None]


def test_node_accepts_the_multiples_of_the_generator_and_refuses_the_identity() -> None:
    refusals = browser_refusals(MULTIPLES)
    assert refusals[0] is not None and "identity" in refusals[0]
    assert refusals[1:] == [None] * 15


def test_node_refuses_the_multiples_with_the_top_bit_set() -> None:
    assert all(browser_refusals([top_bit_set(encoding) for encoding in MULTIPLES]))


def test_node_refuses_each_holder_element_written_another_way() -> None:
    """finalizeTwoHop decodes every element the holders send, and both keys, before any proof."""
    for field in ("byPlatform", "byCustodian", "platformKey", "custodianKey"):
        vector = make_vectors()[0]
        vector[field] = top_bit_set(vector[field])
        result = node("vectors", [vector], check=False, timeout=60)
        assert result.returncode != 0, field
        assert "InvalidElement" in result.stderr and "canonical" in result.stderr, result.stderr


# ---- both sides over generated encodings ---------------------------------------------

SCALARS = st.integers(min_value=1, max_value=ORDER - 1).map(oprf.scalar_from_int)
VALID = SCALARS.map(oprf.public_key)


@st.composite
def flipped(draw: st.DrawFn) -> bytes:
    element = bytearray(draw(VALID))
    for bit in draw(st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=3)):
        element[bit // 8] ^= 1 << (bit % 8)
    return bytes(element)


def near(value: int) -> st.SearchStrategy[bytes]:
    return st.integers(min_value=max(0, value - 40), max_value=min(2**256 - 1, value + 40)).map(
        lambda s: s.to_bytes(32, "little")
    )


ENCODINGS = st.one_of(
    st.binary(min_size=32, max_size=32),
    VALID,
    flipped(),
    VALID.map(lambda element: element[:31] + bytes([element[31] | 0x80])),
    near(0),
    near(FIELD),  # the field's edge: s = p - 1 (y = 0), p, p + 1, ...
    near(2**255),  # bit 255 and nothing else near it
    near(2**256 - 1),
    st.sampled_from([bytes.fromhex(encoding) for encoding in MULTIPLES + INVALID]),
).map(bytes.hex)


def test_the_server_and_the_browser_accept_exactly_the_same_encodings() -> None:
    encodings = drawn(ENCODINGS, EXAMPLES)
    server = [server_accepts(encoding) for encoding in encodings]
    browser = [why is None for why in browser_refusals(encodings)]
    apart = [(encoding, s) for encoding, s, b in zip(encodings, server, browser, strict=True) if s != b]
    assert not apart, "\n".join(f"{encoding}: server {'accepts' if s else 'refuses'}" for encoding, s in apart[:20])
    # The draw reaches both answers, and plenty of each.
    assert sum(server) > EXAMPLES // 10
    assert len(server) - sum(server) > EXAMPLES // 10
