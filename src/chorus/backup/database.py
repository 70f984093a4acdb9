"""The database's part of a backup: dump and restore for each vendor, the migration state,
and whether a restore target is empty. Everything goes through Django's own connection
settings, so backup and restore reach exactly the database Chorus uses (``DATABASE_URL``).

PostgreSQL: ``pg_dump --format=custom``; restored by ``pg_restore`` into SQL that ``psql``
runs in one transaction, so a failure leaves the target as it was. SQLite: the online backup
API (a consistent copy while Chorus runs); restored by putting a copy of that file in place
of the target's with one rename, which needs Chorus stopped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from psycopg.conninfo import make_conninfo

from chorus.backup.errors import BackupError, DamagedArchive, RestoreRefused
from chorus.config.keyfiles import private_file

NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# ``migrate`` fills these itself on an empty database, so rows in them do not make it non-empty.
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}
# Connection options libpq understands (Django's own, like isolation_level, are not passed on).
_LIBPQ_OPTIONS = {
    "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslpassword", "channel_binding",
    "gssencmode", "connect_timeout", "application_name", "target_session_attrs", "passfile",
    "service", "options",
}  # fmt: skip


def vendor() -> str:
    if connection.vendor not in NAMES:
        raise BackupError(f"Chorus backs up PostgreSQL and SQLite databases, not {connection.vendor}")
    return str(connection.vendor)


def postgres_tool(name: str) -> str:
    """``name`` (pg_dump, pg_restore, psql) from PATH, else from the newest of Debian's
    /usr/lib/postgresql/*/bin, where scripts/with-postgres.sh also finds the server."""
    found = shutil.which(name)
    if found:
        return found
    installed = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda path: tuple(int(part) for part in path.parts[-3].split(".") if part.isdigit()),
    )
    if installed:
        return str(installed[-1])
    raise BackupError(
        f"{name} was not found (on PATH or in /usr/lib/postgresql/*/bin): install PostgreSQL's client "
        "programs, the server's major version or newer (Debian: apt-get install postgresql-client)"
    )


def _libpq() -> tuple[str, dict[str, str]]:
    """A libpq connection string for Chorus's database and the environment to run a client in.
    The password goes in PGPASSWORD, never on a command line that other users can list."""
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "host": db["HOST"], "port": str(db["PORT"] or ""), "user": db["USER"]}
    options = db.get("OPTIONS") or {}
    params.update({key: str(value) for key, value in options.items() if key in _LIBPQ_OPTIONS})
    environment = dict(os.environ)
    if db.get("PASSWORD"):
        environment["PGPASSWORD"] = str(db["PASSWORD"])
    return make_conninfo(**{key: value for key, value in params.items() if value}), environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        said = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BackupError(f"{what} failed (exit status {done.returncode}):\n{said}")


def migrations_applied() -> dict[str, str]:
    """The latest applied migration of each app. Django numbers each app's migrations in
    order (0001_…, 0002_…), so the greatest name is the latest."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(name, latest.get(app, ""))
    return latest


def migrations_behind(archived: dict[str, str]) -> list[str]:
    """What ``migrate`` would apply after restoring an archive with this migration state, as
    "app: from → to" lines (empty when it is this Chorus's own state). An archive made by a
    newer Chorus, at a migration this one does not have, is refused."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    unknown = sorted(f"{app}.{name}" for app, name in archived.items() if (app, name) not in graph.nodes)
    if unknown:
        raise RestoreRefused(
            f"it was made by a newer Chorus (this one does not have the migrations {', '.join(unknown)}): "
            "restore it with that version of Chorus or a later one"
        )
    return [
        f"{app}: {archived.get(app, '(none)')} → {leaf}"
        for app, leaf in sorted(graph.leaf_nodes())
        if archived.get(app) != leaf
    ]


def _tables() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def target_problem() -> str | None:
    """Why the database cannot receive a restore, or None: it must hold no table Chorus does
    not know (the wrong database) and no rows (a deployment in use). Chorus's own tables,
    empty, are fine: someone ran ``chorus migrate`` first."""
    tables = _tables()
    known = set(connection.introspection.django_table_names(include_views=False)) | {"django_migrations"}
    unknown = sorted(tables - known)
    if unknown:
        return (
            f"the database holds tables Chorus does not know ({', '.join(unknown[:5])}): "
            "is DATABASE_URL the new, empty database?"
        )
    filled = []
    with connection.cursor() as cursor:
        for table in sorted(tables - BOOKKEEPING):
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608 — a listed table name
            if cursor.fetchone():
                filled.append(table)
    if filled:
        shown = ", ".join(filled[:5]) + (f" and {len(filled) - 5} more" if len(filled) > 5 else "")
        return f"the database already holds data (rows in {shown})"
    return None


def sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if name in ("", ":memory:") or name.startswith("file:"):
        raise RestoreRefused("the SQLite database is not a file: set DATABASE_URL or CHORUS_DATA_DIR to one")
    return Path(name)


def database_dump(dest: Path) -> None:
    """Write a consistent copy of the whole database to ``dest`` (a new file)."""
    if vendor() == "postgresql":
        conninfo, environment = _libpq()
        command = [postgres_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
        _run([*command, f"--file={dest}", f"--dbname={conninfo}"], environment, "pg_dump")
        return
    connection.ensure_connection()
    private_file(dest)
    with closing(sqlite3.connect(dest)) as copy:
        connection.connection.backup(copy)
        # The online backup copies pages, free ones included, and a free page may still hold
        # a row deleted moments ago (a destroyed record's wrapped key). Rebuilding the private
        # copy keeps only live rows.
        copy.execute("VACUUM")


def dump_check(dump: Path) -> None:
    """Refuse a database member that matches its checksum yet is not what its name says
    (an archive assembled by hand): pg_restore must list it, SQLite must find it whole."""
    if vendor() == "postgresql":
        try:
            _run([postgres_tool("pg_restore"), "--list", str(dump)], dict(os.environ), "pg_restore --list")
        except BackupError as error:
            raise DamagedArchive(f"its database is not a dump pg_restore can read ({error})") from None
        return
    try:
        with closing(sqlite3.connect(dump)) as copy:
            verdict = copy.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise DamagedArchive(f"its database is not a SQLite database ({error})") from None
    if not verdict or verdict[0] != "ok":
        raise DamagedArchive(f"its SQLite database is damaged ({verdict and verdict[0]})")


def database_restore(dump: Path, work: Path) -> None:
    """Put the dumped database in place of the (checked empty) target, all or nothing."""
    if vendor() == "postgresql":
        _restore_postgresql(dump, work)
    else:
        _restore_sqlite(dump)


def _restore_postgresql(dump: Path, work: Path) -> None:
    conninfo, environment = _libpq()
    script = work / "restore.sql"
    _run(
        [postgres_tool("pg_restore"), "--no-owner", "--no-privileges", "--clean", "--if-exists",
         f"--file={script}", str(dump)],
        environment,
        "pg_restore",
    )  # fmt: skip
    # Chorus's empty tables from an earlier ``migrate`` go first, in the same transaction:
    # those of a newer schema than the archive's would otherwise stay and trip ``migrate``.
    existing = sorted(_tables())
    before = work / "before.sql"
    before.write_text(
        f"DROP TABLE IF EXISTS {', '.join(connection.ops.quote_name(table) for table in existing)} CASCADE;\n"
        if existing
        else "SELECT 1;\n"
    )
    connection.close()
    _run(
        [postgres_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
         f"--dbname={conninfo}", f"--file={before}", f"--file={script}"],
        environment,
        "psql (nothing was changed in the database)",
    )  # fmt: skip


def _restore_sqlite(dump: Path) -> None:
    target = sqlite_path()
    connection.close()
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.restoring-")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as out, dump.open("rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())  # the rename below then never exposes a partly written file
        # The old file's journal and write-ahead log (of an empty database) must not be
        # replayed into the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
