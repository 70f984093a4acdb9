"""Someone who leaves a team keeps nothing: the team key rotates, and once everything is
re-sealed their copy of the old key opens no row, old or new. Current members read
everything throughout."""

from __future__ import annotations

import pytest

from chorus.accounts.models import Member, MemberKeys
from chorus.accounts.services.power import member_set_roles
from chorus.crypto import envelope
from chorus.crypto.errors import CryptoError
from chorus.insights.services.stories import stories_for_commission
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for, ledger_verify
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.models import TeamKey, TeamKeyHolder, TeamKeyRotation
from chorus.records.services import team
from chorus.records.services.rotation import Batch, rotation_batch, team_key_visit
from chorus.records.services.sharing import grant_open
from chorus.records.services.team import (
    ADVOCATE,
    COMMISSION,
    AccessRefused,
    team_key_distribute,
    team_key_ensure,
    team_key_of,
    team_keyring,
    team_private_key,
)
from chorus.records.services.writing import RecordError
from tests.personas import Personas
from tests.records.factory import advocate_reader, survivor_record
from tests.records.sealed import (
    EXCERPT,
    copy_of_team_key,
    opened_anywhere,
    opened_by,
    read_as_advocate,
    seal_everything,
    sealed_rows,
    settled,
    story_show,
    team_member,
)

pytestmark = pytest.mark.django_db


def _leaves(personas: Personas, reader: Reader) -> None:
    member_set_roles(member=reader.member, roles=set(), actor=personas.admin)


def test_a_former_advocate_s_copy_of_the_team_key_opens_nothing_once_the_rotation_finished(
    personas: Personas,
) -> None:
    sealed = seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    assert team_key_visit(advocate) == 1
    copy = copy_of_team_key(former, ADVOCATE)
    before = read_as_advocate(sealed, advocate)
    assert read_as_advocate(sealed, former) == before
    rows = sealed_rows(personas, ADVOCATE)
    assert all(rows.values()), rows  # something of every kind sealed to the advocates' key
    assert len(opened_by(copy, personas, ADVOCATE)) == sum(rows.values())
    assert len(opened_anywhere(copy)) == sum(rows.values())  # no column the rotation does not know of

    _leaves(personas, former)
    team_key_visit(advocate)  # retires the key at once; re-sealing waits for requests under way
    current = team_key_of(personas.organization)
    assert current is not None
    assert set(TeamKeyHolder.objects.filter(team_key=current).values_list("member", flat=True)) == {
        personas.advocate.pk
    }
    later = survivor_record(personas)  # shared after the change: sealed to the new key only
    assert f"grant {later.grant.pk}" not in opened_by(copy, personas, ADVOCATE)
    assert len(opened_by(copy, personas, ADVOCATE)) == sum(rows.values())

    settled()
    team_key_visit(advocate)
    assert not TeamKeyRotation.objects.exists()
    assert list(TeamKey.objects.filter(organization=personas.organization, role=ADVOCATE)) == [current]
    assert opened_by(copy, personas, ADVOCATE) == []
    assert opened_anywhere(copy) == []
    assert read_as_advocate(sealed, advocate) == before
    assert grant_open(advocate, later.grant).versions
    with pytest.raises(AccessRefused):
        read_as_advocate(sealed, former)


def test_the_rotation_is_ledgered_without_content(personas: Personas) -> None:
    seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(advocate)
    _leaves(personas, former)
    team_key_visit(advocate)
    settled()
    team_key_visit(advocate)
    events = {
        event.action: event.refs
        for event in LedgerEvent.objects.filter(
            chain=chain_for(personas.organization.pk), action__startswith="team_key"
        )
    }
    started, finished = events["team_key.rotation_started"], events["team_key.rotation_finished"]
    assert started == {"role": ADVOCATE, "former": [former.member.pseudonym], "holders": [personas.advocate.pseudonym]}
    assert finished == {
        "role": ADVOCATE,
        "resealed": sum(sealed_rows(personas, ADVOCATE).values()),
        "batches": 1,
        "retired_keys": 1,
    }
    assert events["team_key.retired_key_handed_over"] == {"role": ADVOCATE}
    assert ledger_verify(chain=chain_for(personas.organization.pk)).problem is None


def test_current_advocates_read_everything_before_during_and_after_a_rotation(personas: Personas) -> None:
    sealed = seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(advocate)
    copy = copy_of_team_key(former, ADVOCATE)
    before = read_as_advocate(sealed, advocate)
    total = sum(sealed_rows(personas, ADVOCATE).values())

    _leaves(personas, former)
    team_key_visit(advocate)
    newcomer = team_member(personas, "newcomer", ADVOCATE)  # only ever holds the new key
    assert team_key_visit(advocate) == 1
    settled()
    ring = team_keyring(advocate)
    halfway = []
    while rotation_batch(ring, actor="test", batch=2) is Batch.MORE:
        halfway.append(len(opened_by(copy, personas, ADVOCATE)))
        assert read_as_advocate(sealed, advocate) == before
        assert read_as_advocate(sealed, newcomer) == before
    # The last batch may re-seal exactly the last rows and only learn on the next one that
    # nothing is left, so it alone may leave none.
    assert len(halfway) >= 3 and all(0 < left < total for left in halfway[:-1]), halfway
    assert 0 <= halfway[-1] < halfway[-2], halfway
    assert opened_by(copy, personas, ADVOCATE) == []
    assert read_as_advocate(sealed, advocate) == before == read_as_advocate(sealed, newcomer)


def test_a_survivor_sharing_after_an_advocate_left_seals_to_a_new_key_before_any_advocate_visits(
    personas: Personas,
) -> None:
    sealed = seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(advocate)
    copy = copy_of_team_key(former, ADVOCATE)
    before = read_as_advocate(sealed, advocate)

    _leaves(personas, former)
    later = survivor_record(personas)  # the survivor's own request retires the key
    assert f"grant {later.grant.pk}" not in opened_by(copy, personas, ADVOCATE)
    retired = TeamKey.objects.exclude(retired_at=None).get(organization=personas.organization)
    assert retired.private_key_for_successor is None  # no advocate has been here to hand it over
    assert read_as_advocate(sealed, advocate) == before  # through their own holding of the retired key
    assert grant_open(advocate, later.grant).versions

    team_key_visit(advocate)  # hands the retired key over to its successor
    handed_over = TeamKey.objects.get(pk=retired.pk).private_key_for_successor
    assert handed_over is not None
    assert not TeamKeyHolder.objects.filter(team_key=retired).exists()
    former_private = keys.member_private_key(former.member, former.vault_key)
    for private in (copy, former_private):
        with pytest.raises(CryptoError):
            keys.open_from(private, handed_over)

    settled()
    team_key_visit(advocate)
    assert opened_by(copy, personas, ADVOCATE) == []
    assert read_as_advocate(sealed, advocate) == before


def test_a_deactivated_advocate_is_a_former_one(personas: Personas) -> None:
    seal_everything(personas)
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_visit(advocate)
    copy = copy_of_team_key(former, ADVOCATE)
    Member.objects.filter(pk=former.member.pk).update(is_active=False)
    team_key_visit(advocate)
    assert TeamKeyRotation.objects.filter(role=ADVOCATE).exists()
    settled()
    team_key_visit(advocate)
    assert opened_by(copy, personas, ADVOCATE) == []


def test_a_former_commission_member_s_copy_opens_no_story(personas: Personas) -> None:
    story_show(personas, EXCERPT)
    commission = Reader(member=personas.commission, vault_key=personas.vault_keys["commission"])
    former = team_member(personas, "former", COMMISSION)
    assert team_key_visit(commission, COMMISSION) == 1
    copy = copy_of_team_key(former, COMMISSION)
    assert stories_for_commission(former) == [EXCERPT]

    _leaves(personas, former)
    team_key_visit(commission, COMMISSION)
    second = "Nobody in the team asked me how I was doing after that week."
    story_show(personas, second)
    assert len(opened_by(copy, personas, COMMISSION)) == 1  # the story shown before, not the new one
    assert sorted(stories_for_commission(commission)) == sorted([EXCERPT, second])
    settled()
    team_key_visit(commission, COMMISSION)
    assert not TeamKeyRotation.objects.exists()
    assert sealed_rows(personas, COMMISSION) == {"story": 2}
    assert opened_by(copy, personas, COMMISSION) == []
    assert opened_anywhere(copy) == []
    assert sorted(stories_for_commission(commission)) == sorted([EXCERPT, second])
    with pytest.raises(AccessRefused):
        stories_for_commission(former)


def test_nobody_left_in_the_role_means_nothing_is_sealed_to_the_former_members_key(personas: Personas) -> None:
    survivor_record(personas)
    _leaves(personas, advocate_reader(personas))
    with pytest.raises(RecordError, match="no advocates yet"):
        survivor_record(personas)
    assert not TeamKeyRotation.objects.exists()


def test_a_holder_whose_key_pair_is_gone_is_no_longer_in_the_team(personas: Personas) -> None:
    """``team_members`` counts only members with a key pair: a holder whose keys row was
    deleted (straight in the database) makes the next visit retire the key, as a leaver would."""
    seal_everything(personas)
    advocate = advocate_reader(personas)
    other = team_member(personas, "other", ADVOCATE)
    team_key_visit(advocate)
    before = team_key_of(personas.organization)
    assert before is not None
    assert team_key_visit(advocate) == 0  # the usual visit: everyone holds the key, nothing changes
    assert team_key_of(personas.organization) == before

    MemberKeys.objects.filter(member=other.member).delete()
    team_key_visit(advocate)
    after = team_key_of(personas.organization)
    assert after is not None and after != before
    assert set(TeamKeyHolder.objects.filter(team_key=after).values_list("member", flat=True)) == {personas.advocate.pk}


def test_a_visit_that_began_before_a_rotation_gives_the_retired_key_no_new_holders(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visit reads the team before a survivor's share retires the key (someone left): it
    hands the retired key over as it should, and never writes the new key's private half
    under the retired one for the members who lack it."""
    advocate = advocate_reader(personas)
    former = team_member(personas, "former", ADVOCATE)
    team_key_ensure(personas.organization)
    newcomer = team_member(personas, "newcomer", ADVOCATE)  # lacks the key: the visit would pass it on
    old = team_key_of(personas.organization)
    assert old is not None
    began = team._team(personas.organization, ADVOCATE)
    _leaves(personas, former)
    new = team_key_ensure(personas.organization)  # a survivor shares meanwhile
    assert new is not None and new != old

    monkeypatch.setattr(team, "_team", lambda organization, role: began)
    assert team_key_distribute(advocate) == 0
    monkeypatch.undo()

    assert not TeamKeyHolder.objects.filter(team_key=old).exists()  # handed over, and no new holder
    old.refresh_from_db()
    assert old.private_key_for_successor is not None
    handed = keys.open_from(team_private_key(advocate), old.private_key_for_successor)
    assert envelope.public_key_of(handed) == bytes(old.public_key)
    assert set(TeamKeyHolder.objects.filter(team_key=new).values_list("member", flat=True)) == {
        personas.advocate.pk,
        newcomer.member.pk,
    }
