"""RFC 9497 oblivious pseudorandom functions over ristretto255 with SHA-512.

Modes OPRF (0), VOPRF (1) and POPRF (2), on byte strings, so each step can be checked
against the RFC's test vectors (tests/crypto/vectors/). Group and scalar arithmetic is
libsodium's, through pysodium (PyNaCl does not expose ristretto255); hashing to the group
uses RFC 9380 expand_message_xmd with SHA-512, written here because libsodium takes the
64 uniform bytes as input.

Elements and scalars are 32-byte canonical encodings. Every element from outside goes
through ``check_element``, which refuses what RFC 9496 section 4.3.1 refuses (raising
InvalidElement) and the identity element (RFC 9497 section 3.3); non-canonical scalars are
refused too.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

import pysodium

from chorus.crypto.errors import MalformedInput

OPRF, VOPRF, POPRF = 0, 1, 2
MODES = (OPRF, VOPRF, POPRF)
SUITE = b"ristretto255-SHA512"
ELEMENT_SIZE = 32
SCALAR_SIZE = 32
OUTPUT_SIZE = 64
PROOF_SIZE = 2 * SCALAR_SIZE
_ORDER = 2**252 + 27742317777372353535851937790883648493  # the ristretto255 group order L
_FIELD = 2**255 - 19  # p, the field of the encoding's s


class InvalidInput(MalformedInput):
    """An input that maps to the identity element, or a key that cannot be derived."""


class InvalidElement(MalformedInput):
    """Bytes that are not the canonical encoding of a ristretto255 element, or the identity."""


class VerifyError(MalformedInput):
    """A VOPRF/POPRF proof did not verify: the server did not use the key it published."""


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def _context(mode: int) -> bytes:
    if mode not in MODES:
        raise MalformedInput("mode is 0 (OPRF), 1 (VOPRF) or 2 (POPRF)")
    return b"OPRFV1-" + _i2osp(mode, 1) + b"-" + SUITE


def expand_message_xmd(message: bytes, dst: bytes, length: int) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-512."""
    if len(dst) > 255:
        raise MalformedInput("domain separation tags are at most 255 bytes")
    blocks = -(-length // 64)
    if blocks > 255:
        raise MalformedInput("requested too many bytes")
    dst_prime = dst + _i2osp(len(dst), 1)
    b0 = hashlib.sha512(bytes(128) + message + _i2osp(length, 2) + b"\x00" + dst_prime).digest()
    b = [hashlib.sha512(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, blocks + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, b[-1], strict=True))
        b.append(hashlib.sha512(mixed + _i2osp(i, 1) + dst_prime).digest())
    return b"".join(b)[:length]


def hash_to_group(data: bytes, mode: int) -> bytes:
    uniform = expand_message_xmd(data, b"HashToGroup-" + _context(mode), 64)
    return bytes(pysodium.crypto_core_ristretto255_from_hash(uniform))


def hash_to_scalar(data: bytes, mode: int, dst: bytes | None = None) -> bytes:
    uniform = expand_message_xmd(data, dst or b"HashToScalar-" + _context(mode), 64)
    return bytes(pysodium.crypto_core_ristretto255_scalar_reduce(uniform))


# ---- scalars and elements ----------------------------------------------------------


def scalar_from_int(value: int) -> bytes:
    return (value % _ORDER).to_bytes(SCALAR_SIZE, "little")


def scalar_to_int(scalar: bytes) -> int:
    return int.from_bytes(scalar, "little")


def check_scalar(scalar: bytes, *, nonzero: bool = True) -> bytes:
    if not isinstance(scalar, bytes) or len(scalar) != SCALAR_SIZE or scalar_to_int(scalar) >= _ORDER:
        raise MalformedInput("not a canonical ristretto255 scalar")
    if nonzero and scalar_to_int(scalar) == 0:
        raise MalformedInput("the zero scalar is not allowed here")
    return scalar


def _canonical_nonnegative(element: bytes) -> bool:
    """RFC 9496 section 4.3.1, steps 1 and 2: s is below p and non-negative (even).

    Checked here, whatever libsodium is installed: 1.0.18 (Debian's) ignores bit 255 when
    decoding (later releases refuse it), so a valid element with that bit set would pass as a
    second encoding of the same element, and a proof would verify over those bytes only.
    s < p also means bit 255 is clear. Elements are public, so this need not be constant-time.
    """
    s = int.from_bytes(element, "little")
    return s < _FIELD and s % 2 == 0


def check_element(element: bytes) -> bytes:
    """``element`` if it is the canonical encoding of a ristretto255 element other than the
    identity, else InvalidElement. The one way an element from outside is accepted."""
    if not isinstance(element, bytes) or len(element) != ELEMENT_SIZE:
        raise InvalidElement("a ristretto255 element is 32 bytes")
    if not _canonical_nonnegative(element) or not pysodium.crypto_core_ristretto255_is_valid_point(element):
        raise InvalidElement("not the canonical encoding of a ristretto255 element")
    if element == bytes(ELEMENT_SIZE):  # the identity's only canonical encoding
        raise InvalidElement("the identity element is not allowed here")
    return element


def random_scalar() -> bytes:
    return scalar_from_int(1 + secrets.randbelow(_ORDER - 1))


def _mul(scalar: bytes, element: bytes) -> bytes:
    return bytes(pysodium.crypto_scalarmult_ristretto255(scalar, element))


def _base(scalar: bytes) -> bytes:
    return bytes(pysodium.crypto_scalarmult_ristretto255_base(scalar))


def _add(first: bytes, second: bytes) -> bytes:
    return bytes(pysodium.crypto_core_ristretto255_add(first, second))


def _invert(scalar: bytes) -> bytes:
    return scalar_from_int(pow(scalar_to_int(scalar), -1, _ORDER))


# ---- keys --------------------------------------------------------------------------


def derive_key_pair(seed: bytes, info: bytes, mode: int) -> tuple[bytes, bytes]:
    """DeriveKeyPair (RFC 9497 section 3.2.1): (secret scalar, public element)."""
    if len(seed) != 32:
        raise MalformedInput("the seed is 32 bytes")
    derive_input = seed + _i2osp(len(info), 2) + info
    dst = b"DeriveKeyPair" + _context(mode)
    for counter in range(256):
        secret = hash_to_scalar(derive_input + _i2osp(counter, 1), mode, dst)
        if scalar_to_int(secret) != 0:
            return secret, _base(secret)
    raise InvalidInput("could not derive a key pair from this seed")


def public_key(secret: bytes) -> bytes:
    return _base(check_scalar(secret))


# ---- the protocol ------------------------------------------------------------------


def blind(input: bytes, mode: int, blind: bytes | None = None) -> tuple[bytes, bytes]:  # noqa: A002 - the RFC's names
    """(blind, blinded element). A given ``blind`` replaces the random one (for vectors)."""
    _context(mode)
    chosen = check_scalar(blind) if blind is not None else random_scalar()
    try:
        element = hash_to_group(input, mode)
        check_element(element)
    except MalformedInput as error:
        raise InvalidInput("this input maps to the identity element") from error
    return chosen, _mul(chosen, element)


def _tweak(secret: bytes, info: bytes, mode: int) -> bytes:
    framed = b"Info" + _i2osp(len(info), 2) + info
    tweaked = (scalar_to_int(secret) + scalar_to_int(hash_to_scalar(framed, mode))) % _ORDER
    if tweaked == 0:
        raise InvalidInput("this info cannot be used with this key")
    return scalar_from_int(tweaked)


def tweaked_public_key(public: bytes, info: bytes) -> bytes:
    framed = b"Info" + _i2osp(len(info), 2) + info
    return _add(_base(hash_to_scalar(framed, POPRF)), check_element(public))


def blind_evaluate(
    secret: bytes,
    blinded_element: bytes,
    mode: int,
    *,
    info: bytes = b"",
    proof_randomness: bytes | None = None,
) -> bytes | tuple[bytes, bytes]:
    """OPRF: the evaluated element. VOPRF and POPRF: (evaluated element, proof)."""
    elements, proof = blind_evaluate_batch(
        secret, [blinded_element], mode, info=info, proof_randomness=proof_randomness
    )
    return elements[0] if mode == OPRF else (elements[0], proof)


def blind_evaluate_batch(
    secret: bytes,
    blinded_elements: Sequence[bytes],
    mode: int,
    *,
    info: bytes = b"",
    proof_randomness: bytes | None = None,
) -> tuple[list[bytes], bytes]:
    """Evaluate a batch with one proof (empty for OPRF)."""
    check_scalar(secret)
    blinded = [check_element(element) for element in blinded_elements]
    if not blinded:
        raise MalformedInput("nothing to evaluate")
    if mode == POPRF:
        tweaked = _tweak(secret, info, mode)
        evaluated = [_mul(_invert(tweaked), element) for element in blinded]
        proof = generate_proof(tweaked, _base(tweaked), evaluated, blinded, mode, randomness=proof_randomness)
        return evaluated, proof
    evaluated = [_mul(secret, element) for element in blinded]
    if mode == OPRF:
        return evaluated, b""
    return evaluated, generate_proof(secret, _base(secret), blinded, evaluated, mode, randomness=proof_randomness)


def finalize(
    input: bytes,  # noqa: A002 - the RFC's names
    blind: bytes,
    evaluated_element: bytes,
    mode: int,
    *,
    blinded_element: bytes | None = None,
    proof: bytes | None = None,
    public: bytes | None = None,
    info: bytes = b"",
) -> bytes:
    """The PRF output. VOPRF/POPRF first verify ``proof`` against ``public`` (raise VerifyError).

    The elements are decoded first, so a malformed one raises InvalidElement, not VerifyError."""
    check_element(evaluated_element)
    if mode != OPRF:
        if blinded_element is None or proof is None or public is None:
            raise MalformedInput("verifiable modes need the blinded element, the proof and the public key")
        check_element(blinded_element)
        check_element(public)
        if mode == VOPRF:
            ok = verify_proof(public, [blinded_element], [evaluated_element], proof, mode)
        else:
            ok = verify_proof(tweaked_public_key(public, info), [evaluated_element], [blinded_element], proof, mode)
        if not ok:
            raise VerifyError("the server's proof does not match its published key")
    unblinded = _mul(_invert(check_scalar(blind)), check_element(evaluated_element))
    return _output(input, unblinded, mode, info)


def _output(input: bytes, element: bytes, mode: int, info: bytes) -> bytes:  # noqa: A002
    """The Finalize hash over the input (and, for POPRF, the info) and the unblinded element."""
    transcript = _i2osp(len(input), 2) + input
    if mode == POPRF:
        transcript += _i2osp(len(info), 2) + info
    transcript += _i2osp(len(element), 2) + element + b"Finalize"
    return hashlib.sha512(transcript).digest()


def evaluate(secret: bytes, input: bytes, mode: int, *, info: bytes = b"") -> bytes:  # noqa: A002
    """The PRF computed directly by the key holder (RFC 9497 Evaluate), for checks."""
    element = hash_to_group(input, mode)
    check_element(element)
    key = _tweak(secret, info, mode) if mode == POPRF else check_scalar(secret)
    issued = _mul(_invert(key), element) if mode == POPRF else _mul(key, element)
    return _output(input, issued, mode, info)


# ---- proofs (RFC 9497 section 2.2) -------------------------------------------------


def _composites(
    public: bytes, c: Sequence[bytes], d: Sequence[bytes], mode: int, secret: bytes | None
) -> tuple[bytes, bytes]:
    serialized_public = check_element(public)
    seed_dst = b"Seed-" + _context(mode)
    seed = hashlib.sha512(
        _i2osp(len(serialized_public), 2) + serialized_public + _i2osp(len(seed_dst), 2) + seed_dst
    ).digest()
    m: bytes | None = None
    z: bytes | None = None  # only the verifier sums the D side; the prover computes k*M
    for i, (ci, di) in enumerate(zip(c, d, strict=True)):
        transcript = (
            _i2osp(len(seed), 2)
            + seed
            + _i2osp(i, 2)
            + _i2osp(len(ci), 2)
            + ci
            + _i2osp(len(di), 2)
            + di
            + b"Composite"
        )
        weight = hash_to_scalar(transcript, mode)
        m = _mul(weight, ci) if m is None else _add(m, _mul(weight, ci))
        if secret is None:
            z = _mul(weight, di) if z is None else _add(z, _mul(weight, di))
    if m is None:
        raise MalformedInput("no elements")
    if secret is not None:
        return m, _mul(secret, m)
    assert z is not None  # noqa: S101 - summed alongside m above
    return m, z


def _challenge(elements: Sequence[bytes], mode: int) -> bytes:
    transcript = b"".join(_i2osp(len(element), 2) + element for element in elements) + b"Challenge"
    return hash_to_scalar(transcript, mode)


def generate_proof(
    secret: bytes,
    public: bytes,
    c: Sequence[bytes],
    d: Sequence[bytes],
    mode: int,
    *,
    randomness: bytes | None = None,
) -> bytes:
    """A proof that log_G(public) == log_C(D) for every pair, batched."""
    m, z = _composites(public, c, d, mode, secret)
    r = check_scalar(randomness) if randomness is not None else random_scalar()
    t2, t3 = _base(r), _mul(r, m)
    challenge = _challenge([public, m, z, t2, t3], mode)
    response = (scalar_to_int(r) - scalar_to_int(challenge) * scalar_to_int(secret)) % _ORDER
    return challenge + scalar_from_int(response)


def verify_proof(public: bytes, c: Sequence[bytes], d: Sequence[bytes], proof: bytes, mode: int) -> bool:
    """False also when any element is not canonical (check_element): a proof is only ever
    over the one encoding of each element."""
    if len(proof) != PROOF_SIZE:
        return False
    try:
        challenge = check_scalar(proof[:SCALAR_SIZE], nonzero=False)
        response = check_scalar(proof[SCALAR_SIZE:], nonzero=False)
        for element in (*c, *d):
            check_element(element)
        m, z = _composites(public, c, d, mode, None)
        t2 = _add(_base(response), _mul(challenge, public))
        t3 = _add(_mul(response, m), _mul(challenge, z))
    except (MalformedInput, ValueError):
        # libsodium refuses a zero scalar or an identity result; an honest proof meets
        # neither except with negligible probability.
        return False
    return secrets.compare_digest(_challenge([public, m, z, t2, t3], mode), challenge)
