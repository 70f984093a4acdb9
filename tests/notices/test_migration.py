"""Upgrading keeps the notices already waiting, without the member id or the event they came from."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chorus.notices.models import PendingNotice
from chorus.notices.services import notices_flush, recipient_open, recipient_tag
from tests.helpers import migrated_to, migrated_to_latest
from tests.personas import Personas

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ledger_flushable")]


def test_notices_waiting_at_the_upgrade_are_still_sent_once_per_person(personas: Personas) -> None:
    before, after = [("notices", "0001_initial")], [("notices", "0002_pending_notice_names_nobody")]
    old = migrated_to(before).get_model("notices", "PendingNotice")
    at = timezone.now().replace(minute=17)
    for seq, kind in enumerate(("step", "step", "reply")):
        old.objects.create(member_id=personas.survivor.pk, kind=kind, created_at=at, source=f"org:x#{seq}")
    migrated_to(after)
    migrated_to_latest()

    rows = list(PendingNotice.objects.order_by("kind"))
    assert [row.kind for row in rows] == ["reply", "step"]
    for row in rows:
        assert bytes(row.recipient) == recipient_tag(personas.survivor.pk)
        assert recipient_open(bytes(row.recipient), row.recipient_sealed) == str(personas.survivor.pk)
        assert row.created_at == at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert notices_flush(now=at + timedelta(hours=1)) == 1
