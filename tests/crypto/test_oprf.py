"""RFC 9497 ristretto255-SHA512: every official test vector (a copy of
shared/vectors/rfc9497-ristretto255-sha512.json), step by step, and the properties
the escrow relies on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.crypto import oprf
from chorus.crypto.errors import MalformedInput

SUITES = json.loads((Path(__file__).parent / "vectors" / "rfc9497-ristretto255-sha512.json").read_text())
CASES = [(suite, vector) for suite in SUITES for vector in suite["vectors"]]


def _many(text: str) -> list[bytes]:
    return [bytes.fromhex(part) for part in text.split(",")]


@pytest.mark.parametrize(
    ("suite", "vector"), CASES, ids=[f"mode{s['mode']}-batch{v['Batch']}-{i}" for i, (s, v) in enumerate(CASES)]
)
def test_every_official_vector(suite: dict[str, Any], vector: dict[str, Any]) -> None:
    mode = suite["mode"]
    secret, public = oprf.derive_key_pair(bytes.fromhex(suite["seed"]), bytes.fromhex(suite["keyInfo"]), mode)
    assert secret.hex() == suite["skSm"]
    if "pkSm" in suite:
        assert public.hex() == suite["pkSm"]
    info = bytes.fromhex(vector.get("Info", ""))
    inputs, blinds = _many(vector["Input"]), _many(vector["Blind"])
    blinded = []
    for item, chosen, expected in zip(inputs, blinds, _many(vector["BlindedElement"]), strict=True):
        got_blind, element = oprf.blind(item, mode, blind=chosen)
        assert got_blind == chosen and element == expected
        blinded.append(element)
    randomness = bytes.fromhex(vector["Proof"]["r"]) if "Proof" in vector else None
    evaluated, proof = oprf.blind_evaluate_batch(secret, blinded, mode, info=info, proof_randomness=randomness)
    assert evaluated == _many(vector["EvaluationElement"])
    if mode != oprf.OPRF:
        assert proof.hex() == vector["Proof"]["proof"]
        if mode == oprf.VOPRF:
            assert oprf.verify_proof(public, blinded, evaluated, proof, mode)
        else:
            assert oprf.verify_proof(oprf.tweaked_public_key(public, info), evaluated, blinded, proof, mode)
    for index, (item, chosen, output) in enumerate(zip(inputs, blinds, _many(vector["Output"]), strict=True)):
        assert oprf.evaluate(secret, item, mode, info=info) == output
        if mode == oprf.OPRF or len(inputs) == 1:
            got = oprf.finalize(
                item,
                chosen,
                evaluated[index],
                mode,
                blinded_element=blinded[index],
                proof=proof or None,
                public=public,
                info=info,
            )
            assert got == output


def test_single_evaluation_api_matches_the_issue_signature() -> None:
    secret, public = oprf.derive_key_pair(bytes(32), b"chorus", oprf.VOPRF)
    chosen, blinded = oprf.blind(b"email:someone@example.org", oprf.VOPRF)
    result = oprf.blind_evaluate(secret, blinded, oprf.VOPRF)
    assert isinstance(result, tuple)
    evaluated, proof = result
    output = oprf.finalize(
        b"email:someone@example.org", chosen, evaluated, oprf.VOPRF, blinded_element=blinded, proof=proof, public=public
    )
    assert output == oprf.evaluate(secret, b"email:someone@example.org", oprf.VOPRF)


def test_a_proof_against_another_public_key_is_refused() -> None:
    secret, _public = oprf.derive_key_pair(bytes(32), b"platform", oprf.VOPRF)
    _other_secret, other_public = oprf.derive_key_pair(bytes(32), b"impostor", oprf.VOPRF)
    chosen, blinded = oprf.blind(b"x", oprf.VOPRF)
    result = oprf.blind_evaluate(secret, blinded, oprf.VOPRF)
    assert isinstance(result, tuple)
    evaluated, proof = result
    with pytest.raises(oprf.VerifyError):
        oprf.finalize(b"x", chosen, evaluated, oprf.VOPRF, blinded_element=blinded, proof=proof, public=other_public)


def test_malformed_elements_and_scalars_are_refused() -> None:
    secret, _ = oprf.derive_key_pair(bytes(32), b"k", oprf.OPRF)
    for bad in (bytes(32), b"\xff" * 32, b"short"):
        with pytest.raises(MalformedInput):
            oprf.blind_evaluate(secret, bad, oprf.OPRF)
    with pytest.raises(MalformedInput):
        oprf.check_scalar(b"\xff" * 32)
    assert not oprf.verify_proof(oprf.public_key(secret), [], [], b"\x00" * 10, oprf.VOPRF)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=64))
def test_blinding_hides_nothing_from_the_result(data: bytes) -> None:
    secret, _ = oprf.derive_key_pair(bytes(32), b"prop", oprf.OPRF)
    chosen, blinded = oprf.blind(data, oprf.OPRF)
    evaluated = oprf.blind_evaluate(secret, blinded, oprf.OPRF)
    assert isinstance(evaluated, bytes)
    assert oprf.finalize(data, chosen, evaluated, oprf.OPRF) == oprf.evaluate(secret, data, oprf.OPRF)


def test_two_key_holders_evaluate_the_prf_under_the_product_of_their_keys() -> None:
    platform, _ = oprf.derive_key_pair(bytes(32), b"platform share", oprf.OPRF)
    custodian, _ = oprf.derive_key_pair(bytes(32), b"custodian share", oprf.OPRF)
    identifier = b"email:dominik@example.org"
    chosen, blinded = oprf.blind(identifier, oprf.OPRF)
    by_platform = oprf.blind_evaluate(platform, blinded, oprf.OPRF)
    assert isinstance(by_platform, bytes)
    by_both = oprf.blind_evaluate(custodian, by_platform, oprf.OPRF)
    assert isinstance(by_both, bytes)
    output = oprf.finalize(identifier, chosen, by_both, oprf.OPRF)
    product = oprf.scalar_from_int(oprf.scalar_to_int(platform) * oprf.scalar_to_int(custodian))
    assert output == oprf.evaluate(product, identifier, oprf.OPRF)
    assert output not in (
        oprf.evaluate(platform, identifier, oprf.OPRF),
        oprf.evaluate(custodian, identifier, oprf.OPRF),
    )
