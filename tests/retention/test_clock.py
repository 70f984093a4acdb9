"""Opening a record starts its clock again, written at most once an hour."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from chorus.retention.models import Clock
from chorus.retention.services import clock
from chorus.retention.services.clock import record_opened
from tests.personas import Personas
from tests.records.factory import survivor_record

pytestmark = pytest.mark.django_db


def test_opened_again_within_the_hour_nothing_is_written_and_after_it_the_clock_moves(personas: Personas) -> None:
    built = survivor_record(personas)
    start = timezone.now()
    record_opened(built.owner, built.record, now=start)
    assert Clock.objects.get(record=built.record).opened_at == start
    record_opened(built.owner, built.record, now=start + timedelta(minutes=59))
    assert Clock.objects.get(record=built.record).opened_at == start
    record_opened(built.owner, built.record, now=start + timedelta(minutes=61))
    assert Clock.objects.get(record=built.record).opened_at == start + timedelta(minutes=61)
    # A clock ahead of this opening (a sweep's or a receipt's "now", another machine's clock)
    # is not "opened within the hour before": the opening is written.
    record_opened(built.owner, built.record, now=start + timedelta(minutes=30))
    assert Clock.objects.get(record=built.record).opened_at == start + timedelta(minutes=30)


def test_the_written_query_names_the_models_table_and_columns() -> None:
    names = set(re.findall(r'"([a-z_]+)"', clock._OPENED_LATELY))
    assert names == {Clock._meta.db_table, Clock._meta.get_field("record").column, "opened_at"}
    assert Clock._meta.get_field("opened_at").column == "opened_at"
