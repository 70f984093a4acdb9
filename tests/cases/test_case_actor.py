"""Who reaches a case (``case_actor``, SQL written once) is who the ORM's rule says reaches
it (``cases_query``, less a seat whose role was taken away), for every person and case."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from chorus.accounts.models import Member, MemberRole
from chorus.cases import keys as case_keys
from chorus.cases.machine import APPOINTED, Role
from chorus.cases.models import Case, Party
from chorus.cases.services.core import case_actor, cases_query
from tests.cases.factory import PANELS, formal_to_deliberation, opened, people
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _by_the_orm(member: Member, case: Case) -> tuple[bool, set[Any], bool]:
    """Whether the ORM's rule lets the member in, the seats they act in, and as the team."""
    found = Case.objects.filter(cases_query(member), pk=case.pk).distinct().first()
    if found is None:
        return False, set(), False
    parties = {
        party.pk
        for party in found.parties.filter(tag=case_keys.member_tag(member), joined_at__isnull=False)
        if party.role not in APPOINTED or member.has_role(APPOINTED[Role(party.role)])
    }
    team = member.has_role("advocate") and bool(found.keys_for_team)
    return bool(parties or team), parties, team


def test_every_person_reaches_exactly_the_cases_the_orm_rule_gives(personas: Personas) -> None:
    crowd = people(personas, *PANELS)
    formal = formal_to_deliberation(crowd)
    intake = opened(crowd)
    no_team = opened(crowd, summary="Only mine.")
    Case.objects.filter(pk=no_team.pk).update(keys_for_team=b"")
    # A panel member whose role was taken keeps the row but loses the seat.
    MemberRole.objects.filter(member=crowd.member("panel3"), role="panel").delete()
    crowd.member("panel3").refresh_roles()
    # A seat under someone's tag that was never joined is no way in (only a direct write makes one).
    Party.objects.filter(case=formal, tag=case_keys.member_tag(crowd.member("respondent"))).update(joined_at=None)
    elsewhere = opened(crowd, summary="Moved.")
    Case.objects.filter(pk=elsewhere.pk).update(organization=personas.other_organization)

    outcomes = set()
    for name, member in crowd.members.items():
        member.refresh_roles()
        for case in (formal, intake, no_team, elsewhere):
            reaches, parties, team = _by_the_orm(member, case)
            if not reaches:
                with pytest.raises(Http404):
                    case_actor(member, crowd.vault_keys[name], case.pk)
                outcomes.add("refused")
                continue
            actor = case_actor(member, crowd.vault_keys[name], case.pk)
            assert {party.pk for party in actor.parties} == parties, (name, case.reference)
            assert actor.team == team
            assert actor.case.pk == case.pk and actor.case.organization == case.organization
            assert all(party.case is actor.case for party in actor.parties)
            outcomes.add("party" if parties else "team")
    assert outcomes == {"refused", "party", "team"}  # each way in (and out) was tried
    assert Party.objects.filter(case=formal, tag=case_keys.member_tag(crowd.member("panel3"))).exists()
