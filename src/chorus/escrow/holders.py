"""The two holders of the escrow's OPRF key, as the platform reaches them.

The platform's share lives in its own key file. The custodian is reached over HTTP
(``CHORUS_CUSTODIAN_URL``) or, for the embedded default, run in this process with its
own key file and counters — the same code either way (``chorus.custodian``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from chorus.crypto import oprf
from chorus.crypto.errors import MalformedInput
from chorus.custodian.service import MAX_BATCH, Custodian, RateLimited, load_key
from chorus.custodian.wsgi import b64, unb64

PLATFORM_KEY_INFO = b"chorus platform"
TIMEOUT_SECONDS = 10

__all__ = ["MAX_BATCH", "CustodianUnavailable", "RateLimited", "custodian", "platform_key", "requester_for"]


class CustodianUnavailable(Exception):
    """The custodian did not answer, or answered with something unusable."""


class CustodianClient(Protocol):
    remote: bool  # a remote custodian proves each evaluation; one in this process cannot mean to deceive it

    def public_key(self) -> bytes: ...

    def evaluate(self, requester: str, blinded: Sequence[bytes], *, prove: bool = False) -> tuple[list[bytes], bytes]:
        """k2 · each element, and (from a remote custodian always, else if ``prove``) the proof."""
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

    def __init__(self, custodian: Custodian) -> None:
        self._custodian = custodian

    def public_key(self) -> bytes:
        return self._custodian.public_key

    def evaluate(self, requester: str, blinded: Sequence[bytes], *, prove: bool = False) -> tuple[list[bytes], bytes]:
        # Proving to this process what this process computed proves nothing; a browser,
        # which checks each holder against its published key, does ask for the proof.
        return self._custodian.evaluate(requester, blinded, prove=prove)


class RemoteCustodian:
    remote = True

    def __init__(self, url: str, token: str, pinned_key: str) -> None:
        self.url = url
        self._token = token
        self._pinned = base64.b64decode(pinned_key) if pinned_key else None

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
            if error.code == 429:
                raise RateLimited(
                    _("The custodian has reached its limit for this account this hour."),
                    int(error.headers.get("Retry-After") or 3600),
                ) from error
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


@functools.cache
def custodian() -> CustodianClient:
    if settings.CHORUS_CUSTODIAN_URL:
        return RemoteCustodian(
            settings.CHORUS_CUSTODIAN_URL, settings.CHORUS_CUSTODIAN_TOKEN, settings.CHORUS_CUSTODIAN_PUBLIC_KEY
        )
    return LocalCustodian(
        Custodian(
            key_file=settings.CHORUS_CUSTODIAN_DIR / "oprf.key",
            state_file=settings.CHORUS_CUSTODIAN_DIR / "limits.sqlite3",
            per_requester_per_hour=settings.CHORUS_ESCROW_EVALUATIONS_PER_HOUR,
            total_per_hour=settings.CHORUS_CUSTODIAN_TOTAL_PER_HOUR,
        )
    )
