"""Exactly one match per person, with entries arriving at once from several app processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from chorus.escrow.models import Match, Share, Tag
from chorus.records.services.team import team_key_ensure
from tests.deployment import database_url_of_tests
from tests.escrow.factory import member_of, member_owner
from tests.personas import make_personas

PROCESSES = 3
TRIALS = 40

_WORKER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import django
    django.setup()
    from django.conf import settings
    settings.CHORUS_ESCROW_KEY_PATH = Path(sys.argv[3])
    settings.CHORUS_CUSTODIAN_DIR = Path(sys.argv[4])
    from chorus.accounts.models import Member
    from chorus.escrow.services.entries import Choices, Named, entry_submit
    from chorus.records.access import Owner
    member = Member.objects.get(pk=sys.argv[1])
    owner = Owner(organization=member.organization, vault_key=bytes.fromhex(sys.argv[2]), member=member)
    gate = Path(sys.argv[5])
    while not gate.exists():
        time.sleep(0.01)
    for trial in range(int(sys.argv[6])):
        entry_submit(owner, named=[Named("email", f"person.{trial}@example.org")],
                     choices=Choices(tell_me=True, would_meet=False, release="contact"))
    """
)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ledger_flushable")
def test_simultaneous_entries_from_several_processes_match_exactly_once(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test")
    personas = make_personas()
    team_key_ensure(personas.organization)
    owners = [member_owner(personas, f"worker{index}") for index in range(PROCESSES)]
    gate = tmp_path / "go"
    environ = {
        **os.environ,
        "DATABASE_URL": database_url_of_tests(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CHORUS_ESCROW_EVALUATIONS_PER_HOUR": "1000",
        "CHORUS_ESCROW_ACTIVE_LIMIT": "1000",
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                str(member_of(owner).pk),
                owner.vault_key.hex(),
                str(settings.CHORUS_ESCROW_KEY_PATH),
                str(settings.CHORUS_CUSTODIAN_DIR),
                str(gate),
                str(TRIALS),
            ],
            env=environ,
        )
        for owner in owners
    ]
    time.sleep(2)  # let every worker start and wait at the gate
    gate.touch()
    assert [worker.wait(timeout=600) for worker in workers] == [0] * PROCESSES
    # Every person was named by every process: one tag each, all shares in it, one match.
    assert Tag.objects.count() == TRIALS
    per_tag = Share.objects.values("tag").annotate(n=Count("id"))
    assert sorted(row["n"] for row in per_tag) == [PROCESSES] * TRIALS
    assert Match.objects.count() == TRIALS
    assert Match.objects.values("tag").distinct().count() == TRIALS
