"""The deployment files in deploy/ are what an operator copies: they must pass Django's and
Chorus's deployment checks as shipped, name only settings that exist, and give the services
write access to exactly the folders the settings point at."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import RequestFactory, override_settings

from chorus.accounts.views.signin import client_ip
from chorus.config import env

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
BIN = Path(sys.executable).parent
UNITS = sorted((DEPLOY / "systemd").glob("chorus-*.*"))


def _shipped_settings() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "chorus.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


def test_the_shipped_settings_are_all_declared() -> None:
    declared = {setting.name: setting for setting in env.SETTINGS}
    for name in _shipped_settings():
        base = name.removesuffix("_FILE")
        assert name in declared or (base in declared and declared[base].secret), (
            f"deploy/chorus.env: {name} is no setting"
        )


def test_check_deploy_passes_on_the_shipped_settings(tmp_path: Path) -> None:
    """`chorus check --deploy`, with the shipped file's paths moved under a scratch folder and
    its placeholders filled as an operator would: no warning at all."""
    values = _shipped_settings()
    for name, value in values.items():
        if value.startswith("/"):
            values[name] = str(tmp_path / value.lstrip("/"))
    secrets_given = {
        "CHORUS_SECRET_KEY_FILE": "b9c1f0e6a2d84e7f9c3b5a1d6e8f0a2c4b6d8e0f1a3c5e7b9d1f3a5c7e9b1d3f",
        "CHORUS_EMAIL_URL_FILE": "smtp+starttls://chorus:secret@mail.example.org:587",
        "CHORUS_CUSTODIAN_TOKEN_FILE": "a-long-random-token-from-chorus-custodian-new-token",
    }
    for name, content in secrets_given.items():
        Path(values[name]).parent.mkdir(parents=True, exist_ok=True)
        Path(values[name]).write_text(content)
    assert values["CHORUS_CUSTODIAN_PUBLIC_KEY"].startswith("REPLACE")
    assert values["CHORUS_WITNESS_PUBLIC_KEY"].startswith("REPLACE")
    values["CHORUS_CUSTODIAN_PUBLIC_KEY"] = "VTFuWQ8xQ0VmrFxLvxy0e6PgtgiBDuKjmDGDcjfTiSU="
    values["CHORUS_WITNESS_PUBLIC_KEY"] = "3b" * 32
    checked = subprocess.run(
        [str(BIN / "chorus"), "check", "--deploy", "--fail-level", "WARNING"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **values},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout


def test_chorus_checks_that_csrf_protection_is_installed() -> None:
    assert [error.id for error in run_checks(tags=["security"], include_deployment_checks=True)
            if (error.id or "").startswith("chorus.")] == []  # fmt: skip
    from django.conf import settings

    without = [path for path in settings.MIDDLEWARE if "csrf" not in path.lower()]
    with override_settings(MIDDLEWARE=without):
        found = run_checks(tags=["security"], include_deployment_checks=True)
    assert "chorus.E001" in [error.id for error in found]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_systemd_units_verify(unit: Path, tmp_path: Path) -> None:
    """systemd's own parser accepts each unit without a warning (an unknown or misspelt key
    is only a warning to systemd, and a silently ignored hardening option is no hardening)."""
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/opt/chorus/.venv/bin/", f"{BIN}/"))
    for sibling in UNITS:  # a timer needs its service beside it
        if sibling != unit:
            (tmp_path / sibling.name).write_text(sibling.read_text().replace("/opt/chorus/.venv/bin/", f"{BIN}/"))
    verified = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(copy)], check=False, capture_output=True, text=True
    )
    complaints = [line for line in (verified.stdout + verified.stderr).splitlines()
                  if unit.name in line or "Unknown" in line or "Failed" in line]  # fmt: skip
    assert verified.returncode == 0 and complaints == [], verified.stdout + verified.stderr


SERVICES = [unit for unit in UNITS if unit.suffix == ".service"]
LONG_RUNNING = ("chorus-web.service", "chorus-worker.service", "chorus-custodian.service")


@pytest.mark.parametrize("unit", SERVICES, ids=[unit.name for unit in SERVICES])
def test_every_service_is_hardened(unit: Path) -> None:
    """Each service runs as its own user with files only it reads, no way to gain privileges,
    a read-only system and no home folders; the three that serve restart when they stop."""
    service = _unit(unit)["Service"]
    assert service.get("User") and service.get("User") != "root", unit.name
    assert service["UMask"] == "0077"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == "yes"
    assert service["PrivateTmp"] == "yes"
    if unit.name in LONG_RUNNING:
        assert service["Restart"] == "always", unit.name
    assert {unit.name for unit in SERVICES} >= set(LONG_RUNNING)


def test_services_may_write_where_the_settings_point() -> None:
    values = _shipped_settings()
    writable_needed = [
        Path(values["CHORUS_DATA_DIR"]),
        Path(values["CHORUS_ATTACHMENTS_DIR"]),
        Path(values["CHORUS_LEDGER_SIGNING_KEY_FILE"]).parent,
        Path(values["CHORUS_ESCROW_KEY_FILE"]).parent,
    ]
    for name in ("chorus-web.service", "chorus-worker.service"):
        service = _unit(DEPLOY / "systemd" / name)["Service"]
        assert service["EnvironmentFile"] == "/etc/chorus/chorus.env"
        assert service["UMask"] == "0077" and service["ProtectSystem"] == "strict"
        writable = [Path(path) for path in service["ReadWritePaths"].split()]
        for needed in writable_needed:
            assert any(needed == root or root in needed.parents for root in writable), f"{name} cannot write {needed}"


def test_the_proxy_passes_to_where_gunicorn_listens() -> None:
    site = (DEPLOY / "nginx" / "chorus.conf").read_text()
    assert f"proxy_pass http://{_shipped_settings()['CHORUS_BIND']};" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    body_limit = int(re.search(r"client_max_body_size (\d+)m;", site).group(1))  # type: ignore[union-attr]
    assert body_limit > int(env.read("CHORUS_ATTACHMENT_MAX_MB", environ={}))
    assert site.count("access_log off;") == 2  # both servers: paths name records and cases


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.7", "198.51.100.1", "127.0.0.1", "203.0.113.7"),  # not a proxy: header ignored
        ("127.0.0.1", "198.51.100.1", "127.0.0.1", "198.51.100.1"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", "127.0.0.1", "198.51.100.1"),  # client-sent entries skipped
        ("127.0.0.1", "198.51.100.1, 10.0.0.5", "127.0.0.1,10.0.0.0/8", "198.51.100.1"),  # two proxies
        ("127.0.0.1", "not-an-address", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1", "127.0.0.1"),
        ("::1", "2001:db8::5", "::1", "2001:db8::/64"),  # an IPv6 client counts as its /64
        ("2001:db8:0:0:ffff::1", "", "127.0.0.1", "2001:db8::/64"),
        ("::ffff:198.51.100.7", "", "127.0.0.1", "198.51.100.7"),
        ("127.0.0.1", "198.51.100.1", "", "127.0.0.1"),  # no proxy trusted
    ],
)
def test_client_address_behind_a_proxy(peer: str, forwarded: str, trusted: str, expected: str) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(
        CHORUS_TRUSTED_PROXIES=env.read("CHORUS_TRUSTED_PROXIES", environ={"CHORUS_TRUSTED_PROXIES": trusted})
    ):
        assert client_ip(request) == expected
