"""Keeping the vault key between requests.

The session (in the database) holds the vault key sealed under a random key that
lives only in the member's HttpOnly cookie. A database dump has the sealed copy
without the cookie; a stolen cookie has the key without the sealed copy.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from chorus.crypto import envelope
from chorus.crypto.errors import CryptoError

_SESSION_FIELD = "chorus_vault"
_PENDING_FIELD = "chorus_pending_vault"
_ANONYMOUS_FIELD = "chorus_receipt_vault"
_ANONYMOUS_PREFIX = "anonymous:"


def _context(member_id: str, purpose: str) -> str:
    return f"session-{purpose}:{member_id}"


def _stash(request: HttpRequest, field: str, member_id: str, vault_key: bytes) -> None:
    cookie_key = envelope.random_key()
    sealed = envelope.seal(cookie_key, vault_key, context=_context(member_id, field))
    request.session[field] = {"member": member_id, "sealed": base64.b64encode(sealed).decode()}
    request.chorus_vault_cookie = base64.urlsafe_b64encode(cookie_key).decode()  # type: ignore[attr-defined]


def _unstash(request: HttpRequest, field: str, member_id: str) -> bytes | None:
    stored = request.session.get(field)
    cookie = getattr(request, "chorus_vault_cookie", None) or request.COOKIES.get(settings.CHORUS_VAULT_COOKIE_NAME)
    if not isinstance(stored, dict) or stored.get("member") != member_id or not cookie:
        return None
    try:
        cookie_key = base64.urlsafe_b64decode(cookie)
        sealed = base64.b64decode(stored["sealed"])
        return envelope.open_sealed(cookie_key, sealed, context=_context(member_id, field))
    except (binascii.Error, ValueError, KeyError, CryptoError):
        return None


def vault_open(request: HttpRequest, member_id: str, vault_key: bytes) -> None:
    """Keep the vault key for a signed-in member (call after ``login``)."""
    request.session.pop(_PENDING_FIELD, None)
    _stash(request, _SESSION_FIELD, member_id, vault_key)


def vault_key(request: HttpRequest) -> bytes | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return _unstash(request, _SESSION_FIELD, str(user.pk))


def pending_open(request: HttpRequest, member_id: str, vault_key: bytes) -> None:
    """Hold the vault key between the password step and the two-factor step."""
    _stash(request, _PENDING_FIELD, member_id, vault_key)


def pending_key(request: HttpRequest, member_id: str) -> bytes | None:
    return _unstash(request, _PENDING_FIELD, member_id)


def anonymous_open(request: HttpRequest, organization_id: str, vault_key: bytes) -> None:
    """Keep the vault key an anonymous reporter's receipt opened (no account, no login)."""
    request.session.cycle_key()
    _stash(request, _ANONYMOUS_FIELD, _ANONYMOUS_PREFIX + organization_id, vault_key)


def anonymous_key(request: HttpRequest) -> tuple[str, bytes] | None:
    """(organization id, vault key) for an anonymous reporter's session, if one is open."""
    owner = anonymous_organization(request)
    if owner is None:
        return None
    key = _unstash(request, _ANONYMOUS_FIELD, _ANONYMOUS_PREFIX + owner)
    return (owner, key) if key is not None else None


def anonymous_organization(request: HttpRequest) -> str | None:
    """The organization an anonymous reporter's session is for, without opening the vault."""
    stored = request.session.get(_ANONYMOUS_FIELD)
    owner = stored.get("member") if isinstance(stored, dict) else None
    if not isinstance(owner, str) or not owner.startswith(_ANONYMOUS_PREFIX):
        return None
    return owner.removeprefix(_ANONYMOUS_PREFIX)


def vault_close(request: HttpRequest) -> None:
    request.session.pop(_SESSION_FIELD, None)
    request.session.pop(_PENDING_FIELD, None)
    request.session.pop(_ANONYMOUS_FIELD, None)
    request.chorus_vault_cookie = ""  # type: ignore[attr-defined]


def apply_cookie(request: HttpRequest, response: HttpResponse) -> None:
    value = getattr(request, "chorus_vault_cookie", None)
    if value is None:
        return
    name = settings.CHORUS_VAULT_COOKIE_NAME
    if value == "":
        response.delete_cookie(name, path="/", samesite="Strict")
        return
    response.set_cookie(
        name,
        value,
        httponly=True,
        secure=settings.CHORUS_HTTPS,
        samesite="Strict",
        path="/",
    )
