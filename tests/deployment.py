"""Chorus as it is deployed (docs/operations.md), started on loopback:
the custodian as its own service, gunicorn with several workers, and the task worker.

Used by the deployment tests (faults, database restarts, a leak dump) and by
``make bench``'s load benchmark. Every process is started from the installed ``chorus``
and ``gunicorn`` commands with the production settings module, exactly as docs/operations.md says.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pyotp
import requests

BIN = Path(sys.executable).parent


def database_url_of_tests() -> str:
    """The PostgreSQL database the tests use, as an address another process can open."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def shared_settings() -> dict[str, str]:
    """What the deployment must share with the test process to serve its data: the same
    secret key, key files, attachment folder and password cost as tests/settings.py."""
    from django.conf import settings

    return {
        "CHORUS_SECRET_KEY": settings.SECRET_KEY,
        "CHORUS_ESCROW_KEY_FILE": str(settings.CHORUS_ESCROW_KEY_PATH),
        "CHORUS_LEDGER_SIGNING_KEY_FILE": str(settings.CHORUS_LEDGER_SIGNING_KEY_PATH),
        "CHORUS_ATTACHMENTS_DIR": str(settings.CHORUS_ATTACHMENTS_DIR),
        "CHORUS_ARGON2_MEMORY_KIB": str(settings.CHORUS_ARGON2["memory_kib"]),
        "CHORUS_ARGON2_ITERATIONS": str(settings.CHORUS_ARGON2["iterations"]),
        "CHORUS_ARGON2_PARALLELISM": str(settings.CHORUS_ARGON2["parallelism"]),
        "CHORUS_ESCROW_EVALUATIONS_PER_HOUR": "100000",
        "CHORUS_ESCROW_ACTIVE_LIMIT": "1000",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid`` (gunicorn's workers under its arbiter)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or parentheses; the fields after the last ")" do not.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] not in {"Z", "X"}:
            found.append(int(entry.name))
    return found


class Visitor:
    """One person's browser, reduced to what a form needs: cookies and the CSRF token."""

    TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self._token = ""

    def get(self, path: str, **options: object) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=30, **options)  # type: ignore[arg-type]

    @property
    def token(self) -> str:
        if not self._token:
            self.refresh_token()
        return self._token

    def refresh_token(self) -> None:
        found = self.TOKEN.search(self.get("/").text)
        assert found, "no CSRF token on the home page"
        self._token = found.group(1)

    def post(self, path: str, data: Mapping[str, object], **options: object) -> requests.Response:
        return self.http.post(
            self.base_url + path,
            data={**data, "csrfmiddlewaretoken": self.token},
            allow_redirects=False,
            timeout=30,
            **options,  # type: ignore[arg-type]
        )

    def sign_in(self, email: str, password: str, totp_secret: str = "") -> None:
        response = self.post("/sign-in/", {"email": email, "password": password})
        if totp_secret and response.headers.get("Location") == "/sign-in/two-factor/":
            response = self.post("/sign-in/two-factor/", {"code": pyotp.TOTP(totp_secret).now()})
        assert response.status_code == 302 and response.headers["Location"] == "/", response.text[:300]
        self.refresh_token()  # sign-in rotates it


class Deployment:
    """Start with ``start()``, stop with ``stop()`` (or use it as a context manager)."""

    def __init__(self, database_url: str, folder: Path, *, workers: int = 3, env: Mapping[str, str] | None = None):
        self.folder = folder
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(folder)),
            "LANG": "C.UTF-8",
            "DJANGO_SETTINGS_MODULE": "chorus.config.settings",
            "DATABASE_URL": database_url,
            "CHORUS_DATA_DIR": str(folder / "data"),
            "CHORUS_BIND": f"127.0.0.1:{self.port}",
            "CHORUS_WORKERS": str(workers),
            "CHORUS_ALLOWED_HOSTS": "127.0.0.1",
            "CHORUS_BASE_URL": self.url,
            "CHORUS_HTTPS": "false",
            "CHORUS_EMAIL_URL": "console:",
            "CHORUS_LOG_LEVEL": "WARNING",
            **(env or {}),
        }

    def _log(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    def _spawn(self, name: str, command: list[str]) -> None:
        with self._log(name).open("ab") as log:  # the child keeps its own copy of the descriptor
            self.processes[name] = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder
            )

    def run(self, *arguments: str) -> str:
        done = subprocess.run(
            [str(BIN / "chorus"), *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=self.folder,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"chorus {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> Deployment:
        custodian = self.folder / "custodian"
        custodian.mkdir(parents=True, exist_ok=True)
        token_file = custodian / "token"
        self.run("custodian", "new-token", "--token-file", str(token_file))
        key_file = custodian / "key"
        self._spawn(
            "custodian",
            [
                str(BIN / "chorus"),
                "custodian",
                "serve",
                "--key-file",
                str(key_file),
                "--state-file",
                str(custodian / "state.sqlite3"),
                "--token-file",
                str(token_file),
                "--port",
                "0",
                "--per-requester-per-hour",
                "100000",
                "--total-per-hour",
                "1000000",
            ],
        )
        custodian_url = self._wait_for_log("custodian", r"listening on (http://\S+?)/?$")
        self.env.update(
            {
                "CHORUS_CUSTODIAN_URL": custodian_url,
                "CHORUS_CUSTODIAN_TOKEN": token_file.read_text().strip(),
                "CHORUS_CUSTODIAN_PUBLIC_KEY": self.run("custodian", "public-key", "--key-file", str(key_file)).strip(),
                # The witness key beside it (the custodian's default), pinned as docs/operations.md says.
                "CHORUS_WITNESS_PUBLIC_KEY": self.run(
                    "custodian", "witness-key", "--witness-key-file", str(key_file.with_name("witness.key"))
                ).strip(),
            }
        )
        self.run("migrate", "--no-input", "-v0")
        self._spawn("gunicorn", [str(BIN / "gunicorn"), "-c", "python:chorus.config.gunicorn"])
        self._spawn("worker", [str(BIN / "chorus"), "worker", "--interval", "0.5"])
        self.wait_ready()
        return self

    def _wait_for_log(self, name: str, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self._log(name).read_text(errors="replace").splitlines():
                found = re.search(pattern, line)
                if found:
                    return found.group(1)
            if self.processes[name].poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"{name} did not start:\n{self._log(name).read_text(errors='replace')}")

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every worker is up: the health view answers and the arbiter has its workers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["gunicorn"].poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self._log('gunicorn').read_text(errors='replace')}")
            try:
                answered = requests.get(f"{self.url}/healthz/", timeout=2).status_code == 200
            except requests.RequestException:
                answered = False
            if answered and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn is not ready:\n{self._log('gunicorn').read_text(errors='replace')}")

    def add_app_server(self, name: str, *, workers: int = 1) -> str:
        """Another gunicorn on its own port, sharing this deployment's database, key files and
        attachments folder (as a second machine behind the proxy would); returns its address."""
        port = free_port()
        env = {**self.env, "CHORUS_BIND": f"127.0.0.1:{port}", "CHORUS_WORKERS": str(workers)}
        with self._log(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "python:chorus.config.gunicorn"],
                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self._log(name).read_text(errors='replace')}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz/", timeout=2).status_code == 200:
                    return url
            time.sleep(0.05)
        raise RuntimeError(f"{name} is not ready:\n{self._log(name).read_text(errors='replace')}")

    def worker_pids(self) -> list[int]:
        return children_of(self.processes["gunicorn"].pid)

    def kill(self, pids: list[int]) -> None:
        """kill -9 these gunicorn workers at once (whichever is serving a request dies mid-way)."""
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def alive(self) -> dict[str, bool]:
        return {name: process.poll() is None for name, process in self.processes.items()}

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
