"""Two approvals for one person at once (administrator and advocate): the separation of
duties holds under concurrency, because approving locks the member's row."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from chorus.accounts.models import Member, RoleProposal
from chorus.accounts.services import power
from chorus.accounts.services.power import PowerRefused, role_approve, role_propose
from tests.personas import make_personas


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ledger_flushable")
def test_approving_admin_and_advocate_for_one_person_at_once_grants_only_one(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    checked = power._refuse_combination

    def slow_check(member: Member, role: str, held: set[str]) -> None:
        checked(member, role, held)
        time.sleep(0.3)  # both approvals have checked before either writes, unless one waits

    monkeypatch.setattr(power, "_refuse_combination", slow_check)
    personas = make_personas()
    proposals = [
        role_propose(member=personas.survivor, role=role, proposer=personas.admin) for role in ("admin", "advocate")
    ]
    start = threading.Barrier(2)
    refusals: list[str] = []
    failures: list[BaseException] = []

    def approve(proposal: RoleProposal) -> None:
        try:
            start.wait()
            role_approve(proposal=proposal, approver=personas.oversight)
        except PowerRefused as refused:
            refusals.append(str(refused))
        except BaseException as error:  # reported by the test, whatever it was
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(proposal,)) for proposal in proposals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(refusals) == 1
    assert "cannot be combined" in refusals[0]
    assert len(Member.objects.get(pk=personas.survivor.pk).role_codes & {"admin", "advocate"}) == 1
