"""Display names unique within an organization (a migration of its own: on PostgreSQL the
renaming in 0006 must be committed before the constraint is added)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_names_and_oversight"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                fields=("organization", "display_name_key"), name="member_display_name_unique"
            ),
        ),
    ]
