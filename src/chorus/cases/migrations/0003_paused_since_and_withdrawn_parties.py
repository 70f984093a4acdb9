from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.utils import timezone


def paused_since(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """A case paused before pauses had a start time: take it from the ledger's last
    ``case.pause`` for that case (now, if the ledger has none), so its appeal clock is
    stopped from when the survivor actually paused it."""
    case_model = apps.get_model("cases", "Case")
    event_model = apps.get_model("ledger", "LedgerEvent")
    for case in case_model.objects.filter(paused=True):
        event = event_model.objects.filter(action="case.pause", refs__case=str(case.pk)).order_by("-created_at").first()
        case_model.objects.filter(pk=case.pk).update(paused_at=event.created_at if event else timezone.now())


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_decisions_never_change"), ("ledger", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(model_name="case", name="paused_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.AddField(model_name="party", name="withdrawn_at", field=models.DateTimeField(blank=True, null=True)),
        migrations.RunPython(paused_since, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.CheckConstraint(
                condition=models.Q(paused=False, paused_at__isnull=True)
                | models.Q(paused=True, paused_at__isnull=False),
                name="case_paused_since",
            ),
        ),
        migrations.AddConstraint(
            model_name="party",
            constraint=models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | models.Q(role="complainant"),
                name="party_withdraws_as_complainant",
            ),
        ),
    ]
