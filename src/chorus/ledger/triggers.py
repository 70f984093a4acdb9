"""SQL that makes tables refuse UPDATE and DELETE, for SQLite and PostgreSQL: the ledger
(append-only) and the cases' votes and decisions (a decision is never changed).

Triggers stop the application (or anyone using its database role) from rewriting
history by mistake or on purpose; the hash chain and signed checkpoints catch
whoever can bypass triggers (the database owner).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations import RunPython
from django.db.migrations.state import StateApps

TABLE = "ledger_ledgerevent"
MESSAGE = "the ledger is append-only"
# table -> (trigger name prefix, message); the ledger's names predate the others.
PROTECTED = {
    TABLE: ("ledger", MESSAGE),
    "ledger_ledgernode": ("ledger_node", "the ledger tree is append-only"),
    "ledger_ledgertreehead": ("ledger_tree_head", "a signed tree head is never changed"),
    "cases_vote": ("case_vote", "a vote is never changed"),
    "cases_decision": ("case_decision", "a decision is never changed; it can only be appealed"),
}


def create_statements(vendor: str, table: str = TABLE) -> list[str]:
    prefix, message = PROTECTED[table]
    if vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {prefix}_refuse_change() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql",
            f"DROP TRIGGER IF EXISTS {prefix}_no_change ON {table}",
            f"CREATE TRIGGER {prefix}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {prefix}_refuse_change()",
        ]
    return [
        f"CREATE TRIGGER IF NOT EXISTS {prefix}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {prefix}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


def drop_statements(vendor: str, table: str = TABLE) -> list[str]:
    prefix, _ = PROTECTED[table]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {prefix}_no_change ON {table}"]
    return [f"DROP TRIGGER IF EXISTS {prefix}_no_update", f"DROP TRIGGER IF EXISTS {prefix}_no_delete"]


def _existing(connection: BaseDatabaseWrapper) -> list[str]:
    return [table for table in PROTECTED if table in connection.introspection.table_names()]


def install(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for table in _existing(connection):
            for statement in create_statements(connection.vendor, table):
                cursor.execute(statement)


def remove(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for table in _existing(connection):
            for statement in drop_statements(connection.vendor, table):
                cursor.execute(statement)


def migration_operation(*tables: str) -> RunPython:
    """The migration step that makes ``tables`` refuse UPDATE and DELETE (and, reversed,
    lets them change again)."""

    def install_tables(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for table in tables:
            for statement in create_statements(schema_editor.connection.vendor, table):
                schema_editor.execute(statement)

    def remove_tables(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for table in tables:
            for statement in drop_statements(schema_editor.connection.vendor, table):
                schema_editor.execute(statement)

    return RunPython(install_tables, remove_tables)
