"""On PostgreSQL, taking from a rate limit is one call of a function in the database
(``web/ratelimit.py``), which an escrow entry's own function calls in the same round trip."""

from django.db import migrations

from chorus.web.database_functions import on_postgresql
from chorus.web.ratelimit import CONSUME_FUNCTION, DROP_CONSUME_FUNCTION


class Migration(migrations.Migration):
    dependencies = [("web", "0002_task")]
    operations = [on_postgresql(CONSUME_FUNCTION, DROP_CONSUME_FUNCTION)]
