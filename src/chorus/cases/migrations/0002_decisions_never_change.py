from django.db import migrations

from chorus.ledger import triggers


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_cases")]
    operations = [triggers.migration_operation("cases_vote", "cases_decision")]
