"""On PostgreSQL, an append is one call of a function in the database (``ledger/append.py``),
so the chain's head is locked for no longer than the append itself. SQLite appends in
Python, under the write lock its transactions hold anyway."""

from django.db import migrations

from chorus.ledger.append import APPEND_FUNCTION, DROP_APPEND_FUNCTION
from chorus.web.database_functions import on_postgresql


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_transparency_log")]
    operations = [on_postgresql(APPEND_FUNCTION, DROP_APPEND_FUNCTION)]
