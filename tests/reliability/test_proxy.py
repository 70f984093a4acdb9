"""The deployment as deploy/ ships it: nginx with the shipped site configuration (only its
host name, ports and certificate changed for loopback) terminating TLS in front of two app
servers that share one database, as two machines behind a proxy would.

What a member would notice if it were wrong: a session that works on one app server and not
the other (signed out, or a record that no longer opens because the vault key is lost); a
site reachable over plain HTTP; and, behind the proxy, every member sharing one address, so
that one person guessing passwords locks everyone out of signing in."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

from tests.deployment import Deployment, Visitor, database_url_of_tests, free_port, shared_settings
from tests.personas import PASSWORD, make_personas
from tests.records.factory import STORY, survivor_record

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("ledger_flushable")]

SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "chorus.conf"
LOCKED = "Too many attempts"


class _From(requests.adapters.HTTPAdapter):
    """Connections from one loopback address (127.0.0.0/8 is all local on Linux), so that
    the proxy sees different clients."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _browser(base_url: str, address: str, certificate: Path) -> Visitor:
    visitor = Visitor(base_url)
    visitor.http.mount("https://", _From(address))
    visitor.http.mount("http://", _From(address))
    visitor.http.verify = str(certificate)
    visitor.http.trust_env = False  # a CA bundle named in the environment would win over verify
    # What Chromium sends with a form post under Referrer-Policy: no-referrer.
    visitor.http.headers.update({"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    return visitor


def _certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


def _site(folder: Path, *, http_port: int, https_port: int, certificate: Path, key: Path) -> Path:
    """The shipped site file with only what a real host would change: its name, the ports it
    listens on, its certificate, its error log, and the app servers it passes to."""
    text = SITE.read_text()
    replacements = {
        "    listen 80;\n": f"    listen 127.0.0.1:{http_port};\n",
        "    listen [::]:80;\n": "",
        "    listen 443 ssl http2;\n": f"    listen 127.0.0.1:{https_port} ssl http2;\n",
        "    listen [::]:443 ssl http2;\n": "",
        "chorus.example.org;": "127.0.0.1;",
        "/etc/letsencrypt/live/chorus.example.org/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/chorus.example.org/privkey.pem": str(key),
        "/var/log/nginx/chorus-error.log": str(folder / "error.log"),
        "proxy_pass http://127.0.0.1:8000;": "proxy_pass http://chorus_app;",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/chorus.conf no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    site = folder / "chorus.conf"
    site.write_text(text)
    return site


def _nginx(folder: Path, site: Path, app_servers: list[str]) -> Path:
    upstream = "".join(
        f"        server {url.removeprefix('http://')} max_fails=1 fail_timeout=30s;\n" for url in app_servers
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir(exist_ok=True)
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log stderr warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"    client_body_temp_path {folder}/body;\n    proxy_temp_path {folder}/proxy;\n"
        f"    fastcgi_temp_path {folder}/fastcgi;\n    uwsgi_temp_path {folder}/uwsgi;\n"
        f"    scgi_temp_path {folder}/scgi;\n"
        f"    upstream chorus_app {{\n{upstream}    }}\n"
        f"    include {site};\n"
        "}\n"
    )
    return main


def _wait_for(url: str, certificate: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2, verify=str(certificate)).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"nginx did not answer at {url}")


def test_two_app_servers_behind_the_shipped_proxy(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test (a production deployment)")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is not installed (scripts/system-packages.sh test installs it)"
    personas = make_personas()
    built = survivor_record(personas)
    http_port, https_port = free_port(), free_port()
    base = f"https://127.0.0.1:{https_port}"
    env = {
        **shared_settings(),
        "CHORUS_HTTPS": "true",
        "CHORUS_BASE_URL": base,
        "CHORUS_SIGNIN_MAX_FAILURES_PER_IP": "3",
        "CHORUS_SIGNIN_MAX_FAILURES": "50",
    }
    certificate, key = _certificate(tmp_path)
    with Deployment(database_url_of_tests(), tmp_path, workers=1, env=env) as deployment:
        second = deployment.add_app_server("gunicorn-b")
        site = _site(tmp_path, http_port=http_port, https_port=https_port, certificate=certificate, key=key)
        main = _nginx(tmp_path, site, [deployment.url, second])
        checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(main), "-e", "stderr"],
                                 check=False, capture_output=True, text=True)  # fmt: skip
        assert checked.returncode == 0, checked.stderr
        with (tmp_path / "nginx.log").open("wb") as log:  # nginx keeps its own copy of the descriptor
            proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(main), "-e", "stderr"],
                                     stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
        try:
            _wait_for(f"{base}/healthz/", certificate)

            plain = requests.get(f"http://127.0.0.1:{http_port}/records/", allow_redirects=False, timeout=5)
            assert plain.status_code == 301
            assert plain.headers["Location"] == "https://127.0.0.1/records/"
            welcome = requests.get(f"{base}/", timeout=5, verify=str(certificate))
            assert "max-age=" in welcome.headers["Strict-Transport-Security"]

            # One survivor's session, served by both app servers in turn (round robin).
            survivor = _browser(base, "127.0.0.2", certificate)
            survivor.sign_in("survivor@riverside.example", PASSWORD)
            for _ in range(6):
                page = survivor.get(f"/records/{built.record.pk}/")
                assert page.status_code == 200 and STORY["what"] in page.text

            # One machine goes away: the other carries the session on, vault key and all.
            deployment.processes["gunicorn"].terminate()
            deployment.processes["gunicorn"].wait(timeout=30)
            for _ in range(4):
                page = survivor.get(f"/records/{built.record.pk}/")
                assert page.status_code == 200 and STORY["what"] in page.text

            # Someone guessing passwords from another address is stopped at its limit, even
            # when claiming another address in X-Forwarded-For (the proxy sets the header)...
            guesser = _browser(base, "127.0.0.3", certificate)
            for attempt in range(5):
                refused = guesser.post(
                    "/sign-in/",
                    {"email": f"nobody{attempt}@riverside.example", "password": "wrong guess"},
                    headers={"X-Forwarded-For": f"198.51.100.{attempt}"},
                )
                assert refused.status_code == 200
            assert LOCKED in refused.text
            # ...and everyone else behind the same proxy still signs in.
            colleague = _browser(base, "127.0.0.4", certificate)
            colleague.sign_in("advocate@riverside.example", PASSWORD, personas.totp_secrets.get("advocate", ""))
            assert colleague.get("/").status_code == 200
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)
