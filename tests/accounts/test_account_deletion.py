"""A member deletes their own account: what they own is destroyed (and a dump of the
database and the attachments holds none of it), what belongs to others stays, the ledger
names only a pseudonym; password and second factor first; sole holders are told."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from chorus.accounts.errors import InvitationUnusable, SignInRefused
from chorus.accounts.models import BackupCode, Invitation, Member, MemberKeys, MemberRole, TwoFactor
from chorus.accounts.services.deletion import DeletionRefused, account_delete, deletion_confirm, deletion_preview
from chorus.accounts.services.invitations import invitation_create, invitation_for_token
from chorus.accounts.services.signin import sign_in_password
from chorus.escrow.models import Entry, GroupMember, GroupMessage, Share
from chorus.escrow.services.entries import escrow_tag
from chorus.escrow.services.groups import group_respond, message_from_member
from chorus.insights.models import Story
from chorus.insights.services.stories import story_show, story_write
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_verify
from chorus.notices.models import NoticePreference, PendingNotice
from chorus.notices.services import notice_preferences_set, notices_scan, recipient_tag
from chorus.records import storage
from chorus.records.access import Owner
from chorus.records.models import (
    Attachment,
    Conversation,
    Grant,
    Message,
    Record,
    RecordDraft,
    RecordVersion,
)
from chorus.records.services import messaging, writing
from chorus.records.services.team import team_key_ensure
from tests.escrow.factory import matched_group, name
from tests.helpers import open_vault, sign_in
from tests.leak import leaks
from tests.personas import PASSWORD, Personas, add_member
from tests.records.factory import STORY, advocate_reader, survivor_owner, survivor_record

DRAFT = "Words I never saved, about the car park"
GROUP_WORDS = "I was there that night too, by the lockers"
EXCERPT = "The rota was changed so I always closed up alone"
UNMATCHED = "pat.quinnell@example.org"


def _fresh(member: Member) -> Member:
    return Member.objects.get(pk=member.pk)


def _everything(personas: Personas) -> dict[str, Any]:
    """The survivor persona with a shared record (file, message), a draft, an escrow entry
    that matched (and a group message), one that did not, and a story shown to the commission."""
    owner = survivor_owner(personas)
    built = survivor_record(personas)
    drafted = writing.record_create(owner)
    writing.draft_save(owner, drafted, {"title": DRAFT})
    matched_group(personas)
    mine = GroupMember.objects.get(owner_tag=escrow_tag(owner))
    group_respond(owner, mine, join=True)
    message_from_member(owner, GroupMember.objects.get(pk=mine.pk), GROUP_WORDS)
    name(owner, ("email", UNMATCHED))
    story = story_write(owner, text=EXCERPT)
    story_show(owner, story.pk)
    return {"owner": owner, "built": built, "attachment": built.attachment_id}


def test_deleting_an_account_destroys_what_they_own_and_a_dump_holds_none_of_it(
    personas: Personas, django_capture_on_commit_callbacks: Any
) -> None:
    made = _everything(personas)
    owner: Owner = made["owner"]
    survivor = personas.survivor
    _invited, token = invitation_create(inviter=personas.admin, email="x@riverside.example", roles=set())
    # An advocate's reply inside the survivor's record goes with the record.
    messaging.message_from_team(
        advocate_reader(personas), Conversation.objects.get(record=made["built"].record), "We can meet on Tuesday."
    )

    preview = deletion_preview(owner)
    assert (preview.records, preview.drafts, preview.attachments) == (2, 1, 1)
    assert (preview.entries, preview.stories, preview.group_messages) == (2, 1, 1)
    assert preview.sole_roles == [] and not preview.two_factor

    # Their content as stored (ciphertext and keys): present now, none of it afterwards.
    sealed = _sealed_of(owner)
    assert leaks(sealed) == sealed

    # She chose to hear of replies, and one is waiting to be sent.
    notice_preferences_set(member=survivor, kinds={"reply"}, vault_key=owner.vault_key)
    notices_scan()
    hers = PendingNotice.objects.filter(recipient=recipient_tag(survivor.pk))
    assert hers.exists() and NoticePreference.objects.filter(member=survivor).exists()

    confirmed = deletion_confirm(member=survivor, password=PASSWORD, code="", ip="127.0.0.5")
    with django_capture_on_commit_callbacks(execute=True):
        done = account_delete(owner=confirmed)
    # Nothing waits to be sent to her, and nothing keeps her choice (or the index it held).
    assert not hers.exists() and not NoticePreference.objects.filter(member=survivor).exists()
    assert (done.records, done.entries, done.stories) == (2, 2, 1)

    assert not Record.objects.filter(owner_tag=owner.tag).exists()
    assert not Attachment.objects.exists() and not storage._path(made["attachment"]).exists()
    assert not Story.objects.exists()
    assert not GroupMessage.objects.filter(author__isnull=False).exists()
    # The matched entry's released shares stay with the advocates; the author's copy is gone.
    (kept,) = Entry.objects.filter(for_owner=b"")
    assert Share.objects.filter(entry=kept).exists() and kept.withdrawn_at is not None
    assert Entry.objects.count() == 2  # the kept one and the other survivor's
    for model in (MemberKeys, TwoFactor, BackupCode, MemberRole):
        assert not model.objects.filter(member=survivor).exists()

    gone = _fresh(survivor)
    assert not gone.is_active and gone.deleted_at is not None and not gone.has_usable_password()
    assert gone.email == f"{gone.pseudonym}@deleted.invalid"
    assert gone.display_name.startswith("Deleted member ")
    (event,) = LedgerEvent.objects.filter(action="member.account_deleted")
    assert event.actor == gone.pseudonym
    assert event.refs == {"member": gone.pseudonym, "records": 2, "entries": 2, "stories": 1}
    assert ledger_verify(f"org:{personas.organization.pk}").ok
    with pytest.raises(SignInRefused, match="do not match"):
        sign_in_password(email="survivor@riverside.example", password=PASSWORD, ip="127.0.0.6")
    assert invitation_for_token(token)  # the admin's invitation is not theirs: untouched

    assert leaks([*STORY.values(), DRAFT, GROUP_WORDS, EXCERPT, "survivor@riverside.example", "Tuesday"]) == []
    assert leaks(sealed) == []


def _sealed_of(owner: Owner) -> list[str | bytes]:
    """Every stored blob that holds the survivor's content or keys."""
    records = Record.objects.filter(owner_tag=owner.tag)
    blobs: list[Any] = [
        *RecordVersion.objects.filter(record__in=records).values_list("ciphertext", flat=True),
        *RecordDraft.objects.filter(record__in=records).values_list("ciphertext", flat=True),
        *Message.objects.filter(conversation__record__in=records).values_list("body_sealed", flat=True),
        *Grant.objects.filter(record__in=records).values_list("content", flat=True),
        *Entry.objects.filter(owner_tag=escrow_tag(owner)).values_list("for_owner", flat=True),
        *Story.objects.values_list("text_sealed", flat=True),
        *Story.objects.values_list("shown_sealed", flat=True),
        *GroupMessage.objects.filter(author__isnull=False).values_list("body_sealed", flat=True),
        *MemberKeys.objects.filter(member=owner.member).values_list("private_key_wrapped", "vault_by_password"),
    ]
    flat: list[str | bytes] = []
    for blob in blobs:
        for part in blob if isinstance(blob, tuple) else (blob,):
            if part is not None:
                flat.append(bytes(part))
    flat += [storage.read(attachment.pk) for attachment in Attachment.objects.filter(record__in=records)]
    return flat


def test_a_wrong_password_or_code_deletes_nothing(personas: Personas) -> None:
    survivor_record(personas)
    with pytest.raises(DeletionRefused, match="not your password"):
        deletion_confirm(member=personas.survivor, password="wrong horse", code="", ip="127.0.0.7")
    admin = personas.admin
    with pytest.raises(DeletionRefused, match="code did not work"):
        deletion_confirm(member=admin, password=PASSWORD, code="000000", ip="127.0.0.7")
    code = pyotp.TOTP(personas.totp_secrets["admin"]).now()
    assert deletion_confirm(member=admin, password=PASSWORD, code=code, ip="127.0.0.7").member == admin
    assert Record.objects.count() == 1
    assert LedgerEvent.objects.filter(action="signin.failed").count() == 2  # counted toward the lockout


def test_the_only_holder_of_a_role_is_told_what_leaving_means(personas: Personas) -> None:
    advocate = Owner(personas.organization, personas.vault_keys["advocate"], personas.advocate)
    (sole,) = deletion_preview(advocate).sole_roles
    assert sole.role == "advocate" and "nobody can read what survivors shared" in sole.meaning
    add_member(personas.organization, "second", {"advocate"})
    assert deletion_preview(advocate).sole_roles == []
    admin = Owner(personas.organization, personas.vault_keys["admin"], personas.admin)
    assert [role.role for role in deletion_preview(admin).sole_roles] == ["admin"]


def test_a_deleted_advocates_team_key_holding_and_an_administrators_invitations_go(personas: Personas) -> None:
    second, second_key = add_member(personas.organization, "second", {"advocate"})
    assert team_key_ensure(personas.organization) is not None
    assert second.team_key_holdings.exists()
    account_delete(owner=Owner(personas.organization, second_key, second))
    assert not second.team_key_holdings.exists()
    with pytest.raises(DeletionRefused, match="already been deleted"):
        account_delete(owner=Owner(personas.organization, second_key, second))

    second_admin, admin_key = add_member(personas.organization, "second admin", {"admin"})
    _sent, token = invitation_create(inviter=second_admin, email="newcomer@riverside.example", roles=set())
    account_delete(owner=Owner(personas.organization, admin_key, second_admin))
    assert Invitation.objects.get(invited_by=second_admin).revoked_at is not None
    with pytest.raises(InvitationUnusable):
        invitation_for_token(token)


# The pages ----------------------------------------------------------------------------------


def _signed_in(personas: Personas, persona: str) -> Client:
    client = Client()
    member = personas.members[persona]
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, personas.vault_keys[persona])
    return client


def test_it_explains_then_deletes_and_signs_out(personas: Personas) -> None:
    survivor_record(personas)
    client = Client()
    sign_in(client, personas.survivor)
    account = client.get(reverse("account")).content.decode()
    assert reverse("account_delete") in account

    page = client.get(reverse("account_delete")).content.decode()
    for said in ("What is destroyed", "What stays", "under a pseudonym", "belong to the process", 'class="danger"'):
        assert said in page
    assert 'name="code"' not in page  # no second factor to ask for

    refused = client.post(reverse("account_delete"), {"password": "wrong horse"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "There is a problem" in body and "That is not your password. Nothing was deleted." in body
    empty = client.post(reverse("account_delete"), {"password": ""})
    assert (
        'href="#id_password"' in empty.content.decode() and "Type your password to confirm." in empty.content.decode()
    )
    assert Record.objects.exists()

    response = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("account_deleted")
    done = client.get(reverse("account_deleted")).content.decode()
    assert "Your account is deleted" in done
    assert not Record.objects.exists()
    assert client.get(reverse("account")).status_code == 302  # signed out
    assert client.get(reverse("account_deleted"))["Location"] == "/"  # shown once


def test_it_asks_for_the_second_factor_of_those_who_have_one(personas: Personas) -> None:
    client = _signed_in(personas, "advocate")
    page = client.get(reverse("account_delete")).content.decode()
    assert 'name="code"' in page
    assert "only one holding the advocate team" in page
    missing = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert missing.status_code == 400 and "Type the code your authenticator app shows now." in missing.content.decode()
    assert _fresh(personas.advocate).deleted_at is None
    code = pyotp.TOTP(personas.totp_secrets["advocate"]).now()
    response = client.post(reverse("account_delete"), {"password": PASSWORD, "code": code})
    assert response.status_code == 302
    assert _fresh(personas.advocate).deleted_at is not None


def test_a_deleted_account_disappears_from_the_members_page(personas: Personas) -> None:
    account_delete(owner=survivor_owner(personas))
    admin = _signed_in(personas, "admin")
    page = admin.get(reverse("members")).content.decode()
    assert "Deleted member" not in page and "survivor@riverside.example" not in page
    stale = admin.get(reverse("member_remove", args=[personas.survivor.pk]), follow=True)
    assert "deleted their account" in stale.content.decode()


def test_whoever_alone_holds_a_team_key_cannot_delete_their_account_until_it_passes_on(personas: Personas) -> None:
    """Even once their role is gone: the key would go with their key pair, and what survivors
    shared with the team with it, for good."""
    from chorus.accounts.services.power import roles_remove
    from chorus.records.access import Reader
    from chorus.records.services import sharing
    from chorus.records.services.team import team_key_distribute

    built = survivor_record(personas)  # shared with the advocate team: the key exists
    advocate = Owner(personas.organization, personas.vault_keys["advocate"], personas.advocate)
    assert "only one holding the team key of: Advocate" in deletion_preview(advocate).refusal
    with pytest.raises(DeletionRefused, match="Have a second holder approved first"):
        account_delete(owner=advocate)
    roles_remove(member=personas.advocate, roles={"advocate"}, actor=personas.admin)
    assert deletion_preview(advocate).sole_roles == []  # no role left, still the only key
    with pytest.raises(DeletionRefused, match="only one holding the team key"):
        account_delete(owner=advocate)
    assert _fresh(personas.advocate).deleted_at is None and personas.advocate.team_key_holdings.exists()

    client = _signed_in(personas, "advocate")
    page = client.get(reverse("account_delete")).content.decode()
    assert "only one holding the team key of: Advocate" in page and "open the team&#x27;s page" in page
    assert 'class="danger"' not in page

    # Brought back as two people would, the key passes on to a second advocate at their visit.
    MemberRole.objects.create(member=personas.advocate, role="advocate", approval="direct")
    personas.advocate.refresh_roles()
    newcomer, key = add_member(personas.organization, "newcomer", {"advocate"})
    team_key_distribute(Reader(member=personas.advocate, vault_key=personas.vault_keys["advocate"]))
    assert deletion_preview(advocate).refusal == ""
    account_delete(owner=advocate)
    assert sharing.grant_open(Reader(member=newcomer, vault_key=key), built.grant)
