"""Whoever carries out an interim measure reads the measure, not its risk assessment (the
assessment weighs the case itself, and the owner may be an administrator, who never reads case
content). New handovers leave it out; this takes back the copies handed over before."""

from django.db import migrations


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    ItemShare = apps.get_model("cases", "ItemShare")
    ItemShare.objects.filter(item__kind="risk_assessment", party__role="owner").delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_owner_parties_named_by_role")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
