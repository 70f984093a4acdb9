"""A membership change keeps a keyed hash of the measure it carries out instead of a
reference to it, and no longer the case reference copied from that measure: a database dump
must not tie a member to the case in which they were the respondent."""

import hmac

from django.db import migrations, models


def _tag(measure_id: object) -> bytes:
    from chorus.accounts import keyring

    return hmac.digest(keyring.server_key(b"chorus.sanction"), str(measure_id).encode(), "sha256")


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    MembershipChange = apps.get_model("accounts", "MembershipChange")
    for change in MembershipChange.objects.filter(measure__isnull=False).select_related("measure__case"):
        copied = change.measure.case.reference or ""
        change.measure_tag = _tag(change.measure_id)
        if copied and change.case_reference == copied:
            change.case_reference = ""
        change.save(update_fields=["measure_tag", "case_reference"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_member_removal_and_deletion"),
        ("cases", "0005_repair_requests"),
    ]

    operations = [
        migrations.AddField(
            model_name="membershipchange",
            name="measure_tag",
            field=models.BinaryField(blank=True, db_index=True, max_length=32, null=True),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.RemoveField(model_name="membershipchange", name="measure"),
    ]
