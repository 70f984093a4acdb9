"""Invitations the deployment's operator sends; display names unique within an organization (compared as ``accounts.names.name_key``), and
the moment an organization first had an oversight member.

Where two members of one organization already share a name, the later one's name gets a
number ("Ana (2)"), so nobody's account is lost and nobody looks like someone else. An
organization with an oversight member now counts as having had oversight from today.
"""

from typing import Any

import django.utils.timezone
from django.db import migrations, models

from chorus.accounts.names import name_key


def keys_for_names(apps: Any, schema_editor: Any) -> None:
    Member = apps.get_model("accounts", "Member")
    taken: dict[tuple[object, str], int] = {}
    for member in Member.objects.order_by("organization_id", "created_at", "pk").iterator():
        name = member.display_name
        key = name_key(name) or member.pseudonym
        number = 1
        while (member.organization_id, key) in taken:
            number += 1
            name = f"{member.display_name} ({number})"
            key = name_key(name)
        taken[(member.organization_id, key)] = 1
        Member.objects.filter(pk=member.pk).update(display_name=name[:100], display_name_key=key)


def oversight_since(apps: Any, schema_editor: Any) -> None:
    Organization = apps.get_model("accounts", "Organization")
    MemberRole = apps.get_model("accounts", "MemberRole")
    with_oversight = MemberRole.objects.filter(role="oversight").values("member__organization_id")
    Organization.objects.filter(pk__in=with_oversight).update(oversight_since=django.utils.timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_two_person_approval"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="oversight_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="member",
            name="display_name_key",
            field=models.CharField(default="", editable=False, max_length=400),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='invitation',
            name='by_operator',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(keys_for_names, migrations.RunPython.noop),
        migrations.RunPython(oversight_since, migrations.RunPython.noop),
    ]
