"""``python -m bench requests``: what each kind of request of the load mix costs in-process.

The same people and requests as ``bench load`` (bench/locustfile.py), sent through Django's
test client in this process: per request kind, the median time, the SQL queries and the
commits (transactions ended, whether by an atomic block or a write in autocommit). Run with
``--profile`` for where the time goes (cProfile, grouped: libsodium and crypto, templates,
database, the rest; each kind's profile is kept in the temporary folder).
"""

from __future__ import annotations

import cProfile
import pstats
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

PASSWORD = "a long and careful passphrase for load"


# The project's functions in PostgreSQL that write; a call outside a transaction commits.
_WRITING_FUNCTIONS = ("escrow_entry_file(", "ledger_append_event(", "ratelimit_consume(")


class _Counter:
    def __init__(self) -> None:
        self.queries = 0
        self.commits = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        from django.db import connection

        self.queries += 1
        writes = sql.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"} or any(
            function in sql for function in _WRITING_FUNCTIONS
        )
        if not connection.in_atomic_block and writes:
            self.commits += 1
        return execute(sql, params, many, context)


def _kinds() -> tuple[dict[str, Callable[[], Any]], Any]:
    import pyotp
    from django.conf import settings
    from django.test import Client
    from tests.personas import enrol_two_factor

    from bench.load import survivor_who_shared
    from chorus.accounts.services.members import member_create, organization_create
    from chorus.accounts.services.two_factor import totp_new_secret
    from chorus.records.services.team import team_key_ensure

    organization = organization_create(name="Requests", slug="requests")
    advocate, _, _ = member_create(
        organization=organization, email="advocate@requests.example", display_name="Advocate", password=PASSWORD,
        roles={"advocate"}, actor="bench",
    )  # fmt: skip
    secret = totp_new_secret()
    enrol_two_factor(advocate, secret)
    team_key_ensure(organization)
    _, record, grant, case = survivor_who_shared(organization, "survivor@requests.example", "Survivor")

    survivor = Client(HTTP_HOST="127.0.0.1")
    assert survivor.post("/sign-in/", {"email": "survivor@requests.example", "password": PASSWORD}).status_code == 302
    helper = Client(HTTP_HOST="127.0.0.1")
    response = helper.post("/sign-in/", {"email": "advocate@requests.example", "password": PASSWORD})
    response = helper.post("/sign-in/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response
    assert response["Location"] == "/", response
    paused = [False]

    def expect(response: Any, status: int) -> Any:
        assert response.status_code == status, (response.status_code, response.content[:300])
        if status == 302:
            # A browser loads the page it is sent to, which shows the step's message and
            # deletes the messages cookie. Without that page, messages would pile up to the
            # cookie's size limit, and every later step would pay for re-sealing a full cookie.
            survivor.cookies.pop(settings.CHORUS_MESSAGES_COOKIE_NAME, None)
        return response

    def move_case() -> Any:
        step = "resume" if paused[0] else "pause"
        paused[0] = not paused[0]
        return expect(survivor.post(f"/cases/{case.pk}/act/{step}/", {}), 302)

    def escrow() -> Any:
        address = f"someone-{random.getrandbits(40):x}@example.org"
        choices = {"tell_me": "yes", "would_meet": "no", "release": "contact"}
        return expect(survivor.post("/escrow/new/", {"kind_0": "email", "text_0": address, **choices}), 302)

    kinds: dict[str, Callable[[], Any]] = {
        "bare Django view": lambda: expect(Client(HTTP_HOST="127.0.0.1").get("/healthz/"), 200),
        "home (survivor)": lambda: expect(survivor.get("/"), 200),
        "record: autosave draft": lambda: expect(
            survivor.post(f"/records/{record.pk}/draft/", {"what": f"now {random.getrandbits(48):x}"}), 200
        ),
        "record: save version": lambda: expect(
            survivor.post(f"/records/{record.pk}/", {"what": f"saved {random.getrandbits(48):x}", "when": "x"}), 302
        ),
        "record: list": lambda: expect(survivor.get("/records/"), 200),
        "escrow: submit entry": escrow,
        "case: pause or resume": move_case,
        "advocate: inbox": lambda: expect(helper.get("/advocates/inbox/"), 200),
        "advocate: read shared record": lambda: expect(helper.get(f"/advocates/shared/{grant.pk}/"), 200),
        "advocate: case page": lambda: expect(helper.get(f"/cases/{case.pk}/"), 200),
    }
    return kinds, None


def _group(stats: pstats.Stats) -> dict[str, float]:
    """Own time per area, from the profile's self-times (tottime)."""
    areas: dict[str, float] = defaultdict(float)
    for (filename, _, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{function}"
        if "nacl" in where or "sodium" in where or "chorus/crypto" in where or "argon2" in where:
            area = "crypto"
        elif "django/template" in where or "templatetags" in where:
            area = "templates"
        elif "django/db" in where or "psycopg" in where or "sqlite3" in where or "execute" in function:
            area = "database"
        elif "translation" in where or "gettext" in where:
            area = "translations"
        else:
            area = "python"
        areas[area] += tottime
    return areas


def _counting(commit: Callable[[], None], commits: list[int]) -> Callable[[], None]:
    def counting_commit() -> None:
        commits[0] += 1
        commit()

    return counting_commit


def bench_requests(emit: Callable[..., None], *, rounds: int = 60, profile: bool = False) -> None:
    from django.db import connection

    kinds, _ = _kinds()
    for name, send in kinds.items():
        for _ in range(3):
            send()  # warm: templates compiled, connections open
        counter = _Counter()
        commits = [0]
        connection.commit = _counting(connection.commit, commits)  # type: ignore[method-assign]
        try:
            with connection.execute_wrapper(counter):
                samples = []
                cpu_start = time.process_time()
                profiler = cProfile.Profile() if profile else None
                for _ in range(rounds):
                    start = time.perf_counter()
                    if profiler is not None:
                        profiler.enable()
                    send()
                    if profiler is not None:
                        profiler.disable()
                    samples.append((time.perf_counter() - start) * 1000)
            cpu_ms = (time.process_time() - cpu_start) * 1000 / rounds
        finally:
            del connection.commit
        figures: dict[str, Any] = {
            "request": name,
            "database": connection.vendor,
            "p50_ms": round(statistics.median(samples), 2),
            "cpu_ms": round(cpu_ms, 2),
            "queries": round(counter.queries / rounds, 1),
            "commits": round((counter.commits + commits[0]) / rounds, 1),
        }
        if profiler is not None:
            stats = pstats.Stats(profiler)
            total = sum(_group(stats).values()) or 1
            for area, seconds in sorted(_group(stats).items()):
                figures[f"{area}_ms"] = round(seconds * 1000 / rounds, 2)
            figures["profiled_ms"] = round(total * 1000 / rounds, 2)
            stats.dump_stats(
                Path(tempfile.gettempdir()) / f"chorus-requests-{name.replace(' ', '_').replace(':', '')}.prof"
            )
        emit(bench="request_cost", **figures)
