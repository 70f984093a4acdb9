"""Emailed links point at the Chorus that sent them: `make run PORT=…` serves on that port,
and the invitation email links there (CHORUS_BASE_URL, unless the environment sets it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from tests.escrow.factory import matched_group
from tests.personas import Personas

ROOT = Path(__file__).resolve().parents[2]


def _make_run(tmp_path: Path, **environment: str) -> list[str]:
    """`make run PORT=8123` with a stand-in for the chorus command that notes, for each
    step, the base URL it was given; `-o setup` leaves the installed virtualenv alone."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    log = tmp_path / "log"
    stand_in = tmp_path / "chorus"
    stand_in.write_text(f'#!/bin/sh\necho "$1 ${{CHORUS_BASE_URL:-unset}}" >> {log}\n')
    stand_in.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key not in ("CHORUS_BASE_URL", "MAKEFLAGS")}
    subprocess.run(
        [make, "-s", "-o", "setup", "run", "PORT=8123", "HOST=127.0.0.1", f"BIN={tmp_path}"],
        cwd=ROOT,
        env={**env, **environment},
        check=True,
        capture_output=True,
        timeout=60,
    )
    return log.read_text().splitlines()


def test_make_run_on_another_port_gives_emailed_links_that_port(tmp_path: Path) -> None:
    steps = _make_run(tmp_path)
    assert "runserver http://127.0.0.1:8123" in steps
    assert "demo http://127.0.0.1:8123" in steps  # the demo's invitations too
    assert not [step for step in steps if not step.endswith(" http://127.0.0.1:8123")], steps


def test_a_base_url_set_by_the_environment_is_kept(tmp_path: Path) -> None:
    steps = _make_run(tmp_path, CHORUS_BASE_URL="https://chorus.example")
    assert "runserver https://chorus.example" in steps
    assert not [step for step in steps if "8123" in step], steps


@pytest.mark.django_db
def test_the_group_invitation_email_links_to_the_configured_chorus(
    personas: Personas, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CHORUS_BASE_URL = "http://127.0.0.1:8123"
    with django_capture_on_commit_callbacks(execute=True):
        matched_group(personas)
    invitations = [message for message in mail.outbox if "http://127.0.0.1:8123/escrow/" in message.body]
    assert len(invitations) == 2, [message.body for message in mail.outbox]
    assert not [message for message in mail.outbox if ":8000" in message.body]
