"""``python -m bench load``: the production deployment under a mixed load, on loopback.

Starts what docs/operations.md starts (the custodian service, gunicorn
with its workers, the task worker) on the PostgreSQL of ``DATABASE_URL``, signs up
survivors (each with a record shared with the advocates and an open case) and
advocates, then runs locust headless twice against the same deployment: the health
view alone (the bare Django baseline) and then the mix. Prints throughput and p50/p99
per kind of request, and the mix's ratio to the baseline; and for each run, the CPU time
each part of the machine spent per request (gunicorn's workers, PostgreSQL, locust itself,
the custodian and the task worker), read from /proc while it ran.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PASSWORD = "a long and careful passphrase for load"
SURVIVORS = 16
ADVOCATES = 4


def survivor_who_shared(organization: Any, email: str, name: str) -> tuple[Any, Any, Any, Any]:
    """A survivor with one saved record shared with the advocates and a support case:
    (member, record, grant, case). The load mix and the per-request counts start from her."""
    from chorus.accounts.services.members import member_create
    from chorus.cases.services.core import case_open
    from chorus.records.access import Owner
    from chorus.records.services import sharing, writing

    member, _, vault_key = member_create(
        organization=organization, email=email, display_name=name, password=PASSWORD, roles=set(), actor="bench"
    )
    owner = Owner(organization=organization, vault_key=vault_key, member=member)
    record = writing.record_create(owner)
    story = {"what": "He would not let me pass, and laughed about it.", "when": "last spring"}
    version = writing.record_save(owner, record, story)
    assert version is not None
    grant = sharing.grant_create(
        owner, record, grantee=None, purpose="support", versions=[version.number], parts=list(story),
        attachment_ids=[], expires_at=None,
    )  # fmt: skip
    case = case_open(member, vault_key, summary="I want it to stop.", pathway="support")
    return member, record, grant, case


def _people(folder: Path) -> Path:
    """Members made through the services, as sign-up and the record pages make them."""
    import django

    django.setup()
    from tests.personas import enrol_two_factor

    from chorus.accounts.services.members import member_create, organization_create
    from chorus.accounts.services.two_factor import totp_new_secret
    from chorus.records.services.team import team_key_ensure

    organization = organization_create(name="Load Test Union", slug="load")
    advocates = []
    for number in range(ADVOCATES):
        email = f"advocate{number}@load.example"
        advocate, _, _ = member_create(
            organization=organization, email=email, display_name=f"Advocate {number}", password=PASSWORD,
            roles={"advocate"}, actor="bench",
        )  # fmt: skip
        secret = totp_new_secret()  # advocates must sign in with a second factor
        enrol_two_factor(advocate, secret)
        advocates.append({"email": email, "totp": secret})
    team_key_ensure(organization)
    survivors, grants, cases = [], [], []
    for number in range(SURVIVORS):
        email = f"survivor{number}@load.example"
        _, record, grant, case = survivor_who_shared(organization, email, f"Survivor {number}")
        survivors.append({"email": email, "record": str(record.pk), "case": str(case.pk)})
        grants.append(str(grant.pk))
        cases.append(str(case.pk))
    people = folder / "people.json"
    people.write_text(json.dumps({"survivors": survivors, "advocates": advocates, "grants": grants, "cases": cases}))
    return people


def _locust(
    url: str, people: Path, folder: Path, classes: list[str], *, users: int, seconds: int
) -> list[dict[str, str]]:
    prefix = folder / "-".join(classes).lower()
    subprocess.run(
        [
            str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
            "--host", url, "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
            "--csv", str(prefix), "--loglevel", "WARNING", "--stop-timeout", "10", *classes,
        ],
        env={
            **os.environ, "CHORUS_LOAD_PEOPLE": str(people), "CHORUS_LOAD_PASSWORD": PASSWORD,
            "PYTHONPATH": str(HERE.parent),
        },
        check=False,  # locust exits 1 when any request failed; the figures say which
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats:
        return list(csv.DictReader(stats))


_PF_KTHREAD = 0x00200000  # a process's flags in /proc: one of the kernel's own threads


class _Cpu:
    """The CPU time (user and system) each part of the machine spends while locust runs: each
    process's counters in /proc, read at the start, every half second, and at the end. A
    process that ends meanwhile (a database connection closed) loses at most its last half
    second; one that starts and ends between two readings is missed (the deployment's
    processes and database connections live for the whole run). The parts: each of the
    deployment's processes with its children (gunicorn's workers), PostgreSQL's processes,
    locust's, the kernel's threads, and the rest of the machine (this process among them)."""

    def __init__(self, roots: dict[int, str]) -> None:
        self.roots = roots
        self.tick = os.sysconf("SC_CLK_TCK")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        # Per process, by its pid and when it started (a pid can be used again): its parent's
        # pid, whether it is the kernel's, its command name and its CPU seconds so far.
        self.first: dict[tuple[int, int], tuple[int, bool, str, float]] = {}
        self.last: dict[tuple[int, int], tuple[int, bool, str, float]] = {}
        self.live: dict[int, tuple[int, int]] = {}  # each pid's latest process

    def _read(self) -> dict[tuple[int, int], tuple[int, bool, str, float]]:
        found = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as stat:
                    text = stat.read()
            except OSError:
                continue
            # The command name may hold spaces or parentheses; the fields after the last ")" do not.
            fields = text[text.rindex(")") + 2 :].split()
            name = text[text.index("(") + 1 : text.rindex(")")]
            seconds = (int(fields[11]) + int(fields[12])) / self.tick
            kernel = bool(int(fields[6]) & _PF_KTHREAD)
            found[(int(entry.name), int(fields[19]))] = (int(fields[1]), kernel, name, seconds)
        return found

    def _update(self) -> None:
        read = self._read()
        self.last.update(read)
        self.live.update({pid: (pid, started) for pid, started in read})

    def _watch(self) -> None:
        while not self.stop.wait(0.5):
            self._update()

    def __enter__(self) -> _Cpu:
        self.started = time.monotonic()
        self.first = self._read()
        self._update()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._update()
        self.seconds = time.monotonic() - self.started

    def _part(self, process: tuple[int, int]) -> str:
        seen = set()
        while process in self.last and process not in seen:
            seen.add(process)
            pid = process[0]
            if pid in self.roots:
                return self.roots[pid]
            parent, kernel, name, _ = self.last[process]
            if kernel:  # loopback networking, disk
                return "kernel"
            if name == "postgres":
                return "postgresql"
            if name == "locust":
                return "locust"
            process = self.live.get(parent, (0, 0))
        return "rest"

    def per_request(self, requests: int) -> dict[str, Any]:
        spent: dict[str, float] = {}
        for process, (_, _, _, seconds) in self.last.items():
            before = self.first[process][3] if process in self.first else 0.0
            part = self._part(process)
            spent[part] = spent.get(part, 0.0) + max(seconds - before, 0.0)
        figures: dict[str, Any] = {
            "cores": len(os.sched_getaffinity(0)),
            "cores_busy": round(sum(spent.values()) / self.seconds, 2),
        }
        for part in ["gunicorn", "postgresql", "locust", "custodian", "worker", "kernel", "rest"]:
            figures[f"{part}_cpu_ms_per_request"] = round(spent.get(part, 0.0) * 1000 / max(requests, 1), 2)
        return figures


def _figures(row: dict[str, str]) -> dict[str, Any]:
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "per_second": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p99_ms": float(row["99%"]),
    }


def bench_load(emit: Callable[..., None], *, users: int = 12, seconds: int = 40, workers: int | None = None) -> None:
    from tests.deployment import Deployment

    from chorus.config.gunicorn import workers as default_workers

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("bench load: run it on PostgreSQL (make bench does)")
    folder = Path(tempfile.mkdtemp(prefix="chorus-load-"))
    workers = workers or default_workers  # the production default: two per core plus one
    settings = {
        "CHORUS_SECRET_KEY": secrets.token_hex(32),
        "CHORUS_DATA_DIR": str(folder / "data"),
        "CHORUS_ESCROW_EVALUATIONS_PER_HOUR": "100000000",
        "CHORUS_ESCROW_ACTIVE_LIMIT": "100000000",
    }
    if os.environ.get("PYTHONPATH"):  # the deployment runs the code this process imports
        settings["PYTHONPATH"] = os.environ["PYTHONPATH"]
    os.environ.update(settings)  # the members below are made with the deployment's own settings
    with Deployment(database_url, folder, workers=workers, env=settings) as deployment:
        people = _people(folder)
        roots = {process.pid: name for name, process in deployment.processes.items()}
        with _Cpu(roots) as bare_cpu:
            bare = _locust(deployment.url, people, folder, ["Bare"], users=users, seconds=seconds // 2)
        with _Cpu(roots) as mix_cpu:
            mix = _locust(deployment.url, people, folder, ["Survivor", "Advocate"], users=users, seconds=seconds)
    baseline = _figures(next(row for row in bare if row["Name"] == "Aggregated"))
    emit(bench="load_bare_view", workers=workers, users=users, seconds=seconds // 2, **baseline)
    for row in mix:
        if row["Name"] != "Aggregated":
            figures = _figures(row)
            # A kind's requests per second are its share of the mix: only its latency compares.
            emit(bench="load_mix", request=row["Name"], **figures, **_against(figures, baseline, throughput=False))
    total = _figures(next(row for row in mix if row["Name"] == "Aggregated"))
    emit(bench="load_mix_total", workers=workers, users=users, seconds=seconds, **total, **_against(total, baseline))
    # Where the machine's time went, per request: what the ratio above is made of.
    emit(bench="load_cpu", run="bare view", requests=baseline["requests"], **bare_cpu.per_request(baseline["requests"]))
    emit(bench="load_cpu", run="mix", requests=total["requests"], **mix_cpu.per_request(total["requests"]))


def _against(figures: dict[str, Any], baseline: dict[str, Any], *, throughput: bool = True) -> dict[str, Any]:
    """A figure beside the bare view's from the same run, and their ratio: the machine's
    load and speed cancel out of the ratio, not out of the figures."""
    compared: dict[str, Any] = {"bare_p50_ms": baseline["p50_ms"], "bare_p99_ms": baseline["p99_ms"]}
    if throughput:
        compared["bare_per_second"] = baseline["per_second"]
        compared["throughput_vs_bare"] = round(figures["per_second"] / max(baseline["per_second"], 0.1), 3)
    compared["p50_vs_bare"] = round(figures["p50_ms"] / max(baseline["p50_ms"], 1), 1)
    compared["p99_vs_bare"] = round(figures["p99_ms"] / max(baseline["p99_ms"], 1), 1)
    return compared
