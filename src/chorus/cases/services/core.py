"""Opening a case, who is in it, the keys each person holds, and what they may read.

Every service here and in the pathway modules takes a ``CaseActor``: the member, their
vault key and their rows in this case (or the advocates' team standing). Nothing reads
or writes a case except through one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts import tokens
from chorus.accounts.models import Member, Organization
from chorus.cases import keys as case_keys
from chorus.cases.machine import APPOINTED, COMPARTMENTS, DECIDERS, FIRST_STATE, READS, TEAM, Role
from chorus.cases.models import Allegation, Case, Decision, Item, ItemShare, Measure, Milestone, Party, StagePeriod
from chorus.cases.services import stages
from chorus.escrow.models import GroupMember
from chorus.ledger.services import ledger_append
from chorus.preparation.services.training import missing as preparation_missing
from chorus.records import keys
from chorus.records.access import Owner, Reader
from chorus.records.models import TeamKey
from chorus.records.services.team import TeamKeyring, team_key_ensure, team_keyring
from chorus.web import posting, tasks
from chorus.web.rows import Columns, prefetched, read

MAX_TEXT = 20000


class CaseError(Exception):
    """A step that cannot be taken now; the message says why, kindly and specifically."""


class DecisionRefused(CaseError):
    """Someone other than the seated deciding panel tried to set or change a decision."""


def _acting(party: Party) -> bool:
    """A decider acts (and reads) only after declaring no conflict, and never once recused."""
    return party.role not in DECIDERS or (party.declared_at is not None and party.recused_at is None)


@dataclass
class CaseActor:
    member: Member
    vault_key: bytes
    case: Case
    parties: list[Party]
    team: bool
    _keys: case_keys.Keys | None = field(default=None, repr=False)
    _team_keys: TeamKeyring | None = field(default=None, repr=False)
    step_fields: dict[str, Any] = field(default_factory=dict, repr=False)  # ``forms._fields``, once per step

    def __repr__(self) -> str:
        return f"CaseActor(member={self.member}, case={self.case.pk})"

    @property
    def roles(self) -> set[str]:
        """The roles this person acts in now. A panel member who has not declared acts only
        as "undeclared" (they may declare, nothing else); a recused one not at all."""
        roles = {TEAM} if self.team else set()
        for party in self.parties:
            if party.withdrawn_at is not None:
                continue  # a complainant who withdrew reads on, but takes no step and blocks none
            if _acting(party):
                roles.add(party.role)
            elif party.recused_at is None:
                roles.add("panel_undeclared" if party.role == Role.PANEL else "appeal_undeclared")
        return roles

    def party(self, *roles: str) -> Party | None:
        return next(
            (p for p in self.parties if p.role in roles and p.recused_at is None and p.withdrawn_at is None), None
        )

    def acting_as(self, *roles: str) -> Party:
        """The party row this person acts through; the machine has already checked the role."""
        party = self.party(*roles)
        if party is None:
            raise CaseError(_("This step is not yours to take in this case."))
        return party

    @property
    def pseudonym(self) -> str:
        """How this case's ledger events name them (``keys.case_pseudonym``)."""
        return case_keys.case_pseudonym(self.member.pk, self.case.pk)

    def reader(self) -> Reader:
        return Reader(member=self.member, vault_key=self.vault_key)

    def held(self) -> case_keys.Keys:
        """Every compartment key this person holds, opened once per request. The advocates'
        bundle carries the respondent-side key so they can hand it to a facilitator or a
        respondent they bring in; ``opened`` never lets them read with it."""
        if self._keys is None:
            held: case_keys.Keys = {}
            private = None
            for party in self.parties:
                if party.keys_sealed is None or not READS.get(party.role) or not _acting(party):
                    continue
                private = private or keys.member_private_key(self.member, self.vault_key)
                held.update(case_keys.open_from(private, party.keys_sealed))
            if self.team and self.case.keys_for_team:
                sealed = self.case.keys_for_team
                held.update(case_keys.open_from(self.team_keys().private_for(sealed), sealed))
            self._keys = held
        return self._keys

    def team_keys(self) -> TeamKeyring:
        """The advocates' team keys this person reaches, opened once per request."""
        if self._team_keys is None:
            self._team_keys = team_keyring(self.reader())
        return self._team_keys

    def opened(self) -> case_keys.Keys:
        """The keys of the compartments this person may read and write."""
        readable: set[str] = set(READS[TEAM]) if self.team else set()
        for party in filter(_acting, self.parties):
            readable.update(READS.get(party.role, ()))
        return {name: key for name, key in self.held().items() if name in readable}


def cases_query(member: Member) -> Q:
    """Cases a member reaches: those they are a party in, and for advocates the team's."""
    reach = Q(parties__tag=case_keys.member_tag(member), parties__joined_at__isnull=False)
    if member.has_role("advocate"):
        reach |= ~Q(keys_for_team=b"")
    return Q(organization=member.organization) & reach


_CASE = Columns(Case, "c")
_CASE_ORGANIZATION = Columns(Organization, "o")
_PARTY = Columns(Party, "p")
# The case in the member's organization with each party in it under the member's tag who
# joined (one row of nulls past the organization when there is none): every case page and
# step starts here, so it is written once (``web.rows``). ``cases_query`` says the same.
_CASE_ACTOR = (
    f"SELECT {_CASE.sql}, {_CASE_ORGANIZATION.sql}, {_PARTY.sql} "  # noqa: S608  (table names from the models)
    f'FROM {_CASE.table} INNER JOIN {_CASE_ORGANIZATION.table} ON "o"."id" = "c"."organization_id" '
    f"LEFT JOIN {_PARTY.table} "
    'ON "p"."case_id" = "c"."id" AND "p"."tag" = %(tag)s AND "p"."joined_at" IS NOT NULL '
    'WHERE "c"."id" = %(id)s AND "c"."organization_id" = %(organization)s ORDER BY "p"."id"'
)


def case_actor(member: Member, vault_key: bytes, case_id: UUID) -> CaseActor:
    """The member acting in one case, or 404 when they have no standing in it: a party who
    joined, or an advocate in a case the team reaches (``cases_query``)."""
    params = {
        "id": _CASE.param("id", case_id),
        "organization": _CASE.param("organization", member.organization_id),
        "tag": _PARTY.param("tag", case_keys.member_tag(member)),
    }
    rows = read(_CASE_ACTOR, params, _CASE, _CASE_ORGANIZATION, _PARTY)
    if not rows:
        raise Http404
    case = rows[0][0]
    Case.organization.field.set_cached_value(case, rows[0][1])
    joined = [party for _, _, party in rows if party is not None]
    for party in joined:
        Party.case.field.set_cached_value(party, case)
    team = member.has_role("advocate") and bool(case.keys_for_team)
    # A seat given for a role (facilitator, investigator, panel) ends with the role: removing
    # a role takes effect at once, in the cases it was used in too.
    parties = [party for party in joined if party.role not in APPOINTED or member.has_role(APPOINTED[Role(party.role)])]
    if not parties and not team:
        raise Http404
    return CaseActor(member=member, vault_key=vault_key, case=case, parties=parties, team=team)


_MEASURE = Columns(Measure, "me")
_MILESTONE = Columns(Milestone, "mi")
_PERIOD = Columns(StagePeriod, "sp")
_DECISION = Columns(Decision, "d")
_ALLEGATION = Columns(Allegation, "a")


@dataclass(frozen=True)
class _CaseRows:
    """One relation a case page works from: its SQL, the models each row holds, the foreign
    key the second one fills (what the page follows from each row), and the order the ORM's
    prefetch was given when it is not the model's own (``Meta.ordering``)."""

    relation: str
    sql: str
    columns: tuple[Columns[Any], ...]
    follows: str = ""
    order: tuple[str, ...] = ()

    def as_prefetched(self) -> QuerySet[Any] | None:
        """What the ORM's prefetch was asked to read, so that what is chained on the loaded
        relation keeps its order and what it follows."""
        if not self.follows and not self.order:
            return None
        manager = self.columns[0].model._default_manager
        queryset: QuerySet[Any] = manager.order_by(*self.order) if self.order else manager.all()
        return queryset.select_related(self.follows) if self.follows else queryset


# Decisions have no order of their own: the database's, as with the ORM.
_CASE_ROWS = [
    _CaseRows(
        "parties",
        f'SELECT {_PARTY.sql} FROM {_PARTY.table} WHERE "p"."case_id" = %(case)s '  # noqa: S608  (table names from the models)
        'ORDER BY "p"."added_at", "p"."id"',
        (_PARTY,),
        order=("added_at", "id"),
    ),
    _CaseRows(
        "measures",
        f"SELECT {_MEASURE.sql}, {_PARTY.sql} FROM {_MEASURE.table} "  # noqa: S608
        f'LEFT JOIN {_PARTY.table} ON "p"."id" = "me"."owner_id" '
        'WHERE "me"."case_id" = %(case)s ORDER BY "me"."number"',
        (_MEASURE, _PARTY),
        follows="owner",
    ),
    _CaseRows(
        "milestones",
        f"SELECT {_MILESTONE.sql}, {_PARTY.sql} FROM {_MILESTONE.table} "  # noqa: S608
        f'INNER JOIN {_PARTY.table} ON "p"."id" = "mi"."verifier_id" '
        'WHERE "mi"."case_id" = %(case)s ORDER BY "mi"."number"',
        (_MILESTONE, _PARTY),
        follows="verifier",
    ),
    _CaseRows(
        "periods",
        f'SELECT {_PERIOD.sql} FROM {_PERIOD.table} WHERE "sp"."case_id" = %(case)s '  # noqa: S608
        'ORDER BY "sp"."entered_at", "sp"."id"',
        (_PERIOD,),
    ),
    _CaseRows(
        "decisions",
        f"SELECT {_DECISION.sql}, {_ALLEGATION.sql} FROM {_DECISION.table} "  # noqa: S608
        f'INNER JOIN {_ALLEGATION.table} ON "a"."id" = "d"."allegation_id" WHERE "d"."case_id" = %(case)s',
        (_DECISION, _ALLEGATION),
        follows="allegation",
    ),
    _CaseRows(
        "allegations",
        f'SELECT {_ALLEGATION.sql} FROM {_ALLEGATION.table} WHERE "a"."case_id" = %(case)s '  # noqa: S608
        'ORDER BY "a"."number"',
        (_ALLEGATION,),
    ),
]


def case_rows_load(case: Case) -> None:
    """Load the case's parties, measures (with their owners), milestones (with their
    verifiers), stays in each stage, decisions (with their allegations) and allegations,
    once: the case page reads them many times over (what it waits on, deadlines, timeline,
    forms) through ``case.<relation>.all()``, and the services filter them in Python. SQL
    written once (``web.rows``): the ORM's prefetch cost more than the rest of the page's
    reads together."""
    params = {"case": _PARTY.param("case", case.pk)}
    for rows in _CASE_ROWS:
        found = read(rows.sql, params, *rows.columns)
        if rows.follows:
            followed = rows.columns[0].model._meta.get_field(rows.follows)
            for row in found:
                followed.set_cached_value(row[0], row[1])
        prefetched(case, rows.relation, [row[0] for row in found], rows.as_prefetched())


def log(actor: CaseActor | None, case: Case, action: str, **refs: object) -> None:
    ledger_append(
        organization_id=case.organization_id,
        actor=actor.pseudonym if actor else "system",
        action=f"case.{action}",
        refs={"case": str(case.pk), **{key: str(value) for key, value in refs.items()}},
    )


def clean_text(text: str, *, required: bool = True) -> str:
    return posting.clean_text(text, limit=MAX_TEXT, refusal=CaseError, required=required)


# ---- parties ---------------------------------------------------------------------


def party_add(case: Case, member: Member, role: str, label: str, *, bundle_keys: case_keys.Keys | None) -> Party:
    """A party whose account exists: the role's compartment keys sealed to them now."""
    party = Party(case=case, role=role, label=label, tag=case_keys.member_tag(member))
    party.member_sealed = keys.seal_for_server(str(member.pk), "case-party", party.pk)
    if bundle_keys is not None and READS.get(role):
        party.keys_sealed = case_keys.seal_to(keys.member_public_key(member), bundle_keys, list(READS[role]))
    party.joined_at = timezone.now()
    party.save()
    return party


def party_member(party: Party) -> Member | None:
    """The member a party is, opened from its sealed id; kept on the party row for the rest of
    the request (a page names a measure's owner in several places)."""
    party_members([party])
    member: Member | None = party.__dict__.get("_member")
    return member


def party_members(parties: list[Party]) -> None:
    """``party_member`` for several parties in one query, kept on each party row."""
    ids = {
        party.pk: keys.open_for_server(party.member_sealed, "case-party", party.pk)
        for party in parties
        if party.member_sealed is not None and "_member" not in party.__dict__
    }
    found = {str(pk): member for pk, member in Member.objects.in_bulk(set(ids.values())).items()}
    for party in parties:
        if party.pk in ids:
            party.__dict__["_member"] = found.get(str(ids[party.pk]))


def party_shown_label(party: Party) -> str:
    """How the case page names a party: its label, and for a measure's owner (labelled by the
    role in the database, ``measures._owner_party``) the member's name before it."""
    if party.role != Role.OWNER:
        return party.label
    role = Role.OWNER.label  # in the reader's language, whatever language the row was written in
    member = party_member(party)
    return f"{member.display_name} ({role})" if member is not None else str(role)


def party_invite(actor: CaseActor, role: str, label: str, email: str, *, invited_by: Party | None = None) -> Party:
    """Someone who may not have an account yet: their keys wait under a key derived from
    the link we email them; claiming it with their own account seals the keys to them."""
    token, token_hash = tokens.new_token()
    party = Party(case=actor.case, role=role, label=label, invited_by=invited_by)
    party.invite_hash = token_hash
    party.invite_email_hash = case_keys.email_hash(email)
    party.invite_sealed = case_keys.seal_under(
        case_keys.invite_key(token), actor.held(), list(READS[role]), "case-invite", party.pk
    )
    party.save()
    tasks.mail_later("cases/email/invitation", email.strip(), {"path": f"/cases/join/{token}/"})
    return party


def invitation_claim(member: Member, token: str) -> Case:
    """The invited person, signed in, takes their place in the case."""
    with transaction.atomic():
        party = (
            Party.objects.select_for_update()
            .filter(invite_hash=tokens.token_hash(token), case__organization=member.organization)
            .select_related("case")
            .first()
        )
        if party is None or party.joined_at is not None or not tokens.plausible(token):
            raise CaseError(_("This invitation link is not valid any more. Ask whoever invited you for a new one."))
        if party.invite_email_hash != case_keys.email_hash(member.email):
            raise CaseError(_("This invitation was sent to another email address. Sign in with that account."))
        bundle = case_keys.open_under(case_keys.invite_key(token), party.invite_sealed or b"", "case-invite", party.pk)
        party.tag = case_keys.member_tag(member)
        party.member_sealed = keys.seal_for_server(str(member.pk), "case-party", party.pk)
        party.keys_sealed = case_keys.seal_to(keys.member_public_key(member), bundle, list(bundle))
        party.invite_sealed = None
        party.invite_hash = None
        party.joined_at = timezone.now()
        party.save()
        log(None, party.case, "invitation_claimed", party=party.pk, role=party.role)
    return party.case


# ---- opening ---------------------------------------------------------------------


def _team_key(organization: Organization) -> TeamKey:
    team_key = team_key_ensure(organization)
    if team_key is None:
        raise CaseError(_("Your organization has no advocates yet, so there is no one to run a case with."))
    return team_key


def case_open(member: Member, vault_key: bytes, *, summary: str, pathway: str = "intake") -> Case:
    """A survivor opens a case: they are its complainant; the advocates hold its keys."""
    text = clean_text(summary)
    team_key = _team_key(member.organization)
    opened = case_keys.new_keys()
    with transaction.atomic():
        case = stages.case_create(
            Case(
                organization=member.organization,
                pathway=pathway,
                state=FIRST_STATE.get(pathway, "intake"),
                keys_for_team=case_keys.seal_to(team_key.public_key, opened, list(COMPARTMENTS)),
            )
        )
        party = party_add(case, member, Role.COMPLAINANT, "Complainant 1", bundle_keys=opened)
        actor = CaseActor(member=member, vault_key=vault_key, case=case, parties=[party], team=False, _keys=opened)
        item_write(actor, "summary", "support", text)
        log(actor, case, "opened", pathway=pathway)
    return case


def self_case_open(member: Member, vault_key: bytes, *, facilitator: Member, text: str) -> Case:
    """A member worried they crossed a line opens an accountability plan for themselves
    with a facilitator, naming no one. The advocates hold no key to it."""
    body = clean_text(text)
    if facilitator.organization_id != member.organization_id or not facilitator.has_role("facilitator"):
        raise CaseError(_("Choose one of the organization's facilitators."))
    if facilitator.pk == member.pk:
        raise CaseError(_("Choose a facilitator other than yourself."))
    unprepared = preparation_missing(facilitator, str(Role.FACILITATOR))
    if unprepared is not None:
        raise CaseError(unprepared)
    opened = case_keys.new_keys()
    with transaction.atomic():
        case = stages.case_create(
            Case(organization=member.organization, pathway="self", state="plan", keys_for_team=b"")
        )
        party = party_add(case, member, Role.SELF, _("Member taking accountability"), bundle_keys=opened)
        party_add(
            case,
            facilitator,
            Role.FACILITATOR,
            f"{facilitator.display_name} ({Role.FACILITATOR.label})",
            bundle_keys=opened,
        )
        actor = CaseActor(member=member, vault_key=vault_key, case=case, parties=[party], team=False, _keys=opened)
        item_write(actor, "summary", "file", body)
        log(actor, case, "opened", pathway="self")
        tasks.mail_later("cases/email/step", facilitator.email, {})
    return case


GROUP_PATHWAYS = ("support", "restorative", "formal")  # the group answers that open a case


def group_case_join(owner: Owner, me: GroupMember) -> Case:
    """A matched group's decision opens one case; each member who joined the group becomes
    a co-complainant when they first come to it (the case keys wait under the group key)."""
    group = me.group
    member = owner.member
    if member is None or me.joined_at is None:
        raise CaseError(_("Join the group first."))
    if group.outcome not in GROUP_PATHWAYS:
        raise CaseError(_("The group has not chosen support, a restorative or a formal process."))
    group_key = keys.open_from(keys.member_private_key(member, owner.vault_key), me.key_sealed)
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(from_group=group).first()
        if case is None:
            team_key = _team_key(member.organization)
            opened = case_keys.new_keys()
            case = Case(
                organization=member.organization,
                pathway=group.outcome,
                state=FIRST_STATE[group.outcome],
                from_group=group,
                keys_for_team=case_keys.seal_to(team_key.public_key, opened, list(COMPARTMENTS)),
            )
            case.keys_for_group = case_keys.seal_under(
                group_key, opened, list(READS[Role.COMPLAINANT]), "case-group", case.pk
            )
            stages.case_create(case)
            log(None, case, "opened", pathway=case.pathway, source="group")
        else:
            opened = case_keys.open_under(group_key, case.keys_for_group or b"", "case-group", case.pk)
        if not case.parties.filter(tag=case_keys.member_tag(member)).exists():
            party_add(case, member, Role.COMPLAINANT, _("Complainant %(name)s") % {"name": me.name}, bundle_keys=opened)
            log(None, case, "co_complainant_joined")
    return case


# ---- items -----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    id: UUID
    kind: str
    compartment: str
    author: str
    at: datetime
    text: str
    about: str


def item_write(actor: CaseActor, kind: str, compartment: str, text: str, **links: object) -> Item:
    key = actor.opened().get(compartment)
    if key is None:
        raise CaseError(_("You cannot write to this part of the case."))
    author = actor.parties[0] if actor.parties else None
    label = author.label if author else "Advocates"
    item = Item(case=actor.case, kind=kind, compartment=compartment, author=author, author_label=label, **links)
    item.body_sealed = case_keys.seal_item(key, text, item.pk)
    item.save()
    return item


def item_write_to_team(actor: CaseActor, kind: str, text: str, **links: object) -> Item:
    """For a party who holds no compartment key (a measure's owner): sealed to the team's
    public key, so they can report to the advocates without reading anything else."""
    author = actor.parties[0]
    team_key = _team_key(actor.case.organization)
    item = Item(case=actor.case, kind=kind, compartment="team", author=author, author_label=author.label, **links)
    item.body_sealed = keys.seal_to(team_key.public_key, text.encode())
    item.save()
    return item


def item_share(actor: CaseActor, item: Item, party: Party) -> None:
    """Hand one item to one party outside its compartment, sealed to their public key."""
    key = actor.opened().get(item.compartment)
    member = party_member(party)
    if key is None or member is None or item.body_sealed is None:
        raise CaseError(_("That cannot be shared now."))
    text = case_keys.open_item(key, item.body_sealed, item.pk)
    ItemShare.objects.update_or_create(
        item=item, party=party, defaults={"body_sealed": keys.seal_to(keys.member_public_key(member), text.encode())}
    )


def _view(item: Item, text: str) -> ItemView:
    return ItemView(item.pk, item.kind, item.compartment, item.author_label, item.created_at, text, _about(item))


def _about(item: Item) -> str:
    if item.measure_id:
        return f"measure {item.measure.number}"  # type: ignore[union-attr]
    if item.milestone_id:
        return f"milestone {item.milestone.number}"  # type: ignore[union-attr]
    if item.allegation_id:
        return f"allegation {item.allegation.number}"  # type: ignore[union-attr]
    return ""


def items_for(actor: CaseActor) -> list[ItemView]:
    """Everything this person may read in the case, oldest first. Reading is ledgered."""
    opened = actor.opened()
    views: dict[UUID, ItemView] = {}
    compartments = [*opened, "team"] if actor.team else list(opened)
    rows = actor.case.items.filter(body_sealed__isnull=False, compartment__in=compartments)
    for item in rows.select_related("measure", "milestone", "allegation"):
        if item.compartment == "team":
            views[item.pk] = _view(item, actor.team_keys().open(item.body_sealed or b"").decode())
        else:
            body = case_keys.open_item(opened[item.compartment], item.body_sealed or b"", item.pk)
            views[item.pk] = _view(item, body)
    shared = ItemShare.objects.filter(party__in=actor.parties, body_sealed__isnull=False).select_related(
        "item__measure", "item__milestone", "item__allegation"
    )
    if shared:
        private = keys.member_private_key(actor.member, actor.vault_key)
        for share in shared:
            if share.item_id not in views:
                views[share.item_id] = _view(share.item, keys.open_from(private, share.body_sealed or b"").decode())
    with transaction.atomic():
        log(actor, actor.case, "read", items=len(views))
    return sorted(views.values(), key=lambda view: (view.at, str(view.id)))


# ---- the action registry ---------------------------------------------------------

Step = Callable[[CaseActor, dict[str, Any]], str | None]
IMPLEMENTATIONS: dict[str, Step] = {}


def implements(name: str) -> Callable[[Step], Step]:
    """Register the service that carries out the machine's action ``name``. It runs inside
    the dispatcher's transaction with the case row locked, and may return a message."""

    def register(function: Step) -> Step:
        IMPLEMENTATIONS[name] = function
        return function

    return register


def move(actor: CaseActor | None, case: Case, to: str, **refs: object) -> None:
    """Change state from the state the caller saw; the database refuses a state that does
    not belong to the pathway (``case_state_fits_pathway``)."""
    frm = case.state
    updated = Case.objects.filter(pk=case.pk, state=frm).update(
        state=to, closed_at=timezone.now() if to in ("closed", "withdrawn") else None
    )
    if not updated:
        raise CaseError(_("Someone else moved this case on a moment ago. Please look again."))
    case.state = to
    stages.stage_enter(case)
    log(actor, case, "moved", frm=frm, to=to, **refs)


def repath(actor: CaseActor | None, case: Case, pathway: str, **refs: object) -> None:
    """Put the case on another pathway, at that pathway's first state (the survivor's
    choice, a facilitator finding a restorative process unsuitable, a breach response)."""
    frm = case.pathway
    to = FIRST_STATE.get(pathway, "intake")
    Case.objects.filter(pk=case.pk).update(pathway=pathway, state=to)
    case.pathway, case.state = pathway, to
    stages.stage_enter(case)
    log(actor, case, "pathway_chosen", frm=frm, to=pathway, **refs)


def complainants(case: Case) -> list[Party]:
    """The complainants taking part: joined, and not withdrawn."""
    return [
        party
        for party in case.parties.all()
        if party.role == Role.COMPLAINANT and party.joined_at is not None and party.withdrawn_at is None
    ]


def parties_notify(case: Case, *roles: str) -> None:
    """Email (without content) everyone in ``roles`` who takes part; not a complainant who
    withdrew: they asked to stop, and the case page still shows them the outcome."""
    for party in case.parties.filter(role__in=roles, joined_at__isnull=False, withdrawn_at__isnull=True):
        member = party_member(party)
        if member is not None:
            tasks.mail_later("cases/email/step", member.email, {})


def respondent(case: Case) -> Party | None:
    return next((party for party in case.parties.all() if party.role == Role.RESPONDENT), None)
