"""Who is asking about records: the one place views ask.

A record's owner is whoever holds the vault key whose tag the record carries: a
signed-in member with their vault open, or an anonymous reporter whose receipt
opened one in this session. Advocates reach shared content only through grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from chorus.accounts import vault
from chorus.accounts.access import require_role
from chorus.accounts.models import Member, Organization
from chorus.records import keys
from chorus.records.models import AllyRequest, Conversation, Grant, Purpose, Record
from chorus.web.rows import Columns, read

_RECORD = Columns(Record, "r")
_OWNED = (
    f"SELECT {_RECORD.sql} FROM {_RECORD.table} "  # noqa: S608  (table name from the model)
    'WHERE "r"."id" = %(id)s AND "r"."organization_id" = %(organization)s AND "r"."owner_tag" = %(owner_tag)s'
)
_GRANT = Columns(Grant, "g")
# ``grants_visible_to`` for one grant, with its record: every read of a shared record starts here.
_VISIBLE_GRANT = (
    f"SELECT {_GRANT.sql}, {_RECORD.sql} FROM {_GRANT.table} "  # noqa: S608  (table names from the models)
    f'JOIN {_RECORD.table} ON "r"."id" = "g"."record_id" '
    'WHERE "g"."id" = %(id)s AND "r"."organization_id" = %(organization)s '
    'AND ("g"."grantee_id" = %(grantee)s OR "g"."grantee_id" IS NULL) AND "g"."purpose" <> %(ally)s'
)


@dataclass(frozen=True)
class Owner:
    organization: Organization
    vault_key: bytes
    member: Member | None = None  # None for an anonymous reporter

    def __repr__(self) -> str:  # never print key material
        return f"Owner(organization={self.organization.slug}, member={self.member})"

    @property
    def tag(self) -> bytes:
        return keys.owner_tag(self.vault_key, self.organization.pk)

    @property
    def anonymous(self) -> bool:
        return self.member is None


class VaultLocked(PermissionDenied):
    """Signed in, but this session holds no vault key (e.g. it began before an upgrade)."""


def owner_from_request(request: HttpRequest) -> Owner | None:
    user = request.user
    if isinstance(user, Member) and user.is_authenticated:
        key = vault.vault_key(request)
        if key is None:
            raise VaultLocked
        return Owner(organization=user.organization, vault_key=key, member=user)
    opened = vault.anonymous_key(request)
    if opened is None:
        return None
    organization = Organization.objects.filter(pk=opened[0]).first()
    return Owner(organization=organization, vault_key=opened[1]) if organization else None


def record_owned(owner: Owner, record_id: UUID) -> Record | None:
    """The owner's record with this id, or None. Read by SQL written once (``web.rows``):
    every request on a record, autosave included, starts here."""
    found = _RECORD.select(_OWNED, id=record_id, organization=owner.organization.pk, owner_tag=owner.tag)
    return found[0] if found else None


def record_for_owner(owner: Owner, record_id: UUID) -> Record:
    record = record_owned(owner, record_id)
    if record is None:
        raise Http404
    return record


@dataclass(frozen=True)
class Reader:
    """An advocate reading what was shared with them or their team."""

    member: Member
    vault_key: bytes

    def __repr__(self) -> str:
        return f"Reader(member={self.member})"


def require_advocate(request: HttpRequest) -> Reader:
    request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]  # replies stay out of error reports
    member = require_role(request, "advocate")
    key = vault.vault_key(request)
    if key is None:
        raise VaultLocked
    return Reader(member=member, vault_key=key)


def grants_visible_to(member: Member) -> QuerySet[Grant]:
    """Grants to this advocate or to the whole team, in their organization (any state).

    Never a request to step in: what a survivor gives someone she trusts reaches that
    person on their own pages (``allies``), even when they are an advocate."""
    return (
        Grant.objects.filter(record__organization=member.organization)
        .filter(Q(grantee=member) | Q(grantee__isnull=True))
        .exclude(purpose=Purpose.ALLY)
    )


def grant_for_reader(reader: Reader, grant_id: UUID) -> Grant:
    """One grant of ``grants_visible_to``, with its record, or 404. Read by SQL written once
    (``web.rows``), as every request on a shared record makes it."""
    params = {
        "id": _GRANT.param("id", grant_id),
        "organization": _RECORD.param("organization", reader.member.organization_id),
        "grantee": _GRANT.param("grantee", reader.member.pk),
        "ally": _GRANT.param("purpose", Purpose.ALLY),
    }
    found = read(_VISIBLE_GRANT, params, _GRANT, _RECORD)
    if not found:
        raise Http404
    grant: Grant = found[0][0]
    grant.record = found[0][1]  # as ``select_related`` would have it
    return grant


def conversation_for_reader(reader: Reader, record_id: UUID) -> Conversation:
    conversation = (
        Conversation.objects.filter(record_id=record_id, record__organization=reader.member.organization)
        .select_related("record")
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def require_member_vault(request: HttpRequest) -> Reader:
    """A signed-in member with their vault open, reading what was given to them personally."""
    request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]  # notes stay out of error reports
    user = request.user
    if not isinstance(user, Member) or not user.is_authenticated:
        raise PermissionDenied
    key = vault.vault_key(request)
    if key is None:
        raise VaultLocked
    return Reader(member=user, vault_key=key)


def ally_request_for_owner(owner: Owner, record: Record, request_id: UUID) -> AllyRequest:
    """One of the owner's requests to step in, on this record; 404 for anyone else."""
    found = (
        AllyRequest.objects.filter(pk=request_id, grant__record=record, grant__record__owner_tag=owner.tag)
        .select_related("grant", "grant__grantee", "grant__record")
        .first()
    )
    if found is None:
        raise Http404
    return found


def ally_requests_to(member: Member) -> QuerySet[AllyRequest]:
    """The requests to step in made to ``member`` (in their organization, any state)."""
    return AllyRequest.objects.filter(
        grant__grantee=member, grant__record__organization=member.organization
    ).select_related("grant", "grant__record")


def ally_request_for_ally(reader: Reader, request_id: UUID) -> AllyRequest:
    found = ally_requests_to(reader.member).filter(pk=request_id).first()
    if found is None:
        raise Http404
    return found
