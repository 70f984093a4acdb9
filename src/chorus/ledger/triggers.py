"""SQL that makes the ledger table refuse UPDATE and DELETE, for SQLite and PostgreSQL.

Triggers stop the application (or anyone using its database role) from rewriting
history by mistake or on purpose; the hash chain and signed checkpoints catch
whoever can bypass triggers (the database owner).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "ledger_ledgerevent"
MESSAGE = "the ledger is append-only"

_SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS ledger_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS ledger_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS ledger_no_update", "DROP TRIGGER IF EXISTS ledger_no_delete"]

_POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql",
    f"DROP TRIGGER IF EXISTS ledger_no_change ON {TABLE}",
    f"CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
]
_POSTGRES_DROP = [f"DROP TRIGGER IF EXISTS ledger_no_change ON {TABLE}"]


def create_statements(vendor: str) -> list[str]:
    return _POSTGRES_CREATE if vendor == "postgresql" else _SQLITE_CREATE


def drop_statements(vendor: str) -> list[str]:
    return _POSTGRES_DROP if vendor == "postgresql" else _SQLITE_DROP


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in create_statements(connection.vendor):
            cursor.execute(statement)


def remove(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for statement in drop_statements(connection.vendor):
            cursor.execute(statement)
