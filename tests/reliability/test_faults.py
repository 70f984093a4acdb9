"""The production deployment (gunicorn workers, the custodian service, the task worker, on
PostgreSQL) under faults: app processes killed with SIGKILL in the middle of record saves,
escrow submissions that complete a match and case transitions — each of them ledgered —
and the database restarted under load. Nothing is lost or half done.

These run in the PostgreSQL pass of ``make test``; the deployment serves the test
database, so the checks read the same rows the pages wrote.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import requests
from django.db import connection

from chorus.cases.models import Case
from chorus.cases.services.core import case_open
from chorus.escrow.models import Entry, Match, Share
from chorus.ledger.models import LedgerEvent
from chorus.records.models import Record, RecordVersion
from tests.deployment import Deployment, Visitor, database_url_of_tests, shared_settings
from tests.personas import PASSWORD, Personas, add_member, make_personas

CUT_OFF = 8  # requests per kind that a kill must interrupt mid-way
ATTEMPTS = 6 * CUT_OFF  # kills that land between requests count too, but only up to this many
pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("ledger_flushable")]


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test (gunicorn's workers share one database)")
    with Deployment(database_url_of_tests(), tmp_path, workers=3, env=shared_settings()) as running:
        yield running


@pytest.fixture
def people() -> Personas:
    return make_personas()


def _visitor(deployment: Deployment, email: str) -> Visitor:
    visitor = Visitor(deployment.url)
    visitor.sign_in(email, PASSWORD)
    return visitor


def _kill_during(deployment: Deployment, request: Callable[[], requests.Response], window: float) -> bool:
    """Send the request and kill -9 the app processes at a random moment within ``window``
    seconds; wait until gunicorn has its workers again. True if the request was cut off."""
    workers = deployment.worker_pids()  # found before, so the kill itself is immediate
    outcome: list[object] = []
    sender = threading.Thread(target=lambda: outcome.append(_attempt(request)))
    sender.start()
    time.sleep(random.uniform(0, window))
    deployment.kill(workers)
    sender.join(timeout=60)
    deployment.wait_ready()
    return isinstance(outcome[0], requests.ConnectionError)


def _kill_until_cut_off(
    deployment: Deployment,
    attempt: Callable[[int], Callable[[], requests.Response]],
    check: Callable[[], None],
    during: str,
) -> None:
    """Kill during ``attempt(n)``'s request, ``check`` what is stored after each kill, until
    CUT_OFF requests were cut off mid-way; then the whole ledger must verify. A few
    attempts without a kill first measure how long the request takes."""
    window = 1.5 * _timed(attempt)
    cut_off = 0
    for number in range(ATTEMPTS):
        if cut_off >= CUT_OFF:
            break
        cut_off += _kill_during(deployment, attempt(number), window)
        check()
    assert cut_off >= CUT_OFF, f"only {cut_off} of {ATTEMPTS} kills landed during {during}"
    _ledger_verifies(deployment)


def _attempt(request: Callable[[], requests.Response]) -> object:
    try:
        return request()
    except requests.ConnectionError as error:
        return error


def _timed(attempt: Callable[[int], Callable[[], requests.Response]], runs: int = 4) -> float:
    samples = []
    for number in range(-runs, 0):
        request = attempt(number)
        started = time.perf_counter()
        assert request().status_code in (200, 302)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _ledger_verifies(deployment: Deployment) -> None:
    output = deployment.run("ledger", "verify")  # exits 1, naming the bad event, if broken
    assert "intact" in output, output


def _events(action: str, **refs: str) -> list[LedgerEvent]:
    events = LedgerEvent.objects.filter(action=action).order_by("chain", "seq")
    return [event for event in events if all(event.refs.get(key) == value for key, value in refs.items())]


def test_killing_app_processes_mid_save_loses_no_text_and_leaves_no_partial_version(
    deployment: Deployment, people: Personas
) -> None:
    survivor = _visitor(deployment, "survivor@riverside.example")
    created = survivor.post("/records/new/", {"title": "Started"})
    record_path = created.headers["Location"]
    record_id = record_path.strip("/").rsplit("/", 1)[1]
    typed: list[str] = []

    def save(attempt: int) -> Callable[[], requests.Response]:
        typed.append(f"What happened, told for the {attempt}th time, {random.getrandbits(64):x}")
        # The page's autosave has kept the text as a draft before the survivor presses Save.
        assert survivor.post(f"{record_path}draft/", {"what": typed[-1]}).json()["saved"] is True
        return partial(survivor.post, record_path, {"what": typed[-1]})

    def check() -> None:
        page = survivor.get(record_path)
        assert page.status_code == 200
        assert typed[-1] in page.text, "the survivor's text is on the page, saved or as their restored draft"
        versions = list(RecordVersion.objects.filter(record_id=record_id).order_by("number"))
        assert [version.number for version in versions] == list(range(1, len(versions) + 1))
        saved = _events("record.version_saved", record=record_id)
        assert sorted(int(event.refs["version"]) for event in saved) == [v.number for v in versions], (
            "every version ledgered, once, and no ledger event for a version that is not there"
        )

    _kill_until_cut_off(deployment, save, check, "a save")
    assert Record.objects.filter(pk=record_id).count() == 1


def test_killing_app_processes_mid_escrow_submission_never_half_makes_a_match(
    deployment: Deployment, people: Personas
) -> None:
    add_member(people.organization, "second", set())
    first = _visitor(deployment, "survivor@riverside.example")
    second = _visitor(deployment, "second@riverside.example")

    def name(visitor: Visitor, address: str) -> requests.Response:
        return visitor.post(
            "/escrow/new/",
            {"kind_0": "email", "text_0": address, "tell_me": "yes", "would_meet": "no", "release": "contact"},
        )

    matches_before: list[int] = []

    def submit(attempt: int) -> Callable[[], requests.Response]:
        address = f"person-{attempt}-{random.getrandbits(32):x}@example.org"
        assert name(first, address).status_code == 302
        matches_before.append(Match.objects.count())
        return partial(name, second, address)

    def check() -> None:
        # Every tag named by enough different people has exactly one match, and no match
        # exists for a tag that has not been named enough times: all or nothing.
        for tag_id, threshold, owners in _tags():
            matched = Match.objects.filter(tag_id=tag_id).exists()
            assert matched == (owners >= threshold), f"tag {tag_id}: {owners} owners, matched={matched}"
        assert Match.objects.count() - matches_before[-1] in (0, 1)
        added = _events("escrow.entry_added")
        assert sorted(event.refs["entry"] for event in added) == sorted(
            str(pk) for pk in Entry.objects.values_list("pk", flat=True)
        ), "every entry ledgered, once"
        ledgered_matches = {match for event in added for match in event.refs["matches"]}
        assert ledgered_matches == {str(pk) for pk in Match.objects.values_list("pk", flat=True)}

    _kill_until_cut_off(deployment, submit, check, "a submission")


def _tags() -> list[tuple[int, int, int]]:
    owners: dict[int, set[bytes]] = {}
    thresholds: dict[int, int] = {}
    for share in Share.objects.filter(entry__withdrawn_at=None).select_related("entry", "tag"):
        owners.setdefault(share.tag_id, set()).add(bytes(share.entry.owner_tag))
        thresholds[share.tag_id] = share.tag.threshold
    return [(tag, thresholds[tag], len(found)) for tag, found in owners.items()]


def test_killing_app_processes_mid_case_transition_keeps_case_and_ledger_in_step(
    deployment: Deployment, people: Personas
) -> None:
    case = case_open(
        people.members["survivor"], people.vault_keys["survivor"], summary="It has to stop.", pathway="support"
    )
    survivor = _visitor(deployment, "survivor@riverside.example")
    act = f"/cases/{case.pk}/act/"

    def move(attempt: int) -> Callable[[], requests.Response]:
        # The step is read here, in the test's thread (the request itself runs in another).
        return partial(survivor.post, act + ("resume/" if _paused(case) else "pause/"), {})

    def check() -> None:
        moves = [e.action for e in _events("case.pause", case=str(case.pk)) + _events("case.resume", case=str(case.pk))]
        counted = Counter(moves)
        assert counted["case.pause"] - counted["case.resume"] == (1 if _paused(case) else 0), (
            "the case's state is exactly what its ledger says happened"
        )
        page = survivor.get(f"/cases/{case.pk}/")
        assert page.status_code == 200

    _kill_until_cut_off(deployment, move, check, "a transition")


def _paused(case: Case) -> bool:
    case.refresh_from_db()
    return case.paused


def _pg_ctl(action: str) -> None:
    command = [os.environ["CHORUS_TEST_PG_CTL"], "-D", os.environ["CHORUS_TEST_PGDATA"], "-w", "-m", "fast"]
    command += ["-l", os.environ["CHORUS_TEST_PG_LOG"], action] if action == "start" else [action]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


@pytest.mark.restarts_database
def test_a_database_restart_fails_requests_cleanly_and_they_succeed_after(
    deployment: Deployment, people: Personas
) -> None:
    if "CHORUS_TEST_PGDATA" not in os.environ:
        pytest.skip("needs the throwaway cluster of scripts/with-postgres.sh")
    survivor = _visitor(deployment, "survivor@riverside.example")
    record_path = survivor.post("/records/new/", {"title": "Started"}).headers["Location"]
    statuses: Counter[str] = Counter()
    unclear: list[str] = []
    stop = threading.Event()

    def load(index: int) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            try:
                if number % 2:
                    response = survivor.post(record_path, {"what": f"load {index} {number}"})
                else:
                    response = survivor.get("/records/")
            except requests.RequestException as error:
                statuses[type(error).__name__] += 1
            else:
                statuses[str(response.status_code)] += 1
                if response.status_code not in (200, 302, 503):
                    unclear.append(f"{response.status_code}: {response.text[:2000]}")
                if response.status_code == 503 and (
                    "cannot reach its database" not in response.text or response.headers.get("Retry-After") != "30"
                ):
                    unclear.append(response.text[:200])
            time.sleep(0.02)

    threads = [threading.Thread(target=load, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        _pg_ctl("stop")
        time.sleep(2)  # requests meanwhile find no database
        during = Counter(statuses)
        _pg_ctl("start")
        connection.close()  # this test's own connection died with the server too
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert during["503"] > 0, f"no request met the stopped database: {during}"
    assert set(statuses) <= {"200", "302", "503"}, f"requests failed uncleanly: {statuses} {unclear}"
    assert unclear == [], "every 503 says what happened and when to try again"
    # Afterwards every request succeeds again, on every worker (each must reconnect).
    after = [survivor.get("/records/").status_code for _ in range(12)]
    assert after == [200] * 12
    assert survivor.post(record_path, {"what": "after the restart"}).status_code == 302
    assert "after the restart" in survivor.get(record_path).text
    assert deployment.alive() == {"custodian": True, "gunicorn": True, "worker": True}
    # The task worker waited for the database and goes on: a queued email is sent.
    assert _worker_runs_a_task(people)
    _ledger_verifies(deployment)


def _worker_runs_a_task(people: Personas) -> bool:
    import chorus.escrow.services.entries  # noqa: F401 - registers the task's handler in this process too
    from chorus.web.models import Task
    from chorus.web.tasks import task_enqueue

    task_enqueue("escrow.match_notice", {"organization": str(people.organization.pk)})
    task = Task.objects.order_by("-pk").first()
    assert task is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        task.refresh_from_db()
        if task.done_at is not None:
            return True
        time.sleep(0.2)
    return False
