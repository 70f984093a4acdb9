"""On PostgreSQL, filing an escrow entry is one call of a function in the database
(``escrow/filing.py``): one round trip, one commit."""

from django.db import migrations

from chorus.escrow.filing import DROP_FILE_FUNCTION, FILE_FUNCTION
from chorus.web.database_functions import on_postgresql


class Migration(migrations.Migration):
    dependencies = [
        ("escrow", "0004_entry_counts"),
        ("ledger", "0004_append_function"),
        ("web", "0004_task_sealed_to"),
    ]
    operations = [on_postgresql(FILE_FUNCTION, DROP_FILE_FUNCTION)]
