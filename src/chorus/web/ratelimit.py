"""Database-backed failure counting and lockout, safe across several app processes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from chorus.web.models import RateLimit


def key_for(scope: str, subject: str) -> str:
    """The row's key: an HMAC, so no address or id is stored."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{scope}\x00{subject}".encode(), hashlib.sha256).hexdigest()


def locked_until(scope: str, subject: str) -> datetime | None:
    row = RateLimit.objects.filter(key=key_for(scope, subject)).first()
    if row is not None and row.locked_until is not None and row.locked_until > timezone.now():
        return row.locked_until
    return None


def record_failure(scope: str, subject: str, *, limit: int, window: timedelta) -> bool:
    """Count one failure; True when this failure is the one that locks the subject."""
    key = key_for(scope, subject)
    now = timezone.now()
    # No savepoint inside a caller's transaction: a database error here fails the caller's
    # work too, so a savepoint would cost two round trips and protect nothing.
    with transaction.atomic(savepoint=False):
        # An UPDATE with F() is atomic in both databases, so two processes counting at
        # once never lose a failure.
        counted = RateLimit.objects.filter(key=key, window_started_at__gt=now - window).update(
            failures=F("failures") + 1
        )
        if not counted:
            RateLimit.objects.update_or_create(
                key=key, defaults={"failures": 1, "window_started_at": now, "locked_until": None}
            )
        newly_locked = RateLimit.objects.filter(key=key, failures__gte=limit, locked_until__isnull=True).update(
            locked_until=now + window
        )
    return bool(newly_locked)


def clear(scope: str, subject: str) -> None:
    RateLimit.objects.filter(key=key_for(scope, subject)).delete()


def consume(scope: str, subject: str, *, count: int, limit: int, window: timedelta) -> bool:
    """Take ``count`` uses from the subject's allowance in this window; False (and take none) if over.
    A window's start is kept to the minute, so a logical dump does not give the exact time
    of what was counted (an escrow entry's); a window may so end up to a minute early."""
    if window < timedelta(minutes=1) or window % timedelta(minutes=1):
        raise ValueError("a rate limit's window is whole minutes: its start is kept to the minute")
    key = key_for(scope, subject)
    now = timezone.now()
    if connection.vendor == "postgresql":  # the same steps in one call (CONSUME_FUNCTION)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ratelimit_consume(%s, %s, %s, make_interval(secs => %s), %s)",
                [key, count, limit, window.total_seconds(), now],
            )
            return bool(cursor.fetchone()[0])
    start = now.replace(second=0, microsecond=0)
    with transaction.atomic(savepoint=False):  # as in record_failure
        # The usual case is one conditional UPDATE; a new or expired window starts afresh.
        taken = RateLimit.objects.filter(
            key=key, window_started_at__gt=now - window, failures__lte=limit - count
        ).update(failures=F("failures") + count)
        if taken:
            return True
        RateLimit.objects.bulk_create([RateLimit(key=key, failures=0, window_started_at=start)], ignore_conflicts=True)
        row = RateLimit.objects.select_for_update().get(key=key)
        if row.window_started_at <= now - window:
            row.failures, row.window_started_at = 0, start
        if row.failures + count > limit:
            return False
        row.failures += count
        row.save(update_fields=["failures", "window_started_at"])
    return True


# ``consume`` on PostgreSQL (installed by migration web 0003): the steps above, in one round
# trip, so a caller's transaction (an escrow entry's) can take its count in the same call as
# the rest of its work (``escrow/filing.py``). tests/escrow/test_filing.py runs both.
CONSUME_FUNCTION = """
CREATE OR REPLACE FUNCTION ratelimit_consume(
    p_key text, p_count int, p_limit int, p_window interval, p_now timestamptz
) RETURNS boolean AS $$
DECLARE
    v_failures bigint;
    v_started timestamptz;
BEGIN
    UPDATE web_ratelimit SET failures = failures + p_count
        WHERE key = p_key AND window_started_at > p_now - p_window AND failures <= p_limit - p_count;
    IF FOUND THEN
        RETURN true;
    END IF;
    INSERT INTO web_ratelimit (key, failures, window_started_at)
        VALUES (p_key, 0, date_trunc('minute', p_now, 'UTC')) ON CONFLICT DO NOTHING;
    SELECT failures, window_started_at INTO v_failures, v_started FROM web_ratelimit WHERE key = p_key FOR UPDATE;
    IF v_started <= p_now - p_window THEN
        v_failures := 0;
        v_started := date_trunc('minute', p_now, 'UTC');
    END IF;
    IF v_failures + p_count > p_limit THEN
        RETURN false;
    END IF;
    UPDATE web_ratelimit SET failures = v_failures + p_count, window_started_at = v_started WHERE key = p_key;
    RETURN true;
END;
$$ LANGUAGE plpgsql
"""
DROP_CONSUME_FUNCTION = "DROP FUNCTION IF EXISTS ratelimit_consume(text, int, int, interval, timestamptz)"
