from __future__ import annotations

from django.test import Client

from chorus.accounts.models import Member
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


def test_it_changes_roles_and_records_it(personas: Personas) -> None:
    client = _admin_client(personas)
    response = client.post(f"/organization/members/{personas.survivor.pk}/roles/", {"roles": ["advocate", "panel"]})
    assert response["Location"] == "/organization/members/"
    assert Member.objects.get(pk=personas.survivor.pk).role_codes == {"advocate", "panel"}
    event = LedgerEvent.objects.filter(action="member.roles_changed").last()
    assert event is not None
    assert event.refs == {"member": personas.survivor.pseudonym, "added": ["advocate", "panel"], "removed": []}
    assert event.actor == personas.admin.pseudonym


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
