from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from chorus.accounts.models import Invitation, Member, MemberKeys, RoleProposal
from chorus.accounts.services.invitations import invitation_create
from chorus.accounts.services.power import memberships_confirm, role_approve
from chorus.ledger.models import LedgerEvent
from tests.helpers import last_link, sign_in
from tests.personas import Personas

NEW_PASSWORD = "a quiet river at dawn"


def _invite(personas: Personas, email: str = "newcomer@riverside.example", roles: frozenset[str] = frozenset()) -> str:
    invitation_create(inviter=personas.admin, email=email, roles=set(roles))
    return last_link("/invitations/")


def _accept(client: Client, link: str, **overrides: str) -> object:
    data = {"display_name": "Sam", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, **overrides}
    return client.post(link, data)


def test_an_admin_invites_by_email(client: Client, personas: Personas) -> None:
    sign_in(client, personas.admin, totp_secret=personas.totp_secrets["admin"])
    response = client.post(
        "/organization/invitations/new/", {"email": "Newcomer@Riverside.example", "roles": ["advocate"]}
    )
    assert response["Location"] == "/organization/members/"
    assert mail.outbox[-1].to == ["newcomer@riverside.example"]
    assert "Riverside Workers Union" in mail.outbox[-1].subject
    invitation = Invitation.objects.get(email="newcomer@riverside.example")
    assert invitation.roles == ["advocate"]
    token = last_link("/invitations/").split("/")[2]
    assert token not in invitation.token_hash  # only a hash is kept
    assert LedgerEvent.objects.filter(action="invitation.created").exists()


def test_a_newcomer_accepts_and_sees_their_recovery_code_once(client: Client, personas: Personas) -> None:
    link = _invite(personas, roles=frozenset({"advocate"}))
    assert "Join Riverside Workers Union" in client.get(link).content.decode()
    response = _accept(client, link)
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "Your recovery code" in page
    member = Member.objects.get(email="newcomer@riverside.example")
    # The invitation's advocate role waits for a second person: proposed by the inviter.
    assert member.role_codes == set()
    assert not member.membership_confirmed
    proposal = RoleProposal.objects.get(member=member)
    assert (proposal.role, proposal.proposed_by, proposal.outcome) == ("advocate", personas.admin, "")
    assert member.organization == personas.organization
    assert MemberKeys.objects.filter(member=member).exists()
    assert LedgerEvent.objects.filter(action="invitation.accepted", actor=member.pseudonym).exists()
    memberships_confirm(confirmer=personas.oversight, members=[member])
    role_approve(proposal=proposal, approver=personas.oversight)
    member = Member.objects.get(pk=member.pk)
    assert member.role_codes == {"advocate"}
    assert client.get("/")["Location"] == "/account/two-factor/"  # must enrol first


def test_a_used_invitation_says_so(client: Client, personas: Personas) -> None:
    link = _invite(personas)
    _accept(client, link)
    again = Client().get(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert "already been used" in _accept(Client(), link).content.decode()  # type: ignore[attr-defined]
    assert Member.objects.filter(email="newcomer@riverside.example").count() == 1


def test_an_expired_invitation_says_so(client: Client, personas: Personas) -> None:
    link = _invite(personas)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_a_withdrawn_invitation_says_so(client: Client, personas: Personas) -> None:
    link = _invite(personas)
    admin_client = Client()
    sign_in(admin_client, personas.admin, totp_secret=personas.totp_secrets["admin"])
    invitation = Invitation.objects.get()
    assert admin_client.post(f"/organization/invitations/{invitation.pk}/revoke/").status_code == 302
    assert "withdrawn" in client.get(link).content.decode()
    assert not Member.objects.filter(email="newcomer@riverside.example").exists()


@pytest.mark.parametrize(
    "token", ["abc", "x" * 65, "not-a-real-token-but-plausible-length-xxxxxxx", "%00%ff", "..%2f..%2fetc"]
)
def test_malformed_tokens_get_a_clear_message(client: Client, personas: Personas, token: str) -> None:
    response = client.get(f"/invitations/{token}/")
    assert response.status_code in (404, 410)
    if response.status_code == 410:
        assert "not valid" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"new_password_again": "something else entirely"}, "The two passwords are not the same."),
        ({"new_password": "short", "new_password_again": "short"}, "too short"),
        ({"display_name": "x" * 101}, "at most 100 characters"),
        ({"new_password": "p" * 1025, "new_password_again": "p" * 1025}, "at most 1024 characters"),
        ({"display_name": ""}, "This field is required."),
    ],
)
def test_bad_input_creates_nothing(client: Client, personas: Personas, overrides: dict[str, str], message: str) -> None:
    link = _invite(personas)
    response = _accept(client, link, **overrides)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert message in response.content.decode()  # type: ignore[attr-defined]
    assert not Member.objects.filter(email="newcomer@riverside.example").exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_address_that_already_has_an_account_is_told_plainly(client: Client, personas: Personas) -> None:
    link = _invite(personas, email=personas.other_org.email)
    response = _accept(client, link)
    assert "already has a Chorus account" in response.content.decode()  # type: ignore[attr-defined]
    assert Invitation.objects.get().accepted_at is None


def test_an_unsendable_invitation_is_not_made(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr("chorus.web.mail.send_mail", refuse)
    sign_in(client, personas.admin, totp_secret=personas.totp_secrets["admin"])
    response = client.post("/organization/invitations/new/", {"email": "x@riverside.example"})
    assert "could not be sent" in response.content.decode()
    assert not Invitation.objects.exists()
