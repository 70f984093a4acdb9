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

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from chorus.web.rows import Columns

REFRESH_SECONDS = 60
# The keys Django makes (``SessionBase._get_new_session_key``): anything else in a cookie is
# nobody's session, and is not sent to the database (PostgreSQL refuses a NUL in text).
_KEY = re.compile(r"[a-z0-9]{32,40}")

_SESSION = Columns(Session, "s")
_LIVE_SESSION = (
    f"SELECT {_SESSION.sql} FROM {_SESSION.table} "  # noqa: S608  (table name from the model)
    'WHERE "s"."session_key" = %(session_key)s AND "s"."expire_date" > %(expire_date)s'
)


class SessionStore(DatabaseSessionStore):
    """Django's database sessions, remembering the expiry the row held when it was read."""

    loaded_expiry: datetime | None = None

    def _get_session_from_db(self) -> Session | None:
        """Django's, as SQL written once (``web.rows``): this runs on every request that
        carries a session cookie. An unknown or expired key is forgotten, as Django does,
        so a new session never takes a key the browser chose."""
        found = []
        if _KEY.fullmatch(self.session_key or ""):
            found = _SESSION.select(_LIVE_SESSION, session_key=self.session_key, expire_date=timezone.now())
        if not found:
            self._session_key = None
            return None
        return found[0]

    def load(self) -> dict[str, Any]:
        row = self._get_session_from_db()
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
