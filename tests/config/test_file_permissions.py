"""Every file Chorus makes that holds data or keys is readable by its owner only, whatever
the umask, and the ledger's signing key is not kept beside the database."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from chorus.config.keyfiles import private_dir, private_file, read_or_create
from chorus.custodian.service import EvaluationLimits

REPO = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> object:
    previous = os.umask(0o000)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_key_files_and_their_folders_are_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "nested" / "some.key"
    assert len(read_or_create(key, 32, setting="TEST")) == 32
    assert _mode(key) == 0o600
    assert _mode(key.parent) == 0o700


@pytest.mark.usefixtures("open_umask")
def test_files_made_too_open_earlier_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    database = folder / "chorus.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    private_file(database)
    assert (_mode(database), _mode(folder)) == (0o600, 0o700)
    assert private_dir(folder) == folder


@pytest.mark.usefixtures("open_umask")
def test_the_custodian_s_counters_are_owner_only(tmp_path: Path) -> None:
    limits = EvaluationLimits(tmp_path / "custodian" / "limits.sqlite3", per_requester=5, total=50)
    limits.close()
    assert _mode(tmp_path / "custodian" / "limits.sqlite3") == 0o600
    assert _mode(tmp_path / "custodian") == 0o700


def test_a_new_deployment_s_files_are_owner_only_and_the_ledger_key_lives_apart(tmp_path: Path) -> None:
    """``chorus migrate`` and a checkpoint on an empty data folder, as ``make run`` does,
    with a permissive umask."""
    data = tmp_path / "data"
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("CHORUS_", "DATABASE_URL"))},
        "CHORUS_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "chorus.config.settings",
    }
    script = (
        "import os, sys; os.umask(0); from chorus.__main__ import main; sys.argv = ['chorus', *sys.argv[1:]]; main()"
    )
    for command in (["migrate", "-v0"], ["demo"], ["ledger", "checkpoint"]):
        subprocess.run([sys.executable, "-c", script, *command], env=environment, check=True, capture_output=True)
    assert _mode(data) == 0o700
    assert _mode(data / "chorus.sqlite3") == 0o600
    assert _mode(data / "secret-key") == 0o600
    key = tmp_path / "data-keys" / "ledger-signing.key"
    assert _mode(key) == 0o600
    assert not (data / "ledger-signing.key").exists()
    # Everything under the data folder but the public static assets is the owner's only
    # (and the folder itself, 0700, keeps others out of those too).
    leaked = [path for path in data.rglob("*") if _mode(path) & 0o077 and path.relative_to(data).parts[0] != "static"]
    assert leaked == []


def test_a_key_kept_beside_the_database_by_an_older_version_is_moved_apart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ledger-signing.key").write_bytes(b"k" * 32)
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("CHORUS_", "DATABASE_URL"))},
        "CHORUS_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "chorus.config.settings",
    }
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=environment, check=True, capture_output=True
    )
    assert not (data / "ledger-signing.key").exists()
    assert (tmp_path / "data-keys" / "ledger-signing.key").read_bytes() == b"k" * 32


def _key_of(path: str) -> bytes:
    return read_or_create(Path(path), 32, setting="TEST")


def test_processes_making_a_key_at_once_all_read_the_same_whole_key(tmp_path: Path) -> None:
    """The first evaluations of several app processes each make the escrow key if absent:
    every one must read the one key that was made, never an empty or half-written file."""
    from concurrent.futures import ProcessPoolExecutor

    for attempt in range(8):
        key = tmp_path / f"key-{attempt}"
        with ProcessPoolExecutor(max_workers=4) as pool:
            keys = list(pool.map(_key_of, [str(key)] * 16))
        assert len(set(keys)) == 1 and keys[0] == key.read_bytes()
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []
