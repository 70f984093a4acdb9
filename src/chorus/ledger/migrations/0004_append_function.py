"""On PostgreSQL, an append is one call of a function in the database (``ledger/append.py``),
so the chain's head is locked for no longer than the append itself. SQLite appends in
Python, under the write lock its transactions hold anyway."""

from typing import Any

from django.db import migrations

from chorus.ledger.append import APPEND_FUNCTION, DROP_APPEND_FUNCTION


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_FUNCTION, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_transparency_log")]
    operations = [migrations.RunPython(install, remove)]
