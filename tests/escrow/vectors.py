"""Fixed-randomness vectors of the whole escrow construction, made by the Python code, for
the browser implementation to reproduce byte for byte."""

from __future__ import annotations

import hashlib
from typing import Any

from nacl import bindings

from chorus.crypto import matching, oprf

TEAM_SECRET = bytes(range(100, 132))


def sealed_box(public_key: bytes, plaintext: bytes, ephemeral_secret: bytes) -> bytes:
    """libsodium's crypto_box_seal with a chosen ephemeral key (libsodium draws its own),
    built from the same primitives, for a fixed-randomness vector."""
    ephemeral = bindings.crypto_scalarmult_base(ephemeral_secret)
    nonce = hashlib.blake2b(ephemeral + public_key, digest_size=24).digest()
    return ephemeral + bindings.crypto_box(plaintext, nonce, public_key, ephemeral_secret)


def make_vectors() -> list[dict[str, Any]]:
    k1, pk1 = oprf.derive_key_pair(bytes(range(32)), b"platform", oprf.VOPRF)
    k2, pk2 = oprf.derive_key_pair(bytes(range(32, 64)), b"custodian", oprf.VOPRF)
    team_key = bindings.crypto_scalarmult_base(TEAM_SECRET)
    vectors = []
    for number, (identifier, organization, k) in enumerate(
        [
            ("email:sam.lee@example.org", "3f1c0a5e-0000-4000-8000-000000000001", 2),
            ("phone:+442079460958", "3f1c0a5e-0000-4000-8000-000000000001", 3),
            ("instagram:s.lee_", "another-organization", 10),
        ]
    ):
        data = identifier.encode()
        blind_scalar = oprf.scalar_from_int(1234567 + number * 7919)
        _, blinded = oprf.blind(data, oprf.VOPRF, blind=blind_scalar)
        (by_platform,), platform_proof = oprf.blind_evaluate_batch(k1, [blinded], oprf.VOPRF)
        (by_custodian,), custodian_proof = oprf.blind_evaluate_batch(k2, [by_platform], oprf.VOPRF)
        output = oprf.finalize(data, blind_scalar, by_custodian, oprf.OPRF)
        derived = matching.derive(output, organization=organization, k=k)
        author, nonce = bytes([number + 1]) * 32, bytes([number + 9]) * 24
        ephemeral = bytes([number + 50]) * 32
        content = '{"identifier": "' + identifier + '", "statement": "Zoë — ünïcode"}'
        vectors.append(
            {
                "input": identifier,
                "blind": blind_scalar.hex(),
                "platformKey": pk1.hex(),
                "byPlatform": by_platform.hex(),
                "platformProof": platform_proof.hex(),
                "custodianKey": pk2.hex(),
                "byCustodian": by_custodian.hex(),
                "custodianProof": custodian_proof.hex(),
                "organization": organization,
                "k": k,
                "author": author.hex(),
                "nonce": nonce.hex(),
                "content": content,
                "teamKey": team_key.hex(),
                "ephemeral": ephemeral.hex(),
                "expected": {
                    "blinded": blinded.hex(),
                    "output": output.hex(),
                    "tag": derived.tag.hex(),
                    "payload": matching.payload(derived, author, content.encode(), nonce=nonce).hex(),
                    "sealed": sealed_box(team_key, content.encode(), ephemeral).hex(),
                },
            }
        )
    return vectors
