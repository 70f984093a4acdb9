"""The two-hop OPRF (DESIGN.md "Matching escrow", step 2): whole on the server
(``outputs``), or the two holders' hops for a browser that blinds and finalizes itself
(``for_browser``).

Client, platform and custodian in turn: the input is hashed to the group and blinded
with a random r; the platform multiplies by its share k1; the custodian by its share
k2, proving (VOPRF) that it used its published key; unblinding gives k1·k2·H(x) and
the RFC 9497 Finalize hash gives y. Here the platform is the client too, so it folds
its share into the blind (one multiplication by r·k1 instead of two); the custodian
still only ever sees a fresh random-looking element. Neither holder alone can compute
y for a guessed identifier. A custodian in this process (the embedded default) skips the
proof: it would only prove to this process what this process computed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.crypto import oprf, threshold
from chorus.escrow import holders
from chorus.escrow.holders import CustodianUnavailable, RateLimited
from chorus.web import ratelimit

SCOPE = "escrow-evaluations"
WINDOW = timedelta(hours=1)  # of the platform's count per member (CHORUS_ESCROW_EVALUATIONS_PER_HOUR)
MODE = oprf.VOPRF  # each holder can prove its evaluations; inputs hash to the group in this mode


def take(member: Member, count: int) -> None:
    """Count ``count`` evaluations against the member's hourly limit, or raise RateLimited.
    The server construction calls it inside the transaction that saves the entry (its
    outputs never leave this process, so an evaluation whose entry is not saved reveals
    nothing); a browser's evaluations are counted before it gets any answer."""
    if not 1 <= count <= holders.MAX_BATCH:
        raise ValueError(f"1 to {holders.MAX_BATCH} identifiers at a time")
    if not ratelimit.consume(
        SCOPE, str(member.pk), count=count, limit=settings.CHORUS_ESCROW_EVALUATIONS_PER_HOUR, window=WINDOW
    ):
        raise over_the_count()


def over_the_count() -> RateLimited:
    """The platform's refusal when a member's evaluations this hour would pass its count
    (here, or in the filing function on PostgreSQL: ``filing.py``)."""
    return RateLimited(member_limit(), int(WINDOW.total_seconds()))


def member_limit() -> str:
    return _("You have named many identifiers this hour. Please try again later.")


def outputs(identifiers: Sequence[str], *, member: Member) -> list[bytes]:
    """y for each canonical identifier; raises RateLimited (the custodian's limit) or
    CustodianUnavailable. The platform's own count is the caller's: ``take``."""
    return two_hop([identifier.encode() for identifier in identifiers], requester=holders.requester_for(member.pk))


@dataclass(frozen=True)
class Evaluated:
    """Both holders' answers to a browser's blinded elements, each with its VOPRF proof."""

    by_platform: list[bytes]
    platform_proof: bytes
    by_custodian: list[bytes]
    custodian_proof: bytes


def for_browser(blinded: Sequence[bytes], *, member: Member) -> Evaluated:
    """The platform's hop, then the custodian's, on elements the browser blinded: this
    process sees only random-looking group elements, never an identifier or an output.
    Counted against the member's hourly limit like the server construction."""
    take(member, len(blinded))
    secret, _public = holders.platform_key()
    by_platform, platform_proof = oprf.blind_evaluate_batch(secret, blinded, MODE)
    by_custodian, custodian_proof = holders.custodian().evaluate(
        holders.requester_for(member.pk), by_platform, prove=True
    )
    return Evaluated(by_platform, platform_proof, by_custodian, custodian_proof)


def two_hop(inputs: Sequence[bytes], *, requester: str) -> list[bytes]:
    custodian = holders.custodian()
    if not custodian.remote:
        return _two_hop_in_process(inputs, requester=requester, custodian=custodian)
    secret, _public = holders.platform_key()
    k1 = oprf.scalar_to_int(secret)
    blinds, by_platform = [], []
    for data in inputs:
        r = oprf.random_scalar()
        folded = oprf.scalar_from_int(oprf.scalar_to_int(r) * k1 % threshold.ORDER)
        blinds.append(r)
        by_platform.append(oprf.blind(data, MODE, blind=folded)[1])  # = k1 · (r · H(x))
    by_custodian, proof = custodian.evaluate(requester, by_platform)
    if custodian.remote and not oprf.verify_proof(custodian.public_key(), by_platform, by_custodian, proof, MODE):
        raise CustodianUnavailable("the custodian's proof does not match its public key")
    # Finalize's hash is the same in OPRF and VOPRF mode; the proof (if any) is checked above.
    return [
        oprf.finalize(data, blind, element, oprf.OPRF)
        for data, blind, element in zip(inputs, blinds, by_custodian, strict=True)
    ]


@functools.lru_cache(maxsize=1)
def _inverse(secret: bytes) -> bytes:
    return oprf.scalar_from_int(pow(oprf.scalar_to_int(secret), -1, threshold.ORDER))


def _two_hop_in_process(inputs: Sequence[bytes], *, requester: str, custodian: holders.CustodianClient) -> list[bytes]:
    """The same y with the custodian in this process (the embedded default), whose key
    share sits beside the platform's: blinding would hide nothing from it. It gets H(x)
    (and counts the evaluations against its limits as ever); the platform's share is
    applied at Finalize, as the "blind" 1/k1. Two scalar multiplications per identifier
    instead of three (tests/escrow/test_custodian.py checks both ways agree)."""
    try:
        by_custodian, _proof = custodian.evaluate(requester, [oprf.hash_to_group(data, MODE) for data in inputs])
    except RateLimited as refused:
        # Its limit per member is the platform's (CHORUS_ESCROW_EVALUATIONS_PER_HOUR), and the
        # platform counts a server-made entry only when saving it: say it the platform's way.
        message = _("Too many identifiers were named this hour. Please try again later.")
        raise RateLimited(message if refused.total else member_limit(), refused.retry_after) from refused
    k1_inverse = _inverse(holders.platform_key()[0])
    return [
        oprf.finalize(data, k1_inverse, element, oprf.OPRF) for data, element in zip(inputs, by_custodian, strict=True)
    ]
