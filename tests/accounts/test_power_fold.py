"""Who the ledger shows holding a power role, as the process keeps it between requests:
only committed events count, and each call reads only what was appended since the last."""

from __future__ import annotations

import pytest
from django.db import transaction

from chorus.accounts.models import Member
from chorus.accounts.services.power import ledger_backed
from chorus.ledger.services import ledger_append
from tests.personas import make_personas

pytestmark = pytest.mark.usefixtures("ledger_flushable")


class _RolledBack(Exception):
    pass


def _seat_then_roll_back(organization_id: object, member: Member) -> None:
    with transaction.atomic():
        ledger_append(
            organization_id=organization_id, actor="test", action="role.seated",
            refs={"member": member.pseudonym, "role": "advocate"},
        )  # fmt: skip
        assert ledger_backed(organization_id, [member]) == {member.pk: {"advocate"}}
        raise _RolledBack


def test_it_counts_only_committed_role_events_across_calls() -> None:
    personas = make_personas()
    organization_id = personas.organization.pk
    advocate, survivor = personas.advocate, personas.survivor
    assert ledger_backed(organization_id, [advocate, survivor]) == {advocate.pk: {"advocate"}, survivor.pk: set()}

    with pytest.raises(_RolledBack):
        _seat_then_roll_back(organization_id, survivor)
    # Another event takes the rolled-back one's place in the chain.
    ledger_append(organization_id=organization_id, actor="test", action="test.other", refs={})
    assert ledger_backed(organization_id, [survivor]) == {survivor.pk: set()}

    ledger_append(
        organization_id=organization_id, actor="test", action="role.removed",
        refs={"member": advocate.pseudonym, "roles": ["advocate"]},
    )  # fmt: skip
    assert ledger_backed(organization_id, [advocate]) == {advocate.pk: set()}
    fresh = Member.objects.get(pk=advocate.pk)
    assert ledger_backed(organization_id, [fresh, survivor]) == {advocate.pk: set(), survivor.pk: set()}
