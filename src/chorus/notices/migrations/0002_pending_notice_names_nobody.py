"""A pending notice names nobody in the clear and points at no event: the member becomes a
keyed tag and a sealed id, ``source`` goes, and ``created_at`` keeps only the hour."""

from typing import Any

from django.db import migrations, models


def seal_recipients(apps: Any, schema_editor: Any) -> None:
    from chorus.notices.services import hour_end, recipient_seal, recipient_tag

    model = apps.get_model("notices", "PendingNotice")
    kept: set[tuple[bytes, str]] = set()
    for row in model.objects.order_by("created_at", "pk"):
        tag = recipient_tag(row.member_id)
        if (tag, row.kind) in kept:
            row.delete()  # one row per person and kind: the oldest stays
            continue
        kept.add((tag, row.kind))
        row.recipient = tag
        row.recipient_sealed = recipient_seal(row.member_id)
        row.created_at = hour_end(row.created_at)
        row.save(update_fields=["recipient", "recipient_sealed", "created_at"])


class Migration(migrations.Migration):
    dependencies = [("notices", "0001_initial")]

    operations = [
        migrations.RemoveConstraint(model_name="pendingnotice", name="pending_notice_once"),
        migrations.RemoveIndex(model_name="pendingnotice", name="pending_notice_member"),
        migrations.AddField(
            model_name="pendingnotice", name="recipient", field=models.BinaryField(max_length=32, null=True)
        ),
        migrations.AddField(model_name="pendingnotice", name="recipient_sealed", field=models.BinaryField(null=True)),
        migrations.RunPython(seal_recipients, migrations.RunPython.noop),
        migrations.RemoveField(model_name="pendingnotice", name="member"),
        migrations.RemoveField(model_name="pendingnotice", name="source"),
        migrations.AlterField(model_name="pendingnotice", name="recipient", field=models.BinaryField(max_length=32)),
        migrations.AlterField(model_name="pendingnotice", name="recipient_sealed", field=models.BinaryField()),
        migrations.AddIndex(
            model_name="pendingnotice", index=models.Index(fields=["created_at"], name="pending_notice_due")
        ),
        migrations.AddConstraint(
            model_name="pendingnotice",
            constraint=models.UniqueConstraint(fields=("recipient", "kind"), name="pending_notice_once"),
        ),
    ]
