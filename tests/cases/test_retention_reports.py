"""Retention with a legal hold, the process-failure channel, and a matched group's case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from chorus.cases.models import Case, ProcessReportCopy
from chorus.cases.services.core import CaseError, group_case_join, items_for
from chorus.cases.services.reports import process_report, process_reports_for
from chorus.cases.services.retention import retention_sweep
from chorus.escrow.models import Match
from chorus.escrow.services.groups import group_choose, group_invite, group_respond, membership
from chorus.escrow.services.matches import match_open
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_verify
from chorus.web.tasks import tasks_run_due
from tests.cases.factory import opened, people
from tests.escrow.factory import SAM, member_owner, name
from tests.personas import Personas
from tests.records.factory import advocate_reader, survivor_owner

pytestmark = pytest.mark.django_db


def _ended(crowd: object, pathway: str) -> Case:
    case = opened(crowd, pathway)  # type: ignore[arg-type]
    crowd.act("survivor", case, "withdraw", text="")  # type: ignore[attr-defined]
    return Case.objects.get(pk=case.pk)


def test_content_is_destroyed_after_the_period_unless_held(personas: Personas, settings: object) -> None:
    crowd = people(personas)
    formal = _ended(crowd, "formal")
    support = _ended(crowd, "support")
    held = _ended(crowd, "support")
    crowd.act("advocate", held, "hold", hold="yes", reasons="A court asked us to keep it.")
    assert retention_sweep() == 0
    in_four_years = timezone.now() + timedelta(days=4 * 365)
    assert retention_sweep(now=in_four_years) == 1  # support (3 years by default); formal keeps 7; held stays
    support.refresh_from_db()
    assert support.destroyed_at is not None and not support.items.exclude(body_sealed=None).exists()
    assert items_for(crowd.actor("survivor", support)) == []
    assert retention_sweep(now=timezone.now() + timedelta(days=8 * 365)) == 1  # now the formal one
    held.refresh_from_db()
    assert held.destroyed_at is None and held.items.exclude(body_sealed=None).exists()
    assert LedgerEvent.objects.filter(action="case.destroyed").count() == 2
    assert Case.objects.get(pk=formal.pk).destroyed_at is not None
    assert ledger_verify(chain_for(personas.organization.pk)).ok


def test_a_process_report_reaches_only_oversight_members_who_did_not_act(personas: Personas) -> None:
    crowd = people(personas, ("oversight2", {"oversight", "facilitator"}))
    case = opened(crowd, "restorative")
    crowd.act("advocate", case, "facilitator", member=crowd.member("oversight2"))
    process_report(crowd.member("survivor"), text="Nobody answered me for six weeks.", case_reference=str(case.pk))
    readers = set(ProcessReportCopy.objects.values_list("reader__email", flat=True))
    assert readers == {"oversight@riverside.example"}  # not the one who facilitates this case
    (report,) = process_reports_for(crowd.member("oversight"), crowd.vault_keys["oversight"])
    assert "six weeks" in report.text
    tasks_run_due()
    assert all("six weeks" not in message.body for message in mail.outbox)
    with pytest.raises(CaseError, match="not found"):
        process_report(crowd.member("survivor"), text="x", case_reference="not-a-case")


def test_a_matched_groups_decision_opens_one_case_with_co_complainants(personas: Personas) -> None:
    owners = [survivor_owner(personas), member_owner(personas, "robin")]
    for owner in owners:
        name(owner, ("email", SAM))
    reader = advocate_reader(personas)
    group = group_invite(reader, match_open(reader, Match.objects.get()), {"Survivor A", "Survivor B"})
    mine = [membership(owner, group.pk) for owner in owners]
    for owner, me in zip(owners, mine, strict=True):
        group_respond(owner, me, join=True)
    with pytest.raises(CaseError, match="has not chosen"):
        group_case_join(owners[0], membership(owners[0], group.pk))
    for owner in owners:
        group_choose(owner, membership(owner, group.pk), "formal")
    cases = {group_case_join(owner, membership(owner, group.pk)).pk for owner in owners}
    assert len(cases) == 1
    case = Case.objects.get(pk=cases.pop())
    assert (case.pathway, case.state) == ("formal", "filed")
    assert case.parties.filter(role="complainant").count() == 2
    # Both co-complainants read the case; the second one's consent is needed too.
    crowd = people(personas)
    crowd.members["robin"] = owners[1].member  # type: ignore[assignment]
    crowd.vault_keys["robin"] = owners[1].vault_key
    crowd.act("survivor", case, "allegation", text="At the Friday social.")
    assert "At the Friday social." in [item.text for item in items_for(crowd.actor("robin", case))]
    crowd.act("survivor", case, "consent", step="contact")
    with pytest.raises(CaseError, match="Not yet given by: Complainant"):
        crowd.act("advocate", case, "notice", email="someone@riverside.example", text="Notice")
