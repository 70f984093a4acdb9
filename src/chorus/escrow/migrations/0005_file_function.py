"""On PostgreSQL, filing an escrow entry is one call of a function in the database
(``escrow/filing.py``): one round trip, one commit."""

from typing import Any

from django.db import migrations

from chorus.escrow.filing import DROP_FILE_FUNCTION, FILE_FUNCTION


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILE_FUNCTION, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_FILE_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("escrow", "0004_entry_counts"),
        ("ledger", "0004_append_function"),
        ("web", "0004_task_sealed_to"),
    ]
    operations = [migrations.RunPython(install, remove)]
