"""The two holders of the escrow's OPRF key, as the platform reaches them; the custodian
is also the witness of the ledger's tree heads (``custodian/witness.py``).

The platform's share lives in its own key file. The custodian is reached over HTTP
(``CHORUS_CUSTODIAN_URL``) or, for the embedded default, run in this process with its
own key file and counters — the same code either way (``chorus.custodian``).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import functools
import hashlib
import hmac
import json
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from chorus.crypto import oprf
from chorus.crypto.errors import MalformedInput
from chorus.crypto.tree_head import TreeHead
from chorus.custodian.service import MAX_BATCH, Custodian, RateLimited, load_key
from chorus.custodian.witness import Cosignature, Witness, WitnessRefused
from chorus.custodian.wsgi import b64, unb64

PLATFORM_KEY_INFO = b"chorus platform"
TIMEOUT_SECONDS = 10

__all__ = [
    "MAX_BATCH",
    "CustodianUnavailable",
    "RateLimited",
    "WitnessRefused",
    "custodian",
    "platform_key",
    "requester_for",
]


class CustodianUnavailable(Exception):
    """The custodian did not answer, or answered with something unusable."""


class CustodianClient(Protocol):
    remote: bool  # a remote custodian proves each evaluation; one in this process cannot mean to deceive it

    def public_key(self) -> bytes: ...

    def evaluate(self, requester: str, blinded: Sequence[bytes], *, prove: bool = False) -> tuple[list[bytes], bytes]:
        """k2 · each element, and (from a remote custodian always, else if ``prove``) the proof."""
        ...

    def witness_key(self) -> bytes:
        """The key tree heads must be countersigned with: pinned, or the in-process witness's."""
        ...

    def witness_cosign(
        self, head: TreeHead, *, log_key: bytes, signature: bytes, old_size: int, proof: Sequence[bytes]
    ) -> Cosignature:
        """The witness's cosignature, or WitnessRefused (with the witness's last size), or
        CustodianUnavailable."""
        ...

    def witness_heads(self) -> dict[str, tuple[int, bytes, bytes]]:
        """What the witness countersigned last, per log origin: (size, root, log key) (public)."""
        ...


@functools.cache
def platform_key() -> tuple[bytes, bytes]:
    """(secret, public) of the platform's share."""
    return load_key(settings.CHORUS_ESCROW_KEY_PATH, info=PLATFORM_KEY_INFO)


def requester_for(member_id: object) -> str:
    """The pseudonym under which the custodian counts one member's evaluations."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"custodian\x00{member_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


class LocalCustodian:
    remote = False

    def __init__(self, custodian: Custodian, witness: Witness) -> None:
        self._custodian = custodian
        self._witness = witness

    def witness_key(self) -> bytes:
        return self._witness.public_key

    def witness_cosign(
        self, head: TreeHead, *, log_key: bytes, signature: bytes, old_size: int, proof: Sequence[bytes]
    ) -> Cosignature:
        return self._witness.cosign(head, log_key=log_key, signature=signature, old_size=old_size, proof=proof)

    def witness_heads(self) -> dict[str, tuple[int, bytes, bytes]]:
        return self._witness.heads()

    def public_key(self) -> bytes:
        return self._custodian.public_key

    def evaluate(self, requester: str, blinded: Sequence[bytes], *, prove: bool = False) -> tuple[list[bytes], bytes]:
        # Proving to this process what this process computed proves nothing; a browser,
        # which checks each holder against its published key, does ask for the proof.
        return self._custodian.evaluate(requester, blinded, prove=prove)


class RemoteCustodian:
    remote = True

    def __init__(self, url: str, token: str, pinned_key: str, witness_key: str = "") -> None:
        self.url = url
        self._token = token
        self._pinned = base64.b64decode(pinned_key) if pinned_key else None
        self._witness_pinned = bytes.fromhex(witness_key) if witness_key else None

    def witness_key(self) -> bytes:
        if self._witness_pinned is None:
            raise CustodianUnavailable("set CHORUS_WITNESS_PUBLIC_KEY to the witness key the custodian printed")
        return self._witness_pinned

    def witness_cosign(
        self, head: TreeHead, *, log_key: bytes, signature: bytes, old_size: int, proof: Sequence[bytes]
    ) -> Cosignature:
        body = {
            "head": head.message().decode("ascii"),
            "log_key": log_key.hex(),
            "signature": signature.hex(),
            "old_size": old_size,
            "proof": [b64(node) for node in proof],
        }
        answer = self._call("/v1/witness", body)
        try:
            cosignature = Cosignature(
                witness_key=bytes.fromhex(str(answer["witness_key"])),
                timestamp=int(answer["timestamp"]),  # type: ignore[call-overload]
                signature=bytes.fromhex(str(answer["cosignature"])),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CustodianUnavailable("the witness's answer is not understood") from error
        return cosignature

    def witness_heads(self) -> dict[str, tuple[int, bytes, bytes]]:
        answer = self._call("/v1/witness/heads")
        try:
            return {
                str(head["origin"]): (int(head["size"]), unb64(head["root"]), bytes.fromhex(head["log_key"]))
                for head in answer["heads"]  # type: ignore[attr-defined]
            }
        except (KeyError, TypeError, ValueError, MalformedInput) as error:
            raise CustodianUnavailable("the witness's answer is not understood") from error

    def _call(self, path: str, body: object | None = None) -> dict[str, object]:
        request = urllib.request.Request(self.url + path, method="GET" if body is None else "POST")  # noqa: S310 - configured http(s) URL
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        if self._token:
            request.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, data=data, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:  # its connection is closed, whatever is raised next
                _refused(error, path)
            raise CustodianUnavailable(f"the custodian refused the request ({error.code})") from error
        except (OSError, ValueError) as error:
            raise CustodianUnavailable("the custodian did not answer") from error
        if not isinstance(answer, dict):
            raise CustodianUnavailable("the custodian's answer is not understood")
        return answer

    def public_key(self) -> bytes:
        if self._pinned is None:
            return self._published_key
        try:
            return oprf.check_element(self._pinned)
        except MalformedInput as error:
            raise CustodianUnavailable("the pinned custodian key is not a ristretto255 element") from error

    @functools.cached_property
    def _published_key(self) -> bytes:
        try:
            return oprf.check_element(unb64(self._call("/v1/key").get("public_key")))
        except MalformedInput as error:
            raise CustodianUnavailable("the custodian's public key is not understood") from error

    def evaluate(self, requester: str, blinded: Sequence[bytes], *, prove: bool = True) -> tuple[list[bytes], bytes]:
        answer = self._call("/v1/evaluate", {"requester": requester, "blinded": [b64(e) for e in blinded]})
        try:
            evaluated = [oprf.check_element(unb64(e)) for e in answer["evaluated"]]  # type: ignore[attr-defined]
            proof = unb64(answer["proof"])
        except (KeyError, TypeError, MalformedInput) as error:
            raise CustodianUnavailable("the custodian's answer is not understood") from error
        if len(evaluated) != len(blinded):
            raise CustodianUnavailable("the custodian answered for a different number of elements")
        return evaluated, proof


def _refused(error: urllib.error.HTTPError, path: str) -> None:
    """Raise what an HTTP error from the custodian means; the caller raises
    CustodianUnavailable for anything else."""
    if error.code == 409 and path == "/v1/witness":
        _witness_refused(error)
    if error.code == 429:
        raise RateLimited(
            _("The custodian has reached its limit for this account this hour."),
            int(error.headers.get("Retry-After") or 3600),
        ) from error


def _witness_refused(error: urllib.error.HTTPError) -> None:
    try:
        answer = json.loads(error.read())
        size = answer.get("size")
        message = str(answer.get("error", "the witness refused the head"))
    except (OSError, ValueError, AttributeError):
        return
    raise WitnessRefused(message, size if isinstance(size, int) and not isinstance(size, bool) else None) from error


@functools.cache
def custodian() -> CustodianClient:
    if settings.CHORUS_CUSTODIAN_URL:
        return RemoteCustodian(
            settings.CHORUS_CUSTODIAN_URL,
            settings.CHORUS_CUSTODIAN_TOKEN,
            settings.CHORUS_CUSTODIAN_PUBLIC_KEY,
            settings.CHORUS_WITNESS_PUBLIC_KEY,
        )
    local = Custodian(
        key_file=settings.CHORUS_CUSTODIAN_DIR / "oprf.key",
        state_file=settings.CHORUS_CUSTODIAN_DIR / "limits.sqlite3",
        per_requester_per_hour=settings.CHORUS_ESCROW_EVALUATIONS_PER_HOUR,
        total_per_hour=settings.CHORUS_CUSTODIAN_TOTAL_PER_HOUR,
    )
    atexit.register(_close_quietly, local)
    return LocalCustodian(
        local,
        Witness(
            key_file=settings.CHORUS_CUSTODIAN_DIR / "witness.key",
            state_file=settings.CHORUS_CUSTODIAN_DIR / "witness.sqlite3",
        ),
    )


def _close_quietly(local: Custodian) -> None:
    """At exit, write the evaluation counts the in-process custodian still holds (a crash
    forgets at most ``custodian.service.UNSAVED_AT_MOST - 1``)."""
    with contextlib.suppress(sqlite3.Error, OSError):  # its folder is gone (a test's): nothing to protect
        local.close()
