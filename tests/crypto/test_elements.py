"""Decoding ristretto255 elements: RFC 9496 section 4.3.1 refuses every encoding but the one
canonical encoding of each element, whatever libsodium is installed. The vectors are RFC 9496
Appendix A.1 (multiples of the generator) and A.2 (invalid encodings), in
vectors/rfc9496-ristretto255.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.crypto import oprf
from chorus.crypto.errors import MalformedInput

RFC9496 = json.loads((Path(__file__).parent / "vectors" / "rfc9496-ristretto255.json").read_text())
MULTIPLES = [bytes.fromhex(encoding) for encoding in RFC9496["multiples"]]
INVALID = [
    (reason, bytes.fromhex(encoding)) for reason, encodings in RFC9496["invalid"].items() for encoding in encodings
]
ORDER = 2**252 + 27742317777372353535851937790883648493
SCALARS = st.integers(min_value=1, max_value=ORDER - 1).map(oprf.scalar_from_int)


def top_bit_set(element: bytes) -> bytes:
    return element[:31] + bytes([element[31] | 0x80])


def test_the_vectors_are_the_whole_list() -> None:
    assert len(MULTIPLES) == 16
    assert len(INVALID) == 29
    assert {reason for reason, _ in INVALID} == {
        "Non-canonical field encodings",
        "Negative field elements",
        "Non-square x^2",
        "Negative xy value",
        "s = -1, which causes y = 0",
    }


@pytest.mark.parametrize(("reason", "encoding"), INVALID, ids=[f"{i}-{r}" for i, (r, _) in enumerate(INVALID)])
def test_every_invalid_encoding_of_rfc9496_is_refused(reason: str, encoding: bytes) -> None:
    with pytest.raises(oprf.InvalidElement):
        oprf.check_element(encoding)


@pytest.mark.parametrize("multiple", range(1, 16))
def test_the_multiples_of_the_generator_are_accepted(multiple: int) -> None:
    encoding = MULTIPLES[multiple]
    assert oprf.check_element(encoding) == encoding
    assert oprf.public_key(oprf.scalar_from_int(multiple)) == encoding


def test_the_identity_is_refused_however_it_is_written() -> None:
    assert MULTIPLES[0] == bytes(32)
    for encoding in (MULTIPLES[0], top_bit_set(MULTIPLES[0])):
        with pytest.raises(oprf.InvalidElement):
            oprf.check_element(encoding)


@pytest.mark.parametrize("multiple", range(16))
def test_the_multiples_with_the_top_bit_set_are_refused(multiple: int) -> None:
    with pytest.raises(oprf.InvalidElement):
        oprf.check_element(top_bit_set(MULTIPLES[multiple]))


@settings(max_examples=200, deadline=None)
@given(SCALARS)
def test_a_valid_element_is_accepted_and_with_its_top_bit_set_refused(scalar: bytes) -> None:
    element = oprf.public_key(scalar)
    assert oprf.check_element(element) == element
    with pytest.raises(oprf.InvalidElement):
        oprf.check_element(top_bit_set(element))


@settings(max_examples=100, deadline=None)
@given(SCALARS, st.integers(min_value=0, max_value=255))
def test_a_valid_element_with_one_bit_flipped_is_never_a_second_encoding(scalar: bytes, bit: int) -> None:
    """A flipped bit gives another element or nothing, never the same element again."""
    element = oprf.public_key(scalar)
    flipped = bytearray(element)
    flipped[bit // 8] ^= 1 << (bit % 8)
    try:
        accepted = oprf.check_element(bytes(flipped))
    except oprf.InvalidElement:
        return
    probe = oprf.scalar_from_int(7)
    assert oprf.blind_evaluate(probe, accepted, oprf.OPRF) != oprf.blind_evaluate(probe, element, oprf.OPRF)


def test_other_shapes_are_refused_with_the_same_class() -> None:
    for bad in (b"", b"short", bytes(33), bytearray(MULTIPLES[1]), MULTIPLES[1].hex()):
        with pytest.raises(oprf.InvalidElement):
            oprf.check_element(bad)  # type: ignore[arg-type]
    assert issubclass(oprf.InvalidElement, MalformedInput)


# ---- every way an element comes in ---------------------------------------------------


def _vopf_round() -> tuple[bytes, bytes, bytes, bytes, bytes, bytes]:
    secret, public = oprf.derive_key_pair(bytes(32), b"elements", oprf.VOPRF)
    chosen, blinded = oprf.blind(b"email:sam@example.org", oprf.VOPRF)
    result = oprf.blind_evaluate(secret, blinded, oprf.VOPRF)
    assert isinstance(result, tuple)
    evaluated, proof = result
    return secret, public, chosen, blinded, evaluated, proof


def test_an_evaluator_refuses_a_blinded_element_written_another_way() -> None:
    secret, _public, _chosen, blinded, _evaluated, _proof = _vopf_round()
    for mode in oprf.MODES:
        with pytest.raises(oprf.InvalidElement):
            oprf.blind_evaluate_batch(secret, [blinded, top_bit_set(blinded)], mode)


def test_a_proof_over_a_second_encoding_does_not_verify() -> None:
    """Before the check, a server could prove over the top-bit-set bytes of its answer: the
    same element for every computation, a different transcript for the proof."""
    secret, public, chosen, blinded, evaluated, _proof = _vopf_round()
    other = top_bit_set(evaluated)
    forged = oprf.generate_proof(secret, public, [blinded], [other], oprf.VOPRF)
    assert not oprf.verify_proof(public, [blinded], [other], forged, oprf.VOPRF)
    with pytest.raises(oprf.InvalidElement):
        oprf.finalize(
            b"email:sam@example.org", chosen, other, oprf.VOPRF, blinded_element=blinded, proof=forged, public=public
        )


def test_finalize_refuses_each_element_written_another_way() -> None:
    _secret, public, chosen, blinded, evaluated, proof = _vopf_round()
    given_elements = {"blinded_element": blinded, "evaluated_element": evaluated, "public": public}
    for name, element in given_elements.items():
        changed = {**given_elements, name: top_bit_set(element)}
        with pytest.raises(oprf.InvalidElement):
            oprf.finalize(
                b"email:sam@example.org",
                chosen,
                changed["evaluated_element"],
                oprf.VOPRF,
                blinded_element=changed["blinded_element"],
                proof=proof,
                public=changed["public"],
            )
    with pytest.raises(oprf.InvalidElement):
        oprf.finalize(b"email:sam@example.org", chosen, top_bit_set(evaluated), oprf.OPRF)


def test_a_public_key_written_another_way_is_refused() -> None:
    _secret, public, _chosen, blinded, evaluated, proof = _vopf_round()
    assert oprf.verify_proof(public, [blinded], [evaluated], proof, oprf.VOPRF)
    assert not oprf.verify_proof(top_bit_set(public), [blinded], [evaluated], proof, oprf.VOPRF)
    assert not oprf.verify_proof(public, [top_bit_set(blinded)], [evaluated], proof, oprf.VOPRF)
    with pytest.raises(oprf.InvalidElement):
        oprf.tweaked_public_key(top_bit_set(public), b"info")
