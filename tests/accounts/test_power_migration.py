"""An organization that existed before two-person approval keeps every role and membership,
recorded as held before approval began (and so shown to members)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from chorus.accounts.models import role_seal

BEFORE = [("accounts", "0004_member_language"), ("escrow", "0003_entry_released")]
AFTER = [("accounts", "0005_two_person_approval"), ("escrow", "0004_entry_counts")]


@pytest.mark.django_db(transaction=True)
def test_roles_and_memberships_held_before_stay_held() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    organization = old.get_model("accounts", "Organization").objects.create(name="Old Union", slug="old-union")
    member = old.get_model("accounts", "Member").objects.create(
        organization=organization, email="steward@old.example", display_name="Steward", pseudonym="m_old"
    )
    old.get_model("accounts", "MemberRole").objects.create(member=member, role="advocate")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    role = new.get_model("accounts", "MemberRole").objects.get(member_id=member.pk)
    assert (role.role, role.approval, role.approved_by_id) == ("advocate", "migration", None)
    migrated = new.get_model("accounts", "Member").objects.get(pk=member.pk)
    assert migrated.confirmation == "migration"
    assert migrated.confirmed_at is not None

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("ledger_flushable")
def test_members_who_shared_a_name_keep_their_accounts_under_numbered_names() -> None:
    before = [("accounts", "0005_two_person_approval"), ("ledger", "0002_append_only_triggers")]
    after = [("accounts", "0007_display_name_unique"), ("ledger", "0002_append_only_triggers")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    organizations = old.get_model("accounts", "Organization").objects
    members = old.get_model("accounts", "Member").objects
    union = organizations.create(name="Old Union", slug="old-union")
    other = organizations.create(name="Other Union", slug="other-union")
    first = members.create(organization=union, email="ana1@old.example", display_name="Ana", pseudonym="m_1")
    second = members.create(organization=union, email="ana2@old.example", display_name="ANA", pseudonym="m_2")
    elsewhere = members.create(organization=other, email="ana3@old.example", display_name="Ana", pseudonym="m_3")
    long_name = "L" * 100
    twins = [
        members.create(organization=union, email=f"long{n}@old.example", display_name=long_name, pseudonym=f"m_l{n}")
        for n in (1, 2)
    ]
    ghost = members.create(organization=union, email="ghost@old.example", display_name="\u3164", pseudonym="m_g")
    old.get_model("accounts", "MemberRole").objects.create(member=first, role="oversight")
    # The other union had an oversight member who left before the migration: the ledger says so.
    old.get_model("ledger", "LedgerEvent").objects.create(
        chain=f"org:{other.pk}",
        seq=1,
        created_at=timezone.now(),
        actor="invitation",
        action="member.created",
        refs={"member": "m_gone", "roles": ["oversight"]},
        payload_hash="0" * 64,
        prev_hash="0" * 64,
        hash="1" * 64,
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    names = {
        member.pk: (member.display_name, member.display_name_key)
        for member in new.get_model("accounts", "Member").objects.all()
    }
    assert names[first.pk] == ("Ana", "ana")
    assert names[second.pk] == ("ANA (2)", "ana (2)")
    assert names[elsewhere.pk] == ("Ana", "ana")
    assert names[twins[0].pk][0] == long_name
    assert names[twins[1].pk][0] == "L" * 96 + " (2)"
    assert names[ghost.pk][0] == "Member 1"
    since = dict(new.get_model("accounts", "Organization").objects.values_list("slug", "oversight_since"))
    assert since["old-union"] is not None
    assert since["other-union"] is not None
    roles = new.get_model("accounts", "MemberRole").objects.all()
    assert [row.seal for row in roles] == [
        role_seal(row.member_id, row.role, row.approval, row.granted_at) for row in roles
    ]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
