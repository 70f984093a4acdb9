"""Every URL Chorus registers, walked as every persona.

Add each new URL to ``MATRIX`` with the personas allowed to open it; the test fails
on any registered URL missing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from chorus.accounts.models import Invitation
from chorus.accounts.services.invitations import invitation_create
from chorus.accounts.services.lifecycle import member_suspend, membership_change_approve
from chorus.accounts.services.power import role_propose
from chorus.cases.services import repair
from chorus.cases.services.core import case_actor, self_case_open
from chorus.guidance.models import GuidancePage
from chorus.guidance.services import resource_add
from chorus.insights.services.actions import action_point_create
from chorus.insights.services.stories import story_write
from chorus.ledger.log import tree_head_sign
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_append
from chorus.preparation.models import TrainingRecord
from chorus.records.access import Owner, Reader
from chorus.records.models import Grant, Record
from chorus.records.services import sharing, witnessed
from chorus.records.services.team import team_key_ensure
from tests.cases.factory import claim_invitation, opened, people
from tests.escrow.factory import SAM, matched_group, name
from tests.helpers import open_vault
from tests.personas import ALL_PERSONAS, PERSONA_ROLES, Personas, add_member
from tests.records.ally_factory import ALLY, asked
from tests.records.factory import advocate_reader, survivor_owner, survivor_record

MEMBERS = set(PERSONA_ROLES) | {"other_org"}
EVERYONE = set(ALL_PERSONAS)


@dataclass(frozen=True)
class Entry:
    allowed: set[str]
    kwargs: Callable[[Personas], dict[str, object]] = lambda personas: {}
    method: str = "get"
    # What an allowed persona gets: 200, or a redirect for pages that only act.
    ok_status: int = 200
    denied_anonymous: str = "sign_in"  # "sign_in" (redirect) or a status
    extra: dict[str, object] = field(default_factory=dict)  # posted
    query: dict[str, str] = field(default_factory=dict)  # in a GET's query string


PREPARATION = {"admin", "oversight", "other_org"}


def _training_record(personas: Personas) -> dict[str, object]:
    record = TrainingRecord.objects.filter(member=personas.panel).first()
    assert record is not None  # the personas who decide are prepared (tests/personas.py)
    return {"record_id": record.pk}


def _invitation_token(personas: Personas) -> dict[str, object]:
    _, token = invitation_create(inviter=personas.admin, email="matrix@riverside.example", roles=set())
    return {"token": token}


def _invitation_id(personas: Personas) -> dict[str, object]:
    invitation_create(inviter=personas.admin, email="revoke@riverside.example", roles=set())
    return {"invitation_id": Invitation.objects.get(email="revoke@riverside.example").pk}


def _proposal(personas: Personas) -> dict[str, object]:
    """The panel role proposed for the survivor by the admin: the oversight body approves it."""
    return {"proposal_id": role_propose(member=personas.survivor, role="panel", proposer=personas.admin).pk}


def _suspended(personas: Personas) -> dict[str, object]:
    """A member without power roles, suspended by the admin and the oversight body."""
    member, _ = add_member(personas.organization, "former", set())
    change = member_suspend(member=member, reason="left", actor=personas.admin)
    membership_change_approve(change=change, approver=personas.oversight)
    return {"member_id": member.pk}


def _membership_change(personas: Personas) -> dict[str, object]:
    """The admin proposes suspending a second advocate: an advocate or the oversight body
    approves it (the admin, its proposer, may only withdraw it)."""
    member, _ = add_member(personas.organization, "advocate2", {"advocate"})
    return {"change_id": member_suspend(member=member, reason="sanction", actor=personas.admin).pk}


def _reset_token(personas: Personas) -> dict[str, object]:
    return {"token": "x" * 43}


def _record(personas: Personas) -> dict[str, object]:
    return {"record_id": survivor_record(personas).record.pk}


def _attachment(personas: Personas) -> dict[str, object]:
    built = survivor_record(personas)
    return {"record_id": built.record.pk, "attachment_id": built.attachment_id}


def _grant(personas: Personas) -> dict[str, object]:
    built = survivor_record(personas)
    return {"record_id": built.record.pk, "grant_id": built.grant.pk}


def _ally_request(personas: Personas) -> dict[str, object]:
    made = asked(personas)
    return {"record_id": made.built.record.pk, "request_id": made.request.pk}


def _ally_asked(personas: Personas) -> dict[str, object]:
    return {"request_id": asked(personas).request.pk}


def _ally_accepted(personas: Personas) -> dict[str, object]:
    return {"request_id": asked(personas, accept=True).request.pk}


def _ally_file(personas: Personas) -> dict[str, object]:
    made = asked(personas, accept=True)
    return {"request_id": made.request.pk, "attachment_id": made.built.attachment_id}


def _survivor_event(personas: Personas) -> dict[str, object]:
    """An event the survivor acted in, covered by a witnessed tree head."""
    event = ledger_append(
        organization_id=personas.organization.pk, actor=personas.survivor.pseudonym, action="record.exported"
    )
    tree_head_sign(chain_for(personas.organization.pk))
    return {"seq": event.seq}


def _record_read(personas: Personas) -> dict[str, object]:
    """An advocate's read of the survivor's shared record, covered by a witnessed tree head."""
    built = survivor_record(personas)
    sharing.grant_open(advocate_reader(personas), built.grant)
    tree_head_sign(chain_for(personas.organization.pk))
    seq = LedgerEvent.objects.filter(action="record.read").latest("seq").seq
    return {"record_id": built.record.pk, "seq": seq}


def _shared_attachment(personas: Personas) -> dict[str, object]:
    built = survivor_record(personas)
    return {"grant_id": built.grant.pk, "attachment_id": built.attachment_id}


def _entry(personas: Personas) -> dict[str, object]:
    return {"entry_id": name(survivor_owner(personas), ("email", SAM)).pk}


def _match(personas: Personas) -> dict[str, object]:
    return {"match_id": matched_group(personas)[0].pk}


def _group(personas: Personas) -> dict[str, object]:
    return {"group_id": matched_group(personas)[1].pk}


def _case(personas: Personas) -> dict[str, object]:
    """A formal case: the survivor, the respondent (joined), the investigator, and a panel
    member who declared no conflict; the advocates through the team."""
    crowd = people(personas)
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="An allegation.")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "notice", email=personas.respondent.email, text="Notice")
    claim_invitation(crowd, "respondent")
    crowd.act("advocate", case, "investigator", member=personas.investigator)
    crowd.act("advocate", case, "panel", member=personas.panel)
    crowd.act("panel", case, "declare", conflict="no", text="")
    return {"case_id": case.pk}


def _repair(personas: Personas, *, to: str = "asked") -> dict[str, object]:
    """The respondent persona's self-initiated plan with the facilitator, and his request for
    repair concerning the survivor: with the facilitator, forwarded, or asked."""
    team_key_ensure(personas.organization)
    case = self_case_open(
        personas.respondent, personas.vault_keys["respondent"], facilitator=personas.facilitator, text="Worried."
    )
    him = case_actor(personas.respondent, personas.vault_keys["respondent"], case.pk)
    request = repair.repair_request(him, concerning=personas.survivor, name="", offer="An apology.")
    if to != "facilitator":
        facilitator = case_actor(personas.facilitator, personas.vault_keys["facilitator"], case.pk)
        repair.repair_review(facilitator, request=request, forward=True)
    if to == "asked":
        reader = Reader(member=personas.advocate, vault_key=personas.vault_keys["advocate"])
        repair.repair_ask(reader, request=request, recipient=personas.survivor)
    return {"case_id": case.pk, "request_id": request.pk}


def _story(personas: Personas) -> dict[str, object]:
    return {"story_id": story_write(survivor_owner(personas), text="What I want them to learn.").pk}


def _witnessed(personas: Personas, *, asked: bool = False) -> tuple[Record, Grant]:
    """A member saw something happen to the survivor, named her, agreed she may be asked,
    and shared the account with the advocates (who asked her, if ``asked``)."""
    witness, vault_key = add_member(personas.organization, "witness", set())
    owner = Owner(organization=personas.organization, vault_key=vault_key, member=witness)
    record = witnessed.witnessed_create(owner, values={"what": "I saw him follow her to the car park."})
    witnessed.witnessed_name(owner, record, email=personas.survivor.email, contact_allowed=True)
    grant = sharing.grant_create(
        owner, record, grantee=None, purpose="support", versions=[1], parts=["what"], attachment_ids=[],
        expires_at=None,
    )  # fmt: skip
    if asked:
        witnessed.witnessed_ask(advocate_reader(personas), grant)
    return record, grant


def _own_witnessed(personas: Personas) -> dict[str, object]:
    """The survivor's own account of what she saw happen to the respondent."""
    owner = survivor_owner(personas)
    return {"record_id": witnessed.witnessed_create(owner, values={"what": "I saw it happen."}).pk}


def _witnessed_grant(personas: Personas) -> dict[str, object]:
    return {"grant_id": _witnessed(personas)[1].pk}


def _witnessed_question(personas: Personas) -> dict[str, object]:
    record = _witnessed(personas, asked=True)[0]
    return {"question_id": record.witness_account.pk}


def _action_point(personas: Personas) -> dict[str, object]:
    point = action_point_create(
        personas.admin,
        finding="No written policy.",
        indicator="A policy is adopted.",
        owner=personas.respondent,
        due_on=timezone.localdate(),
    )
    return {"number": point.number}


def _guidance_page(personas: Personas) -> dict[str, object]:
    return {**ORG, "page_slug": "when-a-friend-tells-you"}


def _guidance_version(personas: Personas) -> dict[str, object]:
    page = GuidancePage.objects.get(organization=personas.organization, slug="when-a-friend-tells-you")
    return {**ORG, "page_slug": page.slug, "version_id": page.versions.get(language="en", number=1).pk}


def _guidance_resource(personas: Personas) -> dict[str, object]:
    resource = resource_add(
        organization=personas.organization,
        author=personas.advocate,
        name="Night line",
        offers="Someone to talk to.",
        contact="0800 000 000",
    )
    return {**ORG, "resource_id": resource.pk}


SURVIVOR = {"survivor"}
INSIGHTS = {"admin", "oversight", "commission", "other_org"}  # other_org: its own organization's
IN_CASE = {"survivor", "advocate", "respondent", "investigator", "panel"}
ORG: dict[str, object] = {"slug": "riverside"}
GUIDANCE_EDITORS = {"admin", "advocate"}

MATRIX: dict[str, Entry] = {
    "home": Entry(EVERYONE),
    "healthz": Entry(EVERYONE),  # for the service manager: "ok", no data
    # The language switcher on every page: everyone, signed in or not.
    "language": Entry(EVERYONE, method="post", ok_status=302, denied_anonymous="302", extra={"language": "es"}),
    "sign_in": Entry({"outsider"}),  # members are sent home
    "sign_in_two_factor": Entry(set()),  # only mid-sign-in; everyone else is sent to sign-in
    "sign_out": Entry(MEMBERS, method="post", ok_status=302, denied_anonymous="302"),
    # The quick-exit control ends whatever session there is, for anyone.
    "quick_exit": Entry(EVERYONE, method="post", ok_status=204, denied_anonymous="204"),
    "invitation_accept": Entry(EVERYONE, kwargs=_invitation_token),
    "password_reset_request": Entry(EVERYONE),
    "password_reset_complete": Entry(set(), kwargs=_reset_token, denied_anonymous="410"),
    "account": Entry(MEMBERS),
    "account_password": Entry(MEMBERS),
    "account_two_factor": Entry(MEMBERS),
    "account_backup_codes": Entry(MEMBERS - {"survivor"}),  # survivors have not enrolled
    "account_recovery_code": Entry(MEMBERS),
    "members": Entry({"admin", "other_org"}),
    "member_roles": Entry({"admin"}, kwargs=lambda p: {"member_id": p.survivor.pk}, method="post", ok_status=302),
    "invitation_new": Entry({"admin", "other_org"}),
    "member_suspend": Entry({"admin"}, kwargs=lambda p: {"member_id": p.survivor.pk}),
    "member_reinstate": Entry({"admin"}, kwargs=_suspended),
    "member_remove": Entry({"admin"}, kwargs=lambda p: {"member_id": p.survivor.pk}),
    "member_offboard": Entry({"admin"}, kwargs=lambda p: {"member_id": p.advocate.pk}),
    # Deleting one's own account: every member, for themselves; the page after it only for
    # the browser that just did it (everyone else is sent home).
    "account_delete": Entry(MEMBERS),
    "account_deleted": Entry(set(), denied_anonymous="302"),
    # Only for a removed member in the days they may take their records away: no persona.
    "membership_ended": Entry(set()),
    # Who holds power is public to members; a proposal is decided by those who may approve
    # its role (the oversight body for the panel) or withdrawn by its proposer (the admin,
    # whose own approval the service then refuses with a message).
    "power": Entry(MEMBERS),
    "role_proposal_approve": Entry({"oversight", "admin"}, kwargs=_proposal, method="post", ok_status=302),
    "role_proposal_decline": Entry({"oversight", "admin"}, kwargs=_proposal, method="post", ok_status=302),
    "membership_change_approve": Entry(
        {"advocate", "oversight", "admin"}, kwargs=_membership_change, method="post", ok_status=302
    ),
    "membership_change_decline": Entry(
        {"advocate", "oversight", "admin"}, kwargs=_membership_change, method="post", ok_status=302
    ),
    "memberships": Entry({"admin", "oversight", "other_org"}),
    "invitation_revoke": Entry({"admin"}, kwargs=_invitation_id, method="post", ok_status=302),
    "ledger": Entry(MEMBERS),
    "ledger_events": Entry({"oversight"}),
    # The transparency log: each member reaches their own organization's log; a receipt
    # only for an event they acted in or are named in (the oversight body: any).
    "ledger_log_head": Entry(MEMBERS),
    "ledger_log_consistency": Entry(MEMBERS, query={"from": "1", "to": "1"}),
    "ledger_log_receipt": Entry({"survivor", "oversight"}, kwargs=_survivor_event),
    # Records: every member may keep records; only the owner reaches one.
    "records": Entry(MEMBERS),
    "record_new": Entry(MEMBERS),
    "record_new_draft": Entry(MEMBERS, method="post"),
    "record_edit": Entry(SURVIVOR, kwargs=_record),
    "record_draft": Entry(SURVIVOR, kwargs=_record, method="post"),
    "record_history": Entry(SURVIVOR, kwargs=_record),
    "record_attachment": Entry(SURVIVOR, kwargs=_attachment),
    "record_attachment_remove": Entry(SURVIVOR, kwargs=_attachment),  # GET asks; POST removes
    "record_register": Entry(SURVIVOR, kwargs=_record),
    "record_export": Entry(SURVIVOR, kwargs=lambda p: {**_record(p), "kind": "pdf"}),
    "record_destroy": Entry(SURVIVOR, kwargs=_record),
    "record_share": Entry(SURVIVOR, kwargs=_record),
    "grant_revoke": Entry(SURVIVOR, kwargs=_grant),  # GET asks; POST stops
    "record_access": Entry(SURVIVOR, kwargs=_record),
    "record_access_receipt": Entry(SURVIVOR, kwargs=_record_read),
    "record_messages": Entry(SURVIVOR, kwargs=_record),
    "record_notices": Entry(SURVIVOR, kwargs=_record, method="post", ok_status=302),
    # Asking someone to step in: the survivor under her record; the member she asked (the
    # facilitator here) on their own pages; everyone else gets 404.
    "record_allies": Entry(SURVIVOR, kwargs=_record),
    "ally_ask": Entry(SURVIVOR, kwargs=_record),
    "ally_request": Entry(SURVIVOR, kwargs=_ally_request),
    "ally_stop": Entry(SURVIVOR, kwargs=_ally_request),  # GET asks; POST stops
    "ally_list": Entry(MEMBERS),
    "ally_detail": Entry({ALLY}, kwargs=_ally_asked),
    # The matrix posts an empty answer: the person asked is told to choose (400).
    "ally_answer": Entry({ALLY}, kwargs=_ally_asked, method="post", ok_status=400),
    "ally_shared": Entry({ALLY}, kwargs=_ally_accepted),
    "ally_file": Entry({ALLY}, kwargs=_ally_file),
    "ally_notes": Entry({ALLY}, kwargs=_ally_accepted),
    # Anonymous reporting: for visitors; members are sent home.
    "report_start": Entry({"outsider"}, kwargs=lambda p: ORG),
    "report_return": Entry({"outsider"}, kwargs=lambda p: ORG),
    "report_leave": Entry(EVERYONE, method="post", ok_status=302),
    # The advocate side.
    "inbox": Entry({"advocate"}),
    "shared_record": Entry({"advocate"}, kwargs=lambda p: {"grant_id": _grant(p)["grant_id"]}),
    "shared_attachment": Entry({"advocate"}, kwargs=_shared_attachment),
    "team_conversation": Entry({"advocate"}, kwargs=_record),
    # Matching escrow: members name someone; only the author reaches an entry, only an
    # invited survivor their group; advocates see matches; administrators the settings.
    "escrow": Entry(MEMBERS),
    "escrow_new": Entry(MEMBERS),
    # The matrix posts no JSON body: a member reaches the evaluation, which says it did not
    # understand (400); test_browser_submission covers real evaluations.
    "escrow_evaluate": Entry(MEMBERS, method="post", ok_status=400),
    "escrow_entry": Entry(SURVIVOR, kwargs=_entry),
    "escrow_withdraw": Entry(SURVIVOR, kwargs=_entry),  # GET asks; POST withdraws
    "escrow_group": Entry(SURVIVOR, kwargs=_group),
    "escrow_group_respond": Entry(SURVIVOR, kwargs=_group, method="post", ok_status=302),
    "escrow_group_choice": Entry(SURVIVOR, kwargs=_group, method="post", ok_status=302),
    "escrow_settings": Entry({"admin", "other_org"}),
    "retention": Entry(MEMBERS),  # every member reads the periods, the hold and each change
    "retention_settings": Entry({"admin", "other_org"}),  # other_org: its own organization's
    "retention_hold": Entry({"admin", "other_org"}),
    # Preparation: administrators and oversight see and confirm everyone's (other_org: its own
    # organization's); a record of another organization is not found. Each member sees their
    # own on the account page.
    "preparation": Entry(PREPARATION),
    "preparation_record": Entry(PREPARATION),
    "preparation_settings": Entry(PREPARATION),
    "preparation_withdraw": Entry({"admin", "oversight"}, kwargs=_training_record),  # GET asks; POST withdraws
    "match_list": Entry({"advocate"}),
    "match_detail": Entry({"advocate"}, kwargs=_match),
    "match_invite": Entry({"advocate"}, kwargs=_match, method="post", ok_status=302),
    "match_tell": Entry({"advocate"}, kwargs=_match, method="post", ok_status=302),
    "team_group": Entry({"advocate"}, kwargs=_group),
    # Cases: every member may open one; a case page only for those in it (and the advocates).
    # The matrix posts empty forms: whoever reaches the step is told what is missing (400).
    "cases": Entry(MEMBERS),
    "case_new": Entry(MEMBERS, method="post", ok_status=400),
    "case_self": Entry(MEMBERS),
    "case_deadlines": Entry({"admin", "other_org"}),
    "process_report_new": Entry(MEMBERS),
    "case_join": Entry(MEMBERS, kwargs=lambda p: {"token": "x" * 43}),
    "case_detail": Entry(IN_CASE, kwargs=_case),
    "case_act": Entry(IN_CASE, kwargs=lambda p: {**_case(p), "name": "need"}, method="post", ok_status=400),
    "group_case": Entry(SURVIVOR, kwargs=_group, method="post", ok_status=302),
    # A request for repair: he (the respondent persona) and his facilitator in his plan; the
    # advocates once it is passed on; only the person concerned (the survivor) once asked.
    "case_repair": Entry({"respondent", "facilitator"}, kwargs=lambda p: {"case_id": _repair(p)["case_id"]}),
    "case_repair_new": Entry(
        {"respondent"}, kwargs=lambda p: {"case_id": _repair(p)["case_id"]}, method="post", ok_status=400
    ),
    "case_repair_review": Entry(
        {"facilitator"}, kwargs=lambda p: _repair(p, to="facilitator"), method="post", ok_status=400
    ),
    "repair_team": Entry({"advocate"}),
    "repair_team_request": Entry(
        {"advocate"}, kwargs=lambda p: {"request_id": _repair(p, to="advocates")["request_id"]}
    ),
    "repair_asked": Entry(MEMBERS),  # every member reads their own (usually empty) list
    "repair_asked_one": Entry(SURVIVOR, kwargs=lambda p: {"request_id": _repair(p)["request_id"]}),
    "repair_asked_more": Entry(SURVIVOR, kwargs=lambda p: {"request_id": _repair(p)["request_id"]}),
    "process_reports": Entry({"oversight"}),
    # Insights: the tables and the self-assessment for those who steer and the commission;
    # the transparency report and action points for every member (each sees the points
    # they own); stories only for their author; excerpts only for the commission.
    "insights": Entry(INSIGHTS),
    "insights_report": Entry(INSIGHTS),
    "assessment": Entry(INSIGHTS),
    "action_points": Entry(MEMBERS),
    "action_point": Entry({"admin", "oversight", "commission", "respondent"}, kwargs=_action_point),
    "transparency": Entry(MEMBERS),
    "my_stories": Entry(MEMBERS),
    "story": Entry(SURVIVOR, kwargs=_story),
    "story_show": Entry(SURVIVOR, kwargs=_story, method="post", ok_status=302),
    "story_withdraw": Entry(SURVIVOR, kwargs=_story, method="post", ok_status=302),
    "story_delete": Entry(SURVIVOR, kwargs=_story, method="post", ok_status=302),
    "commission_stories": Entry({"commission"}),
    # What I saw: every member may write one; only its witness reaches it; only the member
    # it is about answers the question asked of her; only advocates reach what was shared.
    "witnessed_new": Entry(MEMBERS),
    "witnessed": Entry(SURVIVOR, kwargs=_own_witnessed),
    "witnessed_questions": Entry(MEMBERS),
    "witnessed_answer": Entry(SURVIVOR, kwargs=_witnessed_question, method="post", ok_status=302),
    "witnessed_inbox": Entry({"advocate"}),
    "witnessed_shared": Entry({"advocate"}, kwargs=_witnessed_grant),
    "witnessed_ask": Entry({"advocate"}, kwargs=_witnessed_grant, method="post", ok_status=302),
    "witnessed_add": Entry({"advocate"}, kwargs=_witnessed_grant, method="post", ok_status=302),
    # Stories of accountability: anyone writes; the commission reads (every member only when an
    # administrator chose so); each organization's administrator chooses for their own.
    "accountability_mine": Entry(MEMBERS),
    "accountability_stories": Entry({"commission"}),
    "accountability_readers": Entry({"admin", "other_org"}),
    # Guidance for friends and allies: read by anyone, signed in or not; written, with its
    # versions and the directory of services, by the organization's administrators and advocates.
    "guidance": Entry(EVERYONE, kwargs=lambda p: ORG),
    "guidance_page": Entry(EVERYONE, kwargs=_guidance_page),
    "guidance_edit": Entry(GUIDANCE_EDITORS, kwargs=_guidance_page),
    "guidance_history": Entry(GUIDANCE_EDITORS, kwargs=_guidance_page),
    "guidance_version": Entry(GUIDANCE_EDITORS, kwargs=_guidance_version),
    "guidance_version_restore": Entry(GUIDANCE_EDITORS, kwargs=_guidance_version, method="post", ok_status=302),
    "guidance_resources": Entry(GUIDANCE_EDITORS, kwargs=lambda p: ORG),
    "guidance_resource_new": Entry(GUIDANCE_EDITORS, kwargs=lambda p: ORG),
    "guidance_resource_edit": Entry(GUIDANCE_EDITORS, kwargs=_guidance_resource),
    "guidance_resource_remove": Entry(GUIDANCE_EDITORS, kwargs=_guidance_resource),  # GET asks; POST removes
}


def _registered_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif pattern.name:
                names.add(pattern.name)
            else:
                raise AssertionError(f"unnamed URL pattern {pattern.pattern}")

    walk(get_resolver().url_patterns)
    return names


def test_every_url_is_in_the_matrix() -> None:
    registered = _registered_names()
    assert registered - set(MATRIX) == set(), "URLs missing from the access matrix"
    assert set(MATRIX) - registered == set(), "matrix names URLs that no longer exist"


def _client_for(persona: str, personas: Personas) -> Client:
    client = Client()
    if persona != "outsider":
        member = personas.members[persona]
        client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
        open_vault(client, member, personas.vault_keys[persona])
    return client


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_url_admits_exactly_its_personas(name: str, personas: Personas) -> None:
    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(personas))
    for persona in ALL_PERSONAS:
        client = _client_for(persona, personas)
        response = client.post(url, entry.extra) if entry.method == "post" else client.get(url, entry.query)
        if entry.method == "post":
            assert client.get(url).status_code == 405, f"{name} must refuse GET"
        status = response.status_code
        # No response of any kind may be framed by another site (clickjacking).
        assert response["X-Frame-Options"] == "DENY", f"{name}: {persona} got a frameable {status}"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], f"{name}: {persona}"
        if persona in entry.allowed:
            assert status == entry.ok_status, f"{name}: {persona} should get {entry.ok_status}, got {status}"
            if status == 200 and response["Content-Type"].startswith("text/html"):
                # Every page anyone reaches offers the quick exit.
                assert b"data-quick-exit" in response.content, f"{name}: no quick exit for {persona}"
        elif persona == "outsider":
            if entry.denied_anonymous == "sign_in":
                assert status == 302 and response["Location"].startswith("/sign-in/"), f"{name}: outsider got {status}"
            else:
                assert status == int(entry.denied_anonymous), f"{name}: outsider got {status}"
        else:
            assert status in (302, 403, 404, 410), f"{name}: {persona} must be denied, got {status}"
            if status == 302:
                assert response["Location"] in ("/", "/sign-in/", "/account/two-factor/"), (
                    f"{name}: {persona} redirected to {response['Location']}"
                )


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_no_url_accepts_a_post_without_the_csrf_token(name: str, personas: Personas) -> None:
    """Every URL, as everyone allowed to use it: a form posted from another site (no token)
    changes nothing and is answered with the explanation page."""
    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(personas))
    for persona in sorted(entry.allowed) or ["outsider"]:
        client = _client_for(persona, personas)
        client.handler.enforce_csrf_checks = True
        response = client.post(url, entry.extra)
        assert response.status_code == 403, f"{name}: {persona} posted without a token and got {response.status_code}"
        assert "This form had expired or came from another site." in response.content.decode()
