"""A rotation is cut off anywhere (between batches, half way through one, by a second
rotation, by a request that fetched the old key just before) and still ends with every row
sealed once to the current key and no row lost."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from chorus.accounts.services.power import member_set_roles
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.models import Grant, TeamKey, TeamKeyHolder, TeamKeyRotation
from chorus.records.services import rotation, sharing
from chorus.records.services.rotation import Batch, rotation_batch, rotation_continue, sealed_columns, team_key_visit
from chorus.records.services.team import ADVOCATE, team_key_of, team_keyring, team_private_key
from tests.personas import Personas
from tests.records.factory import advocate_reader, survivor_record
from tests.records.sealed import (
    copy_of_team_key,
    opened_by,
    read_as_advocate,
    seal_everything,
    settled,
    team_member,
)

pytestmark = pytest.mark.django_db


class Killed(Exception):
    """The request's process went away."""


def _leaves(personas: Personas, reader: Reader) -> None:
    member_set_roles(member=reader.member, roles=set(), actor=personas.admin)


def _contents(private_key: bytes, personas: Personas) -> dict[str, bytes]:
    """What each sealed row of the advocates' columns holds, opened with ``private_key``."""
    return {
        f"{column.name} {pk}": keys.open_from(private_key, blob)
        for column in sealed_columns(ADVOCATE)
        for pk, blob in column.rows(personas.organization).values_list("pk", column.column)
    }


def _rotating(personas: Personas) -> tuple[Reader, bytes, dict[str, bytes]]:
    """Everything sealed, an advocate gone with a copy of the key, the rotation begun and
    settled. Returns the advocate who stays, the copy, and what every row holds."""
    seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(advocate)
    copy = copy_of_team_key(former, ADVOCATE)
    contents = _contents(copy, personas)
    _leaves(personas, former)
    team_key_visit(advocate)
    settled()
    return advocate, copy, contents


def _sealed_once_to_the_current_key(advocate: Reader, personas: Personas, contents: dict[str, bytes]) -> None:
    # Sealed twice, a row would open to another sealed box rather than to what it held.
    assert _contents(team_private_key(advocate), personas) == contents


def test_a_rotation_killed_between_batches_resumes_and_seals_each_row_once(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    advocate, copy, contents = _rotating(personas)
    real = rotation.rotation_batch
    done: list[Batch] = []

    def killed_after_one(*args: Any, **kwargs: Any) -> Batch:
        if done:
            raise Killed
        done.append(real(*args, **kwargs))
        return done[-1]

    monkeypatch.setattr(rotation, "rotation_batch", killed_after_one)
    with pytest.raises(Killed):
        rotation_continue(advocate, batch=3)
    progress = TeamKeyRotation.objects.get()
    assert (progress.batches, progress.resealed, progress.column) == (1, 3, "conversation")  # two grants, one more
    assert len(opened_by(copy, personas, ADVOCATE)) == len(contents) - 3

    monkeypatch.undo()
    assert rotation_continue(advocate, batch=3) is Batch.DONE
    assert opened_by(copy, personas, ADVOCATE) == []
    _sealed_once_to_the_current_key(advocate, personas, contents)
    finished = LedgerEvent.objects.get(
        chain=chain_for(personas.organization.pk), action="team_key.rotation_finished"
    ).refs
    assert finished["resealed"] == len(contents)


def test_a_batch_killed_half_way_leaves_nothing_half_done(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    advocate, copy, contents = _rotating(personas)
    real = rotation._reseal
    updated: list[int] = []

    def dies_at_the_third_column(*args: Any) -> int:
        if len(updated) == 2:
            raise Killed
        updated.append(real(*args))
        return updated[-1]

    monkeypatch.setattr(rotation, "_reseal", dies_at_the_third_column)
    with pytest.raises(Killed):
        rotation_continue(advocate, batch=5)
    assert updated == [2, 2]  # both grants and both conversations were updated in the batch
    progress = TeamKeyRotation.objects.get()
    assert (progress.batches, progress.resealed, progress.column, progress.after) == (0, 0, "", "")
    assert len(opened_by(copy, personas, ADVOCATE)) == len(contents)  # and went with it

    monkeypatch.undo()
    assert rotation_continue(advocate) is Batch.DONE
    assert opened_by(copy, personas, ADVOCATE) == []
    _sealed_once_to_the_current_key(advocate, personas, contents)


def test_a_second_advocate_leaving_mid_rotation_restarts_it_and_neither_copy_opens_anything(
    personas: Personas,
) -> None:
    sealed = seal_everything(personas)
    advocate = advocate_reader(personas)
    first, second = team_member(personas, "first", ADVOCATE), team_member(personas, "second", ADVOCATE)
    team_key_visit(advocate)
    before = read_as_advocate(sealed, advocate)
    first_copy = copy_of_team_key(first, ADVOCATE)
    _leaves(personas, first)
    team_key_visit(advocate)
    settled()
    assert rotation_batch(team_keyring(advocate), actor="test", batch=3) is Batch.MORE
    second_copy = copy_of_team_key(second, ADVOCATE)  # holds the first successor
    assert opened_by(first_copy, personas, ADVOCATE) and opened_by(second_copy, personas, ADVOCATE)

    _leaves(personas, second)
    team_key_visit(advocate)
    assert TeamKey.objects.exclude(retired_at=None).count() == 2
    assert (TeamKeyRotation.objects.get().column, TeamKeyRotation.objects.get().after) == ("", "")
    assert read_as_advocate(sealed, advocate) == before
    assert rotation_continue(advocate) is Batch.WAITING  # the second retirement's requests may still run
    settled()
    assert rotation_continue(advocate) is Batch.DONE
    assert list(TeamKey.objects.filter(role=ADVOCATE)) == [team_key_of(personas.organization)]
    assert opened_by(first_copy, personas, ADVOCATE) == [] == opened_by(second_copy, personas, ADVOCATE)
    assert read_as_advocate(sealed, advocate) == before


def test_a_share_sealed_to_the_old_key_by_a_request_already_under_way_is_re_sealed_too(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(advocate)
    copy = copy_of_team_key(former, ADVOCATE)
    old_key = team_key_of(personas.organization)
    _leaves(personas, former)
    team_key_visit(advocate)
    monkeypatch.setattr(sharing, "team_key_ensure", lambda organization: old_key)  # fetched just before
    late = survivor_record(personas)
    monkeypatch.undo()
    assert f"grant {late.grant.pk}" in opened_by(copy, personas, ADVOCATE)
    assert rotation_continue(advocate) is Batch.WAITING  # such a request could still be running
    settled()
    assert rotation_continue(advocate) is Batch.DONE
    assert opened_by(copy, personas, ADVOCATE) == []
    assert sharing.grant_open(advocate, Grant.objects.get(pk=late.grant.pk)).versions


def test_a_retired_key_no_current_member_holds_keeps_the_rotation_waiting(personas: Personas) -> None:
    """Its rows would be skipped, then lost with the key; they wait for a member who holds it."""
    seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(advocate)
    copy = copy_of_team_key(former, ADVOCATE)
    # Only the former advocate holds the key, as if the other had joined after it was passed round.
    TeamKeyHolder.objects.filter(member=personas.advocate).delete()
    rows = len(opened_by(copy, personas, ADVOCATE))
    _leaves(personas, former)
    survivor_record(personas)  # a survivor's share retires the key; the advocate holds only the new one
    settled()
    assert team_keyring(advocate).unreached == 1
    assert rotation_continue(advocate) is Batch.WAITING
    assert len(opened_by(copy, personas, ADVOCATE)) == rows
    assert TeamKey.objects.exclude(retired_at=None).exists()


def test_a_key_retired_by_the_upgrade_gets_a_successor_and_is_rotated_at_the_next_visit(personas: Personas) -> None:
    sealed = seal_everything(personas)
    advocate = advocate_reader(personas)
    before = read_as_advocate(sealed, advocate)
    old = team_private_key(advocate)
    TeamKey.objects.update(retired_at=timezone.now())  # as the migration does after a withdrawal
    team_key_visit(advocate)
    assert TeamKey.objects.filter(role=ADVOCATE, retired_at=None).count() == 1
    settled()
    team_key_visit(advocate)
    assert opened_by(old, personas, ADVOCATE) == []
    assert read_as_advocate(sealed, advocate) == before


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_retires_a_key_that_was_withdrawn_from_someone(ledger_flushable: None) -> None:
    ledger = ("ledger", "0002_append_only_triggers")
    before, after = [("records", "0002_team_key_per_role"), ledger], [("records", "0003_team_key_rotation"), ledger]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    withdrawn, kept = (
        old.get_model("accounts", "Organization").objects.create(name=name, slug=name.lower())
        for name in ("Withdrawn", "Kept")
    )
    for organization in (withdrawn, kept):
        for role in ("advocate", "commission"):
            old.get_model("records", "TeamKey").objects.create(organization=organization, role=role, public_key=b"k")
    old.get_model("ledger", "LedgerEvent").objects.create(
        chain=f"org:{withdrawn.pk}", seq=1, created_at=timezone.now(), actor="m_a", action="team_key.withdrawn",
        refs={"role": "advocate", "from": ["m_b"]}, payload_hash="0", prev_hash="0", hash="0",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    retired = new.get_model("records", "TeamKey").objects.exclude(retired_at=None)
    assert [(key.organization_id, key.role) for key in retired] == [(withdrawn.pk, "advocate")]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
