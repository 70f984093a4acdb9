"""Cases opened at the same moment get distinct, consecutive references: numbering holds the
counter row's lock until the opening transaction ends."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from chorus.cases.models import Case
from chorus.cases.services import stages
from tests.personas import make_personas

OPENINGS = 6


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ledger_flushable")
def test_cases_opened_at_once_get_distinct_consecutive_references() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    organization = make_personas().organization
    start = threading.Barrier(OPENINGS)
    failures: list[BaseException] = []

    def open_case() -> None:
        try:
            start.wait()
            with transaction.atomic():
                stages.case_create(Case(organization=organization, pathway="intake", state="intake", keys_for_team=b""))
        except BaseException as error:  # reported by the test, whatever it was
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_case) for _ in range(OPENINGS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    year = timezone.localtime(timezone.now()).year
    references = sorted(
        str(ref) for ref in Case.objects.filter(organization=organization).values_list("reference", flat=True)
    )
    assert references == [f"C-{year}-{number:04d}" for number in range(1, OPENINGS + 1)]
