from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from chorus.ledger import triggers

TABLES = ("cases_vote", "cases_decision")


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for table in TABLES:
        for statement in triggers.create_statements(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for table in TABLES:
        for statement in triggers.drop_statements(schema_editor.connection.vendor, table):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_cases")]
    operations = [migrations.RunPython(install, remove)]
