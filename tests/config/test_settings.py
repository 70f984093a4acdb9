from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chorus.config import env

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_the_settings_reference_is_current() -> None:
    """docs/settings.md is exactly what the declared settings generate (`make docs`)."""
    assert REFERENCE.read_text() == env.reference_markdown(), "docs/settings.md is stale: run make docs"
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", REFERENCE.read_text(), flags=re.MULTILINE))
    assert documented == {setting.name for setting in env.SETTINGS}


def test_every_setting_has_help_and_a_valid_default() -> None:
    for setting in env.SETTINGS:
        assert setting.help.strip(), setting.name
        env.read(setting.name, environ={})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHORUS_DEBUG", "maybe"),
        ("CHORUS_ARGON2_MEMORY_KIB", "-5"),
        ("CHORUS_ARGON2_ITERATIONS", "three"),
        ("CHORUS_BASE_URL", "chorus.example"),
        ("CHORUS_LOG_LEVEL", "LOUD"),
        ("CHORUS_TRUSTED_PROXIES", "the proxy"),
        ("CHORUS_TRAINING_MAX_VALIDITY_YEARS", "0"),
        ("CHORUS_TRAINING_MAX_VALIDITY_YEARS", "11"),
    ],
)
def test_a_bad_value_names_the_setting(name: str, value: str) -> None:
    with pytest.raises(env.ImproperSetting, match=name):
        env.read(name, environ={name: value})


def test_secrets_may_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret-value\n")
    assert env.read("CHORUS_SECRET_KEY", environ={"CHORUS_SECRET_KEY_FILE": str(secret)}) == "s3cret-value"
    with pytest.raises(env.ImproperSetting, match="CHORUS_SECRET_KEY_FILE"):
        env.read("CHORUS_SECRET_KEY", environ={"CHORUS_SECRET_KEY_FILE": str(tmp_path / "missing")})
    with pytest.raises(env.ImproperSetting, match="not both"):
        env.read("CHORUS_SECRET_KEY", environ={"CHORUS_SECRET_KEY": "a", "CHORUS_SECRET_KEY_FILE": str(secret)})


def test_a_secret_value_is_never_echoed_in_errors(tmp_path: Path) -> None:
    from chorus.config.settings import _email_settings

    with pytest.raises(env.ImproperSetting) as raised:
        _email_settings("ftp://user:hunter2@host")
    assert "CHORUS_EMAIL_URL" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_the_production_argon2_defaults_meet_owasp_guidance() -> None:
    memory = env.read("CHORUS_ARGON2_MEMORY_KIB", environ={})
    iterations = env.read("CHORUS_ARGON2_ITERATIONS", environ={})
    # OWASP: at least m=19 MiB with t=2, or m=46 MiB with t=1. Chorus uses RFC 9106's second choice.
    assert (memory, iterations) == (65536, 3)
    assert memory >= 19456
    assert iterations >= 2


def test_the_command_fails_at_start_naming_a_bad_setting(tmp_path: Path) -> None:
    environ = {**os.environ, "CHORUS_DATA_DIR": str(tmp_path), "CHORUS_SESSION_IDLE_MINUTES": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "chorus", "check"], env=environ, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "CHORUS_SESSION_IDLE_MINUTES" in result.stderr
