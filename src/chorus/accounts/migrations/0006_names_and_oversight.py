"""Role rows sealed with the server's key; invitations the deployment's operator sends;
display names unique within an organization (compared as ``accounts.names.name_key``), and
the moment an organization first had an oversight member.

Where two members of one organization already share a name, the later one's name gets a
number ("Ana (2)"), so nobody's account is lost and nobody looks like someone else. An
organization with an oversight member now counts as having had oversight from today.
"""

from typing import Any

import django.utils.timezone
from django.db import migrations, models

from chorus.accounts.models import role_seal
from chorus.accounts.names import name_clean, name_key


def keys_for_names(apps: Any, schema_editor: Any) -> None:
    Member = apps.get_model('accounts', 'Member')
    taken: set[tuple[object, str]] = set()
    blank = 0
    for member in Member.objects.order_by('organization_id', 'created_at', 'pk').iterator():
        base = name_clean(member.display_name)
        if not name_key(base):  # nothing visible: nobody could tell it from another
            blank += 1
            base = f'Member {blank}'
        name, number = base, 1
        while (member.organization_id, name_key(name)) in taken:
            number += 1
            suffix = f' ({number})'
            name = base[: 100 - len(suffix)] + suffix
        taken.add((member.organization_id, name_key(name)))
        Member.objects.filter(pk=member.pk).update(display_name=name, display_name_key=name_key(name))


def oversight_since(apps: Any, schema_editor: Any) -> None:
    """Organizations that have, or ever had, an oversight member (the ledger says who was
    given the role; an organization whose oversight left before this migration included)."""
    Organization = apps.get_model('accounts', 'Organization')
    MemberRole = apps.get_model('accounts', 'MemberRole')
    LedgerEvent = apps.get_model('ledger', 'LedgerEvent')
    chains = {f'org:{pk}': pk for pk in Organization.objects.values_list('pk', flat=True)}
    had = set(MemberRole.objects.filter(role='oversight').values_list('member__organization_id', flat=True))
    events = LedgerEvent.objects.filter(action__in=['member.created', 'member.roles_changed', 'role.approved'])
    for chain, refs in events.values_list('chain', 'refs').iterator():
        named = (refs.get('roles') or refs.get('added') or [refs.get('role')]) if isinstance(refs, dict) else []
        if chain in chains and isinstance(named, list) and 'oversight' in named:
            had.add(chains[chain])
    Organization.objects.filter(pk__in=had).update(oversight_since=django.utils.timezone.now())


def seal_roles(apps: Any, schema_editor: Any) -> None:
    MemberRole = apps.get_model('accounts', 'MemberRole')
    for row in MemberRole.objects.all().iterator():
        MemberRole.objects.filter(pk=row.pk).update(
            seal=role_seal(row.member_id, row.role, row.approval, row.granted_at)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_two_person_approval"),
        ("ledger", "0002_append_only_triggers"),
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
        migrations.AddField(
            model_name='memberrole',
            name='seal',
            field=models.CharField(default='', editable=False, max_length=64),
        ),
        migrations.RunPython(seal_roles, migrations.RunPython.noop),
        migrations.RunPython(keys_for_names, migrations.RunPython.noop),
        migrations.RunPython(oversight_since, migrations.RunPython.noop),
    ]
