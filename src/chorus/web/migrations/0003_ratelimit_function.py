"""On PostgreSQL, taking from a rate limit is one call of a function in the database
(``web/ratelimit.py``), which an escrow entry's own function calls in the same round trip."""

from typing import Any

from django.db import migrations

from chorus.web.ratelimit import CONSUME_FUNCTION, DROP_CONSUME_FUNCTION


def install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONSUME_FUNCTION, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CONSUME_FUNCTION, params=None)


class Migration(migrations.Migration):
    dependencies = [("web", "0002_task")]
    operations = [migrations.RunPython(install, remove)]
