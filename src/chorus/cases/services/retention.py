"""Retention: a case's content is kept for a set period after it ends (by default seven
years for a formal outcome), then destroyed — unless a legal hold is in place. Destroying
deletes every sealed text and every key (the case row, its states, dates and findings
stay, holding no content), and the ledger keeps that it was done."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chorus.cases.machine import ENDED
from chorus.cases.models import Case, Item, ItemShare, Party, RepairRequest
from chorus.cases.services.core import log
from chorus.retention.services.policy import organizations_on_hold
from chorus.web import tasks


def retention_days(case: Case) -> int:
    days: int = (
        settings.CHORUS_RETENTION_FORMAL_DAYS if case.pathway == "formal" else settings.CHORUS_RETENTION_OTHER_DAYS
    )
    return days


def retention_due(case: Case) -> datetime | None:
    if case.closed_at is None:
        return None
    return case.closed_at + timedelta(days=retention_days(case))


def case_destroy(case: Case) -> None:
    with transaction.atomic():
        Item.objects.filter(case=case).update(body_sealed=None)
        ItemShare.objects.filter(item__case=case).update(body_sealed=None)
        Party.objects.filter(case=case).update(keys_sealed=None, invite_sealed=None, invite_hash=None)
        RepairRequest.objects.filter(case=case).update(
            body_sealed=b"", note_sealed=None, key_for_case=b"", key_for_team=None, key_for_her=None, her_tag=None
        )
        Case.objects.filter(pk=case.pk).update(destroyed_at=timezone.now(), keys_for_team=b"", keys_for_group=None)
        log(None, case, "destroyed", why="retention period ended")


def retention_sweep(*, now: datetime | None = None) -> int:
    """Destroy the content of every ended case past its period and not on hold."""
    now = now or timezone.now()
    destroyed = 0
    ended = Case.objects.filter(state__in=ENDED, destroyed_at__isnull=True, legal_hold=False, closed_at__isnull=False)
    ended = ended.exclude(organization_id__in=organizations_on_hold())  # the organization's legal hold
    for case in ended:
        due = retention_due(case)
        if due is not None and due <= now:
            case_destroy(case)
            destroyed += 1
    return destroyed


tasks.periodic(retention_sweep)
