"""A team's key pair: made when first needed, sealed to each member of the team, and
retired when someone who held it leaves the role.

The advocates' key opens what survivors share with the advocate team; the commission's
opens the stories survivors contribute. The private half exists unsealed only in the
request that makes it (which seals it to the members at once and forgets it) and in
requests of team members who hold it; administrators never hold it (DESIGN.md "Advocate
team key").

Retiring: once a holder of the current key no longer holds the role (or was deactivated),
the next ``team_key_ensure`` — a survivor sharing, a team member opening their team's page —
makes a successor sealed only to the role's current members, and the old key is retired:
nothing new is sealed to it. Current members keep reaching the retired private key, first
through their own holder rows and, once one of them has handed it over, sealed to the
successor's public key, until ``records.services.rotation`` has sealed everything to the
successor and deletes the retired key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from chorus.accounts.models import Member, MemberKeys, Organization
from chorus.crypto import envelope
from chorus.crypto.errors import CryptoError, DecryptionError
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.models import TeamKey, TeamKeyHolder, TeamKeyRotation
from chorus.web.rows import Columns, read

ADVOCATE = "advocate"
COMMISSION = "commission"
_REFUSALS = {
    ADVOCATE: gettext_lazy("You do not hold the advocate team's key yet. Another advocate's next visit passes it on."),
    COMMISSION: gettext_lazy(
        "You do not hold the commission's key yet. Another commission member's next visit passes it on."
    ),
}


class AccessRefused(Exception):
    """The reader may not (or may no longer) read this; the message says which."""


def team_members(organization: Organization, role: str) -> QuerySet[Member]:
    """Who holds the role now, as ``Member.objects.holding`` counts it (a sealed row the
    ledger backs): a row written or put back straight into the database is not a member of
    the team, so nothing is sealed to it and a holder whose role was taken is a former one."""
    return Member.objects.holding(organization, role).filter(keys__isnull=False)


def advocates_of(organization: Organization) -> QuerySet[Member]:
    return team_members(organization, ADVOCATE)


def team_key_of(organization: Organization, role: str = ADVOCATE) -> TeamKey | None:
    """The current key (never a retired one)."""
    return TeamKey.objects.filter(organization=organization, role=role, retired_at__isnull=True).first()


def _former_holders(team_key: TeamKey) -> QuerySet[TeamKeyHolder]:
    return TeamKeyHolder.objects.filter(team_key=team_key).exclude(
        member__in=team_members(team_key.organization, team_key.role)
    )


def _requests_end() -> timedelta:
    """How long a request that fetched a public key just before it was retired may still
    seal to it: gunicorn stops every request after CHORUS_REQUEST_TIMEOUT (twice that, to
    spare the clocks of several machines)."""
    return timedelta(seconds=2 * settings.CHORUS_REQUEST_TIMEOUT)


class _Raced(Exception):
    """Another request retired the key first."""


@dataclass(frozen=True)
class _Team:
    """Who holds the role, the current key and who holds it, read by SQL written once: what
    every team page and every share asks before sealing anything."""

    members: frozenset[Any]  # holding the role, less holders of the current key with no key pair
    current: TeamKey | None
    holders: frozenset[Any]
    former: bool  # a holder of the current key is no longer a member of the team


# A team key and a holding of one, under the aliases every query below uses.
_KEY = Columns(TeamKey, "k")
_HOLDER = Columns(TeamKeyHolder, "h")
# The current key, one row per holder with whether the holder's member has a key pair (one
# row of nulls past the key when nobody holds it), and the members of the role with one.
_CURRENT_HOLDERS = (
    f"SELECT {_KEY.sql}, {_HOLDER.sql}, "  # noqa: S608  (table names from the models)
    f'EXISTS (SELECT 1 FROM "{MemberKeys._meta.db_table}" "mk" WHERE "mk"."member_id" = "h"."member_id") '
    f'FROM {_KEY.table} LEFT JOIN {_HOLDER.table} ON "h"."team_key_id" = "k"."id" '
    'WHERE "k"."organization_id" = %(organization)s AND "k"."role" = %(role)s AND "k"."retired_at" IS NULL'
)


def _team(organization: Organization, role: str) -> _Team:
    member_ids = set(Member.objects.holding_ids(organization, role))
    params = {"organization": _KEY.param("organization", organization.pk), "role": role}
    rows = read(_CURRENT_HOLDERS, params, _KEY, _HOLDER)
    current = rows[0][0] if rows else None
    holders = {holder.member_id: bool(has_keys) for _, holder, has_keys in rows if holder is not None}
    # A holder with no key pair left is no member of the team (``team_members`` asks for one).
    members = {member_id for member_id in member_ids if holders.get(member_id, True)}
    former = any(member_id not in member_ids or not has_keys for member_id, has_keys in holders.items())
    return _Team(frozenset(members), current, frozenset(holders), former)


def team_key_ensure(organization: Organization, role: str = ADVOCATE, *, actor: str = "system") -> TeamKey | None:
    """The current team key, made now if there is none, or if someone who holds it has
    left the role (then the old key is retired and a rotation starts). A new key is sealed
    to every current member of the role. None when nobody holds the role.
    """
    return _ensure(organization, role, actor, _team(organization, role))


def _ensure(organization: Organization, role: str, actor: str, team: _Team) -> TeamKey | None:
    current = team.current
    if current is not None and not team.former:
        return current
    holders = list(team_members(organization, role).select_related("keys"))
    if not holders:
        return None  # never the key of former members only: the caller says there is nobody
    pair = keys.new_key_pair()
    now = timezone.now()
    try:
        with transaction.atomic():
            former: list[str] = []
            if current is not None:
                former = sorted(_former_holders(current).values_list("member__pseudonym", flat=True))
                if not TeamKey.objects.filter(pk=current.pk, retired_at__isnull=True).update(retired_at=now):
                    raise _Raced
            team_key = TeamKey.objects.create(organization=organization, role=role, public_key=pair.public_key)
            TeamKeyHolder.objects.bulk_create(
                TeamKeyHolder(
                    team_key=team_key,
                    member=holder,
                    private_key_sealed=keys.seal_to(keys.member_public_key(holder), pair.private_key),
                )
                for holder in holders
            )
            retired = (
                TeamKey.objects.filter(organization=organization, role=role, successor__isnull=True)
                .exclude(retired_at=None)
                .update(successor=team_key)
            )
            refs: dict[str, object] = {"role": role, "holders": sorted(holder.pseudonym for holder in holders)}
            if retired:
                _rotation_begin(team_key, start=now)
                ledger_append(
                    organization_id=organization.pk,
                    actor=actor,
                    action="team_key.rotation_started",
                    refs={**refs, "former": former},
                )
            else:
                ledger_append(organization_id=organization.pk, actor=actor, action="team_key.created", refs=refs)
    except (IntegrityError, _Raced):  # another request made or retired it first
        return team_key_of(organization, role)
    return team_key


def _rotation_begin(team_key: TeamKey, *, start: datetime) -> None:
    """Point the rotation (a new one, or one under way whose successor was retired in its
    turn) at the new key, from the first sealed row again."""
    progress = {
        "team_key": team_key,
        "reseal_from": timezone.now() + _requests_end(),
        "column": "",
        "after": "",
    }
    TeamKeyRotation.objects.update_or_create(
        organization=team_key.organization,
        role=team_key.role,
        defaults=progress,
        create_defaults={**progress, "started_at": start},
    )


# ---- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamKeyring:
    """What one team member can open: the current private key, and each retired one still
    being rotated that they reach (newest first)."""

    team_key: TeamKey
    private_key: bytes = field(repr=False)
    retired: tuple[tuple[TeamKey, bytes], ...] = field(repr=False)
    unreached: int = 0  # retired keys this member cannot open (held by others, not handed over)

    def private_for(self, blob: keys.Blob) -> bytes:
        """The private key (current or retired) that opens ``blob``."""
        for private in (self.private_key, *(private for _, private in self.retired)):
            try:
                keys.open_from(private, blob)
            except CryptoError:
                continue
            return private
        raise DecryptionError("no team key opens this blob")

    def open(self, blob: keys.Blob) -> bytes:
        for private in (self.private_key, *(private for _, private in self.retired)):
            try:
                return keys.open_from(private, blob)
            except CryptoError:
                continue
        raise DecryptionError("no team key opens this blob")


# The member's holding of their team's current key, with the key, and whether the team has
# retired keys at all: asked on every advocate's page, so written once (``web.rows``).
_HOLDING = (
    f"SELECT {_HOLDER.sql}, {_KEY.sql}, "  # noqa: S608  (table names from the models)
    f'EXISTS (SELECT 1 FROM "{TeamKey._meta.db_table}" "r" WHERE "r"."organization_id" = "k"."organization_id" '
    'AND "r"."role" = "k"."role" AND "r"."retired_at" IS NOT NULL) '
    f'FROM {_HOLDER.table} INNER JOIN {_KEY.table} ON "k"."id" = "h"."team_key_id" '
    'WHERE "h"."member_id" = %(member)s AND "k"."organization_id" = %(organization)s AND "k"."role" = %(role)s '
    'AND "k"."retired_at" IS NULL ORDER BY "h"."id" LIMIT 1'
)


def _current_holding(reader: Reader, role: str) -> tuple[TeamKeyHolder, bool]:
    """The member's holding of the current key (its ``team_key`` loaded), and whether the
    team has retired keys; AccessRefused unless they hold both the key and the role."""
    params = {
        "member": _HOLDER.param("member", reader.member.pk),
        "organization": _KEY.param("organization", reader.member.organization_id),
        "role": role,
    }
    found = read(_HOLDING, params, _HOLDER, _KEY)
    if not found or not reader.member.has_role(role):
        raise AccessRefused(_REFUSALS[role])
    holder, team_key, any_retired = found[0]
    TeamKeyHolder.team_key.field.set_cached_value(holder, team_key)
    return holder, bool(any_retired)


def team_private_key(reader: Reader, role: str = ADVOCATE) -> bytes:
    """The current team private key (for sealing it to others, not for reading: see ``team_keyring``)."""
    holder, _ = _current_holding(reader, role)
    return keys.open_from(keys.member_private_key(reader.member, reader.vault_key), holder.private_key_sealed)


def team_keyring(reader: Reader, role: str = ADVOCATE) -> TeamKeyring:
    """Every team private key this member reaches; AccessRefused if they hold none."""
    holder, any_retired = _current_holding(reader, role)
    member_private = keys.member_private_key(reader.member, reader.vault_key)
    private = keys.open_from(member_private, holder.private_key_sealed)
    retired_keys = (
        list(
            TeamKey.objects.filter(organization=reader.member.organization, role=role)
            .exclude(retired_at=None)
            .order_by("-retired_at", "-created_at")
        )
        if any_retired
        else []
    )
    if not retired_keys:
        return TeamKeyring(team_key=holder.team_key, private_key=private, retired=())
    own = {
        holding.team_key_id: holding.private_key_sealed
        for holding in TeamKeyHolder.objects.filter(member=reader.member, team_key__in=retired_keys)
    }
    reached = {holder.team_key_id: private}
    retired = []
    for retired_key in retired_keys:  # a successor comes before the key it replaced
        opened = None
        try:
            if retired_key.private_key_for_successor is not None and retired_key.successor_id in reached:
                opened = keys.open_from(reached[retired_key.successor_id], retired_key.private_key_for_successor)
            elif retired_key.pk in own:
                opened = keys.open_from(member_private, own[retired_key.pk])
        except CryptoError:
            opened = None
        if opened is not None:
            reached[retired_key.pk] = opened
            retired.append((retired_key, opened))
    return TeamKeyring(
        team_key=holder.team_key,
        private_key=private,
        retired=tuple(retired),
        unreached=len(retired_keys) - len(retired),
    )


def team_open(reader: Reader, blob: keys.Blob, role: str = ADVOCATE) -> bytes:
    """Open something sealed to the team key, whether it was re-sealed yet or not."""
    return team_keyring(reader, role).open(blob)


# ---- a team member's visit -------------------------------------------------------


def team_key_distribute(reader: Reader, role: str = ADVOCATE) -> int:
    """Retire the key if a holder has left the role, hand over retired keys, and pass the
    current key on to members of the role who lack it.

    Runs when a member who holds it opens their team's page (the advocates' inbox, the
    commission's stories), with the re-sealing of ``rotation.team_key_visit``. Returns how
    many received the key.
    """
    organization = reader.member.organization
    team = _team(organization, role)
    if team.current is None and not TeamKey.objects.filter(organization=organization, role=role).exists():
        return 0  # made when a survivor first needs it
    team_key = _ensure(organization, role, reader.member.pseudonym, team)
    if team_key is None:
        return 0
    _hand_over_retired(reader, role)
    if team_key == team.current and team.members <= team.holders:
        return 0  # everyone in the team holds the key: the usual visit asks nothing more
    missing = list(team_members(organization, role).exclude(team_key_holdings__team_key=team_key))
    return _pass_on(reader, role, team_key, missing) if missing else 0


def _pass_on(reader: Reader, role: str, team_key: TeamKey, missing: list[Member]) -> int:
    """Seal ``team_key`` to the members who lack it, if it is still the current key this
    member holds; how many received it."""
    organization = reader.member.organization
    try:
        holding, _ = _current_holding(reader, role)
    except AccessRefused:
        return 0
    if holding.team_key_id != team_key.pk:
        return 0  # another request made a new key since this visit began: the next visit passes it on
    private = keys.open_from(keys.member_private_key(reader.member, reader.vault_key), holding.private_key_sealed)
    with transaction.atomic():
        # Still the current key, and kept so until these rows are written: a key retired
        # meanwhile is never given new holders (they would outlive its handing over).
        if not TeamKey.objects.select_for_update().filter(pk=team_key.pk, retired_at__isnull=True).values_list("pk"):
            return 0
        for holder in missing:
            TeamKeyHolder.objects.get_or_create(
                team_key=team_key,
                member=holder,
                defaults={"private_key_sealed": keys.seal_to(keys.member_public_key(holder), private)},
            )
        ledger_append(
            organization_id=organization.pk,
            actor=reader.member.pseudonym,
            action="team_key.shared",
            refs={"role": role, "with": sorted(holder.pseudonym for holder in missing)},
        )
    return len(missing)


_SUCCESSOR = Columns(TeamKey, "s")
# Each retired key of the role this member holds whose private half was not yet handed to its
# successor, with the successor: every team page asks, and almost always finds none.
_TO_HAND_OVER = (
    f"SELECT {_HOLDER.sql}, {_KEY.sql}, {_SUCCESSOR.sql} "  # noqa: S608  (table names from the models)
    f'FROM {_HOLDER.table} INNER JOIN {_KEY.table} ON "k"."id" = "h"."team_key_id" '
    f'INNER JOIN {_SUCCESSOR.table} ON "s"."id" = "k"."successor_id" '
    'WHERE "h"."member_id" = %(member)s AND "k"."organization_id" = %(organization)s AND "k"."role" = %(role)s '
    'AND "k"."private_key_for_successor" IS NULL ORDER BY "h"."id"'
)


def _retired_holdings(member: Member, role: str) -> list[TeamKeyHolder]:
    """This member's holdings of retired keys still to hand over, each with its key and the
    key's successor loaded. SQL written once (``web.rows``)."""
    params = {
        "member": _HOLDER.param("member", member.pk),
        "organization": _KEY.param("organization", member.organization_id),
        "role": role,
    }
    holdings = []
    for holding, retired, successor in read(_TO_HAND_OVER, params, _HOLDER, _KEY, _SUCCESSOR):
        TeamKey.successor.field.set_cached_value(retired, successor)
        TeamKeyHolder.team_key.field.set_cached_value(holding, retired)
        holdings.append(holding)
    return holdings


def _hand_over_retired(reader: Reader, role: str) -> None:
    """Seal each retired key this member holds to its successor's public key, so every
    member who holds the successor reaches it, and delete that key's holder rows (a former
    member's among them). A former member gains nothing: the sealed copy opens only with
    the successor, which was never sealed to them."""
    if not reader.member.has_role(role):
        return
    holdings = _retired_holdings(reader.member, role)
    if not holdings:
        return
    member_private = keys.member_private_key(reader.member, reader.vault_key)
    for holding in holdings:
        retired, successor = holding.team_key, holding.team_key.successor
        if successor is None:  # filtered out above; for the type checker
            continue
        try:
            private = keys.open_from(member_private, holding.private_key_sealed)
        except CryptoError:
            continue  # sealed to keys this member has since replaced; another holder hands it over
        if envelope.public_key_of(private) != bytes(retired.public_key):
            continue  # not this key's private half (a row written wrongly): never hand that over
        with transaction.atomic():
            handed = TeamKey.objects.filter(pk=retired.pk, private_key_for_successor__isnull=True).update(
                private_key_for_successor=keys.seal_to(successor.public_key, private)
            )
            if handed:
                TeamKeyHolder.objects.filter(team_key=retired).delete()
                ledger_append(
                    organization_id=retired.organization_id,
                    actor=reader.member.pseudonym,
                    action="team_key.retired_key_handed_over",
                    refs={"role": role},
                )
