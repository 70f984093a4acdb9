"""Telling a database outage (restart, unreachable server, dropped connection) from a bug."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError


def database_unavailable(error: BaseException | None) -> bool:
    """The database restarted or cannot be reached, as ``error`` or anywhere in what led to
    it (Django reports a session it could not save as a bad request, for instance)."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False
