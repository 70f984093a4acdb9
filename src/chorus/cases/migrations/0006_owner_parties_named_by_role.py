"""A measure's owner is labelled by the role, not the member's name, in the party and in what
they wrote: the owner of a sanction is often the administrator who proposes carrying it out,
and a name in these rows beside that proposal told a database dump whose case it was."""

from django.db import migrations

LABEL = "Carries out a measure"


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Party = apps.get_model("cases", "Party")
    Item = apps.get_model("cases", "Item")
    Party.objects.filter(role="owner").update(label=LABEL)
    Item.objects.filter(author__role="owner").update(author_label=LABEL)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_repair_requests")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
