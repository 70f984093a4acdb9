"""Sessions that end when idle without a database write on every request.

Django's ``SESSION_SAVE_EVERY_REQUEST`` pushes the expiry forward by writing the session
row on each request: one UPDATE and one commit per page, autosave included, and every
concurrent request of a member rewriting the same row. Here the row is written when its
data changed, or when the expiry it holds is more than ``REFRESH_SECONDS`` (or a tenth of
the idle limit, if less) behind where a write now would put it. A session therefore still
ends ``CHORUS_SESSION_IDLE_MINUTES`` after the last request at the latest (up to that much
sooner, never later), and signing out, suspension and removal still end it at once by
deleting the row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

REFRESH_SECONDS = 60


class SessionStore(DatabaseSessionStore):
    """Django's database sessions, remembering the expiry the row held when it was read."""

    loaded_expiry: datetime | None = None

    def load(self) -> dict[str, Any]:
        row = self._get_session_from_db()  # type: ignore[attr-defined]  # Django's, untyped in the stubs
        if row is None:
            return {}
        self.loaded_expiry = row.expire_date
        data: dict[str, Any] = self.decode(row.session_data)
        return data

    def refresh_due(self) -> bool:
        """Whether the stored expiry has fallen far enough behind to be written again."""
        if self.loaded_expiry is None:
            return False
        # At most a tenth of the idle limit, so a short limit (a minute) still slides.
        lag = min(REFRESH_SECONDS, settings.SESSION_COOKIE_AGE // 10)
        due = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - lag)
        return self.loaded_expiry < due


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, saving a session that was only read when its idle
    expiry needs moving forward (see the module's docstring)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if isinstance(session, SessionStore) and session.accessed and not session.modified and session.refresh_due():
            session.modified = True
        result: HttpResponse = super().process_response(request, response)
        return result
