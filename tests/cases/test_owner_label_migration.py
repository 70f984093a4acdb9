"""Upgrading labels a measure's owner by the role, in the party and in what they wrote, so the
rows no longer name them; the case page still does."""

from __future__ import annotations

import pytest

from chorus.cases.keys import member_tag
from chorus.cases.models import Case, Item, ItemShare, Party
from tests.helpers import migrated_to, migrated_to_latest
from tests.personas import Personas

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("ledger_flushable")]


def test_owners_named_before_the_upgrade_are_named_by_the_role(personas: Personas) -> None:
    case = Case.objects.create(organization=personas.organization, pathway="formal", state="final")
    owner = Party.objects.create(case=case, role="owner", label=personas.admin.display_name, tag=member_tag(personas.admin))
    panel = Party.objects.create(case=case, role="panel", label="Pat (Panel member)", tag=member_tag(personas.panel))
    Item.objects.create(case=case, kind="measure_done", compartment="support", author=owner, author_label=owner.label)
    Item.objects.create(case=case, kind="vote", compartment="file", author=panel, author_label=panel.label)

    migrated_to([("cases", "0005_repair_requests")])
    migrated_to([("cases", "0006_owner_parties_named_by_role")])
    migrated_to_latest()

    assert Party.objects.get(pk=owner.pk).label == "Carries out a measure"
    assert Party.objects.get(pk=panel.pk).label == "Pat (Panel member)"  # other roles are as they were
    assert sorted(Item.objects.values_list("author_label", flat=True)) == ["Carries out a measure", "Pat (Panel member)"]


def test_risk_assessments_handed_to_owners_before_the_upgrade_are_taken_back(personas: Personas) -> None:
    case = Case.objects.create(organization=personas.organization, pathway="formal", state="investigation")
    owner = Party.objects.create(case=case, role="owner", label="Carries out a measure", tag=member_tag(personas.admin))
    supporter = Party.objects.create(case=case, role="supporter", label="Supporter", tag=member_tag(personas.advocate))
    risk = Item.objects.create(case=case, kind="risk_assessment", compartment="file", author_label="Advocates")
    measure = Item.objects.create(case=case, kind="measure", compartment="support", author_label="Advocates")
    for item, party in ((risk, owner), (measure, owner), (risk, supporter)):
        ItemShare.objects.create(item=item, party=party, body_sealed=b"sealed")

    migrated_to([("cases", "0006_owner_parties_named_by_role")])
    migrated_to([("cases", "0007_owners_no_longer_read_risk_assessments")])
    migrated_to_latest()

    kept = sorted((share.item.kind, share.party.role) for share in ItemShare.objects.select_related("item", "party"))
    assert kept == [("measure", "owner"), ("risk_assessment", "supporter")]
