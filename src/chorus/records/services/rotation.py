"""Rotating a team key: everything sealed to a retired team key is sealed again to the
current one, in bounded batches, during the visits of the team's own members.

``team_key_ensure`` retires a key (and makes its successor) as soon as someone who held it
has left the role; from then on nothing new is sealed to it. This module re-seals what
was: share grants, conversation keys, case key bundles and items for the team, requests
for repair, escrow
shares and group keys, the commission's stories (``SEALED_TO_TEAM_KEYS``, the one list).
When every row has been through it, the retired keys are deleted, so a former member's
copy of a retired private key opens nothing in the database any more: neither what was
re-sealed nor anything made since.

Why members' requests, not the worker. Re-sealing an X25519 sealed box to another key
means opening it; there is no re-encryption without the private key in libsodium (proxy
re-encryption would change the format of everything sealed, including what the browser
seals for escrow). The worker runs with no member present, so it could only re-seal if a
team private key were stored where it can read it without a member's vault key — under
the server key, or in a task's payload — and then the database together with
CHORUS_SECRET_KEY would open every share, case and escrow entry, which is exactly what
"a dump reveals nothing" and "administrators never hold it" forbid. A team member's
request already holds the key (opened from their vault key in their session), so each
visit of theirs to the team's page re-seals for at most ``VISIT_SECONDS`` and the key is
forgotten with the request.

Why the rotation waits ``reseal_from`` before re-sealing. A request that fetched the old
public key just before it was retired may still seal to it and commit, up to gunicorn's
request timeout later. Re-sealing starts only when no such request can still be running,
so one pass over the rows meets everything ever sealed to a retired key.

Why it survives kill -9. Each batch is one transaction that re-seals at most ``BATCH``
rows and moves the cursor (sealed column, last primary key) on the rotation row; a
request killed anywhere loses at most its own uncommitted batch, and the next visit goes
on from the cursor. Re-sealing is idempotent besides: a row already sealed to the current
key does not open with a retired key and is left as it is, and each row is updated only
if it still holds the blob that was opened (a share revoked meanwhile stays revoked).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from chorus.accounts.models import Organization
from chorus.crypto.errors import CryptoError
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.models import TeamKey, TeamKeyRotation
from chorus.records.services.team import (
    ADVOCATE,
    COMMISSION,
    AccessRefused,
    TeamKeyring,
    team_key_distribute,
    team_keyring,
)
from chorus.web.rows import Columns

# Rows per transaction, and the re-sealing one visit does at most. ``python -m bench
# team-key``: a batch of 250 takes about 50 ms on SQLite and on PostgreSQL (10^4 rows about
# 2 s; larger batches are no faster per row), so a visit re-seals some 2000 rows and stays
# well under a second, a killed one loses at most 50 ms of work, and SQLite's write lock
# is never held for longer than that.
BATCH = 250
VISIT_SECONDS = 0.4


@dataclass(frozen=True)
class SealedColumn:
    """One column whose rows are sealed to a team's public key."""

    name: str  # as the rotation's cursor names it
    model: str  # "app_label.Model"
    column: str
    organization: str  # the lookup from a row to its organization
    role: str
    only: Q = field(default_factory=Q)  # the rows that hold a blob sealed to the team

    def rows(self, organization: Organization) -> QuerySet[Any]:
        model: type[Model] = apps.get_model(self.model)
        return model._default_manager.filter(self.only, **{self.organization: organization})


SEALED_TO_TEAM_KEYS: tuple[SealedColumn, ...] = (
    SealedColumn(
        "grant", "records.Grant", "key_sealed", "record__organization", ADVOCATE,
        Q(grantee__isnull=True, key_sealed__isnull=False),
    ),
    SealedColumn("conversation", "records.Conversation", "key_for_team", "record__organization", ADVOCATE),
    SealedColumn("case", "cases.Case", "keys_for_team", "organization", ADVOCATE, ~Q(keys_for_team=b"")),
    SealedColumn(
        "case_item", "cases.Item", "body_sealed", "case__organization", ADVOCATE,
        Q(compartment="team", body_sealed__isnull=False),
    ),
    SealedColumn(
        "repair", "cases.RepairRequest", "key_for_team", "case__organization", ADVOCATE,
        Q(key_for_team__isnull=False),
    ),
    SealedColumn("escrow_share", "escrow.Share", "sealed", "entry__organization", ADVOCATE),
    SealedColumn("escrow_group", "escrow.Group", "key_for_team", "match__organization", ADVOCATE),
    SealedColumn(
        "story", "insights.Story", "shown_sealed", "organization", COMMISSION, Q(shown_sealed__isnull=False)
    ),
)  # fmt: skip


def sealed_columns(role: str) -> list[SealedColumn]:
    return [column for column in SEALED_TO_TEAM_KEYS if column.role == role]


class Batch(Enum):
    MORE = "more"  # rows remain
    DONE = "done"  # the rotation finished (or there was none)
    WAITING = "waiting"  # not now: too early, another request is on it, or a retired key is out of reach


def team_key_visit(reader: Reader, role: str = ADVOCATE) -> int:
    """What a team member's visit to their team's page does with the team key: retire it
    if a holder left, hand over retired keys, pass it on to new members (returns how many),
    then re-seal for at most ``VISIT_SECONDS``."""
    passed_on = team_key_distribute(reader, role)
    rotation_continue(reader, role)
    return passed_on


_ROTATION = Columns(TeamKeyRotation, "r")
_UNDER_WAY = (
    f"SELECT {_ROTATION.sql} FROM {_ROTATION.table} "  # noqa: S608  (table name from the model)
    'WHERE "r"."organization_id" = %(organization)s AND "r"."role" = %(role)s'
)


def rotation_under_way(organization_id: Any, role: str) -> TeamKeyRotation | None:
    """The role's rotation, if one is under way (at most one: a unique constraint). Every
    team page asks, so it is SQL written once (``web.rows``)."""
    found = _ROTATION.select(_UNDER_WAY, organization=organization_id, role=role)
    return found[0] if found else None


def rotation_continue(
    reader: Reader, role: str = ADVOCATE, *, seconds: float = VISIT_SECONDS, batch: int = BATCH
) -> Batch:
    """Re-seal batch after batch until the rotation is done or ``seconds`` have passed."""
    rotation = rotation_under_way(reader.member.organization_id, role)
    if rotation is None:
        return Batch.DONE
    if rotation.reseal_from > timezone.now():
        return Batch.WAITING
    try:
        ring = team_keyring(reader, role)
    except AccessRefused:
        return Batch.WAITING
    deadline = time.monotonic() + seconds
    while True:
        outcome = rotation_batch(ring, actor=reader.member.pseudonym, batch=batch)
        if outcome is not Batch.MORE or time.monotonic() >= deadline:
            return outcome


def rotation_batch(ring: TeamKeyring, *, actor: str, batch: int = BATCH) -> Batch:
    """One transaction: re-seal up to ``batch`` rows from the cursor on and move it; finish
    the rotation when the last sealed column is done."""
    team_key = ring.team_key
    organization, role = team_key.organization, team_key.role
    if ring.unreached:
        return Batch.WAITING  # rows sealed to that key would be skipped, and lost at the end
    with transaction.atomic():
        rotation = (
            TeamKeyRotation.objects.select_for_update(skip_locked=True)
            .filter(organization=organization, role=role)
            .first()
        )
        if rotation is None:
            return Batch.DONE if not _retired(organization, role).exists() else Batch.WAITING
        known = [retired_key.pk for retired_key, _ in ring.retired]
        if rotation.team_key_id != team_key.pk or _retired(organization, role).exclude(pk__in=known).exists():
            return Batch.WAITING  # retired again since this keyring was opened
        columns = sealed_columns(role)
        index = next((i for i, column in enumerate(columns) if column.name == rotation.column), 0)
        after, left, resealed = rotation.after, batch, 0
        while left and index < len(columns):
            column = columns[index]
            rows = column.rows(organization).order_by("pk")
            if after:
                rows = rows.filter(pk__gt=rows.model._meta.pk.to_python(after))
            found = list(rows.values_list("pk", column.column)[:left])
            resealed += _reseal(column, found, ring)
            if len(found) < left:
                index, after = index + 1, ""
            else:
                after = str(found[-1][0])
            left -= len(found)
        rotation.resealed += resealed
        rotation.batches += 1
        if index == len(columns):
            _finish(rotation, ring, actor=actor)
            return Batch.DONE
        rotation.column, rotation.after = columns[index].name, after
        rotation.save(update_fields=["column", "after", "resealed", "batches"])
    return Batch.MORE


def _retired(organization: Organization, role: str) -> QuerySet[TeamKey]:
    return TeamKey.objects.filter(organization=organization, role=role).exclude(retired_at=None)


def _reseal(column: SealedColumn, found: list[tuple[Any, keys.Blob]], ring: TeamKeyring) -> int:
    """Seal to the current key each row a retired key opens; returns how many were updated.

    One statement per row, executed together: each sets the new blob only where the row
    still holds the one that was opened (the ORM's per-row update cost twice the crypto)."""
    changes = []
    for pk, blob in found:
        sealed = bytes(blob)
        for _retired_key, private in ring.retired:
            try:
                opened = keys.open_from(private, sealed)
            except CryptoError:
                continue
            changes.append((keys.seal_to(ring.team_key.public_key, opened), pk, sealed))
            break
        # a row no retired key opens is already sealed to the current key
    if not changes:
        return 0
    meta = apps.get_model(column.model)._meta
    quote = connection.ops.quote_name
    table, target, key = quote(meta.db_table), quote(meta.get_field(column.column).column), quote(meta.pk.column)
    pk_field = meta.pk
    rows = [(new, pk_field.get_db_prep_value(pk, connection), old) for new, pk, old in changes]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {target} = %s WHERE {key} = %s AND {target} = %s", rows)  # noqa: S608
        return max(int(cursor.rowcount), 0)


def _finish(rotation: TeamKeyRotation, ring: TeamKeyring, *, actor: str) -> None:
    """Delete the rotation and the retired keys (with their holder rows), oldest first since
    each names its successor."""
    rotation.delete()
    for retired_key, _private in sorted(ring.retired, key=lambda pair: pair[0].retired_at or pair[0].created_at):
        retired_key.delete()
    ledger_append(
        organization_id=rotation.organization_id,
        actor=actor,
        action="team_key.rotation_finished",
        refs={
            "role": rotation.role,
            "resealed": rotation.resealed,
            "batches": rotation.batches,
            "retired_keys": len(ring.retired),
        },
    )
