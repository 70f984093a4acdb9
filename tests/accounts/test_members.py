from __future__ import annotations

from django.test import Client

from chorus.accounts.models import Member, RoleProposal
from chorus.ledger.models import LedgerEvent
from tests.helpers import sign_in
from tests.personas import Personas


def _admin_client(personas: Personas) -> Client:
    client = Client()
    sign_in(client, personas.admin, totp_secret=personas.totp_secrets["admin"])
    return client


def test_it_lists_only_this_organizations_members(personas: Personas) -> None:
    page = _admin_client(personas).get("/organization/members/").content.decode()
    assert "survivor@riverside.example" in page
    assert "hilltop.example" not in page


def test_it_proposes_power_roles_and_grants_none_alone(personas: Personas) -> None:
    client = _admin_client(personas)
    response = client.post(
        f"/organization/members/{personas.survivor.pk}/roles/", {"roles": ["advocate", "panel"]}, follow=True
    )
    assert "A second person who may approve it must confirm" in response.content.decode()
    assert Member.objects.get(pk=personas.survivor.pk).role_codes == set()
    proposed = LedgerEvent.objects.filter(action="role.proposed").order_by("seq")
    assert [event.refs["role"] for event in proposed] == ["advocate", "panel"]
    assert {event.actor for event in proposed} == {personas.admin.pseudonym}
    assert set(RoleProposal.objects.pending().values_list("role", flat=True)) == {"advocate", "panel"}


def test_it_grants_roles_without_power_at_once(personas: Personas) -> None:
    _admin_client(personas).post(f"/organization/members/{personas.survivor.pk}/roles/", {"roles": ["supporter"]})
    assert Member.objects.get(pk=personas.survivor.pk).role_codes == {"supporter"}
    event = LedgerEvent.objects.filter(action="role.granted").last()
    assert event is not None
    assert event.refs == {"member": personas.survivor.pseudonym, "roles": ["supporter"]}


def test_it_removes_a_role_at_once(personas: Personas) -> None:
    _admin_client(personas).post(f"/organization/members/{personas.advocate.pk}/roles/", {"roles": []})
    assert Member.objects.get(pk=personas.advocate.pk).role_codes == set()
    event = LedgerEvent.objects.filter(action="role.removed").last()
    assert event is not None
    assert event.refs == {"member": personas.advocate.pseudonym, "roles": ["advocate"]}


def test_an_admin_cannot_give_themselves_a_content_role(personas: Personas) -> None:
    client = _admin_client(personas)
    response = client.post(
        f"/organization/members/{personas.admin.pk}/roles/", {"roles": ["admin", "advocate"]}, follow=True
    )
    page = response.content.decode()
    assert "cannot be combined with" in page
    assert "independent of the organization" in page
    assert not RoleProposal.objects.exists()
    assert Member.objects.get(pk=personas.admin.pk).role_codes == {"admin"}


def test_it_keeps_at_least_one_administrator(personas: Personas) -> None:
    client = _admin_client(personas)
    response = client.post(f"/organization/members/{personas.admin.pk}/roles/", {"roles": []}, follow=True)
    assert "at least one administrator" in response.content.decode()
    assert personas.admin.has_role("admin")


def test_unknown_roles_change_nothing(personas: Personas) -> None:
    client = _admin_client(personas)
    response = client.post(
        f"/organization/members/{personas.survivor.pk}/roles/", {"roles": ["superuser"]}, follow=True
    )
    assert "Nothing was changed" in response.content.decode()
    assert Member.objects.get(pk=personas.survivor.pk).role_codes == set()


def test_it_denies_another_organizations_admin(personas: Personas) -> None:
    client = Client()
    sign_in(client, personas.other_org, totp_secret=personas.totp_secrets["other_org"])
    response = client.post(f"/organization/members/{personas.survivor.pk}/roles/", {"roles": ["admin"]})
    assert response.status_code == 404
    assert Member.objects.get(pk=personas.survivor.pk).role_codes == set()


def test_it_denies_an_advocate(personas: Personas) -> None:
    client = Client()
    sign_in(client, personas.advocate, totp_secret=personas.totp_secrets["advocate"])
    assert client.post(f"/organization/members/{personas.survivor.pk}/roles/", {"roles": ["admin"]}).status_code == 403
