from __future__ import annotations

from django.db import models


class RateLimit(models.Model):
    """Failure counts shared by every app process (the database is the only shared
    state). The key is an HMAC of what is limited, so no address is stored."""

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True)
