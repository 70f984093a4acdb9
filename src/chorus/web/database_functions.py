"""Functions installed in PostgreSQL by migrations: each does in one round trip what the
Python beside it does on SQLite (the ledger append, a rate limit's count, an escrow entry)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def on_postgresql(create: str, drop: str) -> migrations.RunPython:
    """A migration step that runs ``create`` on PostgreSQL (``drop`` when migrating back)
    and nothing on SQLite."""

    def install(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(create, params=None)

    def remove(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(drop, params=None)

    return migrations.RunPython(install, remove)
