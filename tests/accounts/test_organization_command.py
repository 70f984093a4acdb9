"""``chorus organization``: an operator starts an organization whose first administrator and
oversight member arrive by emailed invitation and then run the two-person rule themselves;
every bad input is refused with nothing created; a new oversight member can be seated
where none is left."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings

from chorus.accounts.models import Invitation, Member, MemberRole, Organization
from chorus.accounts.services.invitations import invitation_accept
from chorus.accounts.services.members import member_create
from chorus.accounts.services.power import (
    PowerRefused,
    ledger_backed,
    memberships_confirm,
    role_approve,
    role_propose,
    roles_remove,
)
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_verify
from tests.personas import PASSWORD, Personas


def _run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("organization", *args, stdout=out)
    return out.getvalue()


def _token_for(email: str) -> str:
    message = next(message for message in reversed(mail.outbox) if message.to == [email])
    match = re.search(r"/invitations/([A-Za-z0-9_-]+)/", str(message.body))
    assert match, message.body
    return match.group(1)


def _create(**extra: str) -> str:
    args = {"name": "Harbour Tenants", "slug": "harbour", "admin": "ines@harbour.example"}
    args.update(extra)
    return _run(
        "create",
        "--name",
        args["name"],
        "--slug",
        args["slug"],
        "--admin",
        args["admin"],
        "--oversight",
        args.get("oversight", "olu@harbour.example"),
    )


@pytest.mark.django_db
def test_an_organization_starts_with_invitations_and_runs_two_person_approval_itself() -> None:
    out = _create()
    assert "Created Harbour Tenants (harbour)" in out
    assert "ines@harbour.example" in out and "What comes next" in out
    organization = Organization.objects.get(slug="harbour")
    assert sorted(message.to[0] for message in mail.outbox) == ["ines@harbour.example", "olu@harbour.example"]
    assert Invitation.objects.filter(organization=organization, by_operator=True).count() == 2

    admin, _, _ = invitation_accept(token=_token_for("ines@harbour.example"), display_name="Inés", password=PASSWORD)
    oversight, _, _ = invitation_accept(token=_token_for("olu@harbour.example"), display_name="Olu", password=PASSWORD)
    assert admin.role_codes == {"admin"} and oversight.role_codes == {"oversight"}
    assert MemberRole.objects.get(member=admin).approval == "founding"
    assert admin.membership_confirmed and oversight.membership_confirmed
    assert ledger_backed(organization.pk, [admin, oversight]) == {admin.pk: {"admin"}, oversight.pk: {"oversight"}}
    organization.refresh_from_db()
    assert organization.oversight_since is not None

    # From here the organization runs the rule itself: the administrator proposes, the
    # oversight member confirms the membership and approves; the administrator cannot.
    volunteer, _, _ = member_create(
        organization=organization,
        email="vera@harbour.example",
        display_name="Vera",
        password=PASSWORD,
        roles=set(),
        actor="invitation",
        founding=False,
    )
    proposal = role_propose(member=volunteer, role="advocate", proposer=admin)
    memberships_confirm(confirmer=oversight, members=[volunteer])
    with pytest.raises(PowerRefused):
        role_approve(proposal=proposal, approver=admin)
    role_approve(proposal=proposal, approver=oversight)
    assert ledger_verify(chain_for(organization.pk)).ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"slug": "Harbour Tenants"}, "cannot be a slug"),
        ({"admin": "not-an-address"}, "is not an email address"),
        ({"oversight": "ines@harbour.example"}, "named more than once"),
        ({"name": "   "}, "must be 1 to 120 characters"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(extra: dict[str, str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _create(**extra)
    assert not Organization.objects.exists()
    assert not mail.outbox


def test_a_second_organization_starts_beside_one_that_runs(personas: Personas) -> None:
    before = {organization.pk for organization in Organization.objects.all()}
    out = _create()
    assert "Created Harbour Tenants (harbour)" in out
    harbour = Organization.objects.get(slug="harbour")
    assert harbour.pk not in before and Organization.objects.count() == len(before) + 1
    assert Invitation.objects.filter(organization=harbour, by_operator=True).count() == 2
    assert not Invitation.objects.filter(organization=personas.organization, by_operator=True).exists()
    assert ledger_verify(chain_for(harbour.pk)).ok and ledger_verify(chain_for(personas.organization.pk)).ok


def test_a_taken_slug_or_an_existing_account_is_refused(personas: Personas) -> None:
    before = Organization.objects.count()
    with pytest.raises(CommandError, match="slug 'riverside' exists already"):
        _create(slug="riverside")
    with pytest.raises(CommandError, match=r"advocate@riverside\.example already has a Chorus account"):
        _create(admin="advocate@riverside.example")
    assert Organization.objects.count() == before
    assert not mail.outbox


@pytest.mark.django_db
def test_a_mail_server_that_refuses_leaves_nothing_half_made() -> None:
    backend = "django.core.mail.backends.smtp.EmailBackend"
    with (
        override_settings(EMAIL_BACKEND=backend, EMAIL_HOST="127.0.0.1", EMAIL_PORT=1, EMAIL_TIMEOUT=2),
        pytest.raises(CommandError, match=r"mail server at 127\.0\.0\.1:1 did not take the invitations.*Nothing was created"),
    ):
        _create()
    assert not Organization.objects.filter(slug="harbour").exists()
    assert not Invitation.objects.exists()
    assert not LedgerEvent.objects.filter(action="organization.created").exists()


def test_the_operator_seats_oversight_where_none_is_left(personas: Personas) -> None:
    roles_remove(member=personas.oversight, roles={"oversight"}, actor=personas.oversight)  # they step down
    proposal = role_propose(member=personas.survivor, role="panel", proposer=personas.admin)
    out = _run("seat", "riverside", "--role", "oversight", "--email", "respondent@riverside.example")
    assert "now holds the oversight role" in out
    colleague = Member.objects.get(email="respondent@riverside.example")
    assert MemberRole.objects.get(member=colleague, role="oversight").approval == "founding"
    assert LedgerEvent.objects.get(action="role.seated").refs == {"member": colleague.pseudonym, "role": "oversight"}
    colleague.refresh_roles()
    role_approve(proposal=proposal, approver=colleague)

    out = _run("seat", "riverside", "--role", "oversight", "--email", "new.person@riverside.example")
    assert "Invitation sent to new.person@riverside.example" in out
    newcomer, _, _ = invitation_accept(
        token=_token_for("new.person@riverside.example"), display_name="New Person", password=PASSWORD
    )
    assert newcomer.role_codes == {"oversight"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("seat", "nowhere", "--role", "oversight", "--email", "a@b.example"), "No organization has the slug"),
        (("seat", "riverside", "--role", "oversight", "--email", "admin@riverside.example"), "cannot be combined"),
        (("seat", "riverside", "--role", "admin", "--email", "admin@riverside.example"), "already holds"),
        (("seat", "riverside", "--role", "oversight", "--email", "admin@hilltop.example"), "another organization"),
        (("seat", "riverside", "--role", "advocate", "--email", "a@b.example"), "invalid choice"),
    ],
)
def test_seating_refuses_what_it_cannot_do(personas: Personas, args: tuple[str, ...], message: str) -> None:
    before = MemberRole.objects.count()
    with pytest.raises(CommandError, match=message):
        _run(*args)
    assert MemberRole.objects.count() == before


def test_the_list_shows_who_can_approve(personas: Personas) -> None:
    out = _run("list")
    line = next(line for line in out.splitlines() if line.startswith("riverside"))
    assert line.split()[1:4] == [str(Member.objects.filter(organization=personas.organization).count()), "1", "1"]
