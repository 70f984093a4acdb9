"""Several advocates' visits re-seal at once while a survivor stops sharing: every row is
sealed once to the new key, nothing revoked comes back, the rotation finishes once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from chorus.accounts.services.power import member_set_roles
from chorus.crypto.errors import CryptoError
from chorus.ledger.models import LedgerEvent
from chorus.records import keys
from chorus.records.models import Grant, TeamKey, TeamKeyRotation
from chorus.records.services import sharing, writing
from chorus.records.services.rotation import rotation_continue, team_key_visit
from chorus.records.services.team import ADVOCATE, team_private_key
from tests.personas import make_personas
from tests.records.factory import STORY, advocate_reader, survivor_owner
from tests.records.sealed import copy_of_team_key, opened_by, settled, team_member

GRANTS = 60


def _in_thread(work: Callable[[], None], failures: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported by the test, whatever it was
            failures.append(error)
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ledger_flushable")
def test_visits_at_once_and_a_revocation_meanwhile_leave_each_row_sealed_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    personas = make_personas()
    owner = survivor_owner(personas)
    grants = []
    for _ in range(GRANTS):
        record = writing.record_create(owner)
        writing.record_save(owner, record, STORY)
        grants.append(
            sharing.grant_create(
                owner, record, grantee=None, purpose="support", versions=[1], parts=["what"],
                attachment_ids=[], expires_at=None,
            )
        )  # fmt: skip
    readers = [advocate_reader(personas), team_member(personas, "second", ADVOCATE)]
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(readers[0])
    copy = copy_of_team_key(former, ADVOCATE)
    member_set_roles(member=former.member, roles=set(), actor=personas.admin)
    team_key_visit(readers[0])
    settled()
    revoked = grants[::7]

    def visits(index: int) -> Callable[[], None]:
        def run() -> None:
            while TeamKeyRotation.objects.exists():
                rotation_continue(readers[index % len(readers)], batch=4, seconds=0.05)

        return run

    def stops_sharing() -> None:
        for grant in revoked:
            sharing.grant_revoke(owner, grant.record, grant.pk)

    failures: list[BaseException] = []
    threads = [_in_thread(visits(index), failures) for index in range(3)] + [_in_thread(stops_sharing, failures)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert not TeamKeyRotation.objects.exists()
    assert TeamKey.objects.filter(role=ADVOCATE).count() == 1
    assert LedgerEvent.objects.filter(action="team_key.rotation_finished").count() == 1
    assert not Grant.objects.filter(pk__in=[grant.pk for grant in revoked]).exclude(key_sealed=None).exists()
    assert opened_by(copy, personas, ADVOCATE) == []
    current = team_private_key(readers[0])
    for grant in Grant.objects.exclude(key_sealed=None):
        assert grant.key_sealed is not None and grant.content is not None
        content = keys.open_json(keys.open_from(current, grant.key_sealed), grant.content, "grant", grant.pk)
        assert content["versions"][0]["parts"] == {"what": STORY["what"]}  # sealed once, to the new key
        with pytest.raises(CryptoError):
            keys.open_from(copy, grant.key_sealed)
