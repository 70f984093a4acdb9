"""Where a page's one-time messages ("Your entry is saved") wait for the next page: in a
cookie sealed with a key only the server holds.

Django's session storage kept them in the session row: one more database write (and commit)
for every step that says what it did, and one more when the next page read and cleared
them; and until then their text sat in the database, readable in a dump. Django's own
cookie storage signs its cookie but does not encrypt it. Here the cookie holds the messages
sealed (XChaCha20-Poly1305) under a key derived from the server's secret key, for this use
only: the browser carries bytes nobody else can read or forge, and the database never holds
them. The cookie takes the session cookie's flags (``HttpOnly``, ``SameSite=Strict``,
``Secure`` over HTTPS) and is deleted when the messages are shown.

The seal is bound to whom the messages are for: the signed-in member (by id), or nobody
signed in. A message still waiting when its member signs out, leaves by the quick exit or
is signed out when idle no longer opens, so whoever picks the device up next never sees it
(it is dropped and its cookie deleted); nor does a cookie copied into another member's
browser. A message written for someone signed out ("You are signed out") opens for the
next page as before.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage, MessagePartGatherSerializer, MessageSerializer

from chorus.accounts.keyring import server_key
from chorus.crypto import envelope
from chorus.crypto.errors import CryptoError


class SealedCookieStorage(CookieStorage):
    """Django's cookie storage (size limits, the not-finished marker, the cookie's flags),
    with the messages sealed instead of signed."""

    # Room for a few messages that name a file (a long name in a non-Latin script is many
    # times its length once escaped), well under the 4,096 bytes browsers keep per cookie.
    max_cookie_size = 3500

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cookie_name = settings.CHORUS_MESSAGES_COOKIE_NAME

    def _context(self) -> str:
        """Read when the messages are sealed (after the view, so after signing in or out)
        and when they are opened (after the member is known)."""
        user = getattr(self.request, "user", None)
        member_id = getattr(user, "pk", None) if user is not None and user.is_authenticated else None
        return f"chorus.messages:{member_id or 'signed-out'}"

    def _encode_parts(self, messages: list[str], encode_empty: bool = False) -> str | None:
        if not messages and not encode_empty:
            return None
        plain = MessagePartGatherSerializer().dumps(messages)
        sealed = envelope.seal(_key(), plain, context=self._context())
        return base64.urlsafe_b64encode(sealed).decode("ascii")

    def _decode(self, data: str | None) -> Any:
        if not data:
            return None
        try:
            plain = envelope.open_sealed(_key(), base64.urlsafe_b64decode(data), context=self._context())
            return MessageSerializer().loads(plain)
        except (CryptoError, binascii.Error, ValueError, json.JSONDecodeError):
            pass
        self.used = True  # a cookie that does not open is dropped, as Django drops a bad signature
        return None


def _key() -> bytes:
    # Read when used, not at import: the secret key is the running server's.
    return server_key(b"chorus.messages")
