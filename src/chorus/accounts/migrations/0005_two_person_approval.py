"""Two-person approval. Roles and memberships that exist already stay as they are, recorded
as held before two-person approval began (and shown to members as such)."""

import uuid
from typing import Any

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CHOICES = [
    ('second_person', 'approved by a second person'),
    ('founding', "set up by the deployment's operator"),
    ('migration', 'held before two-person approval began'),
    ('direct', 'no approval needed'),
]


def confirm_existing_members(apps: Any, schema_editor: Any) -> None:
    Member = apps.get_model('accounts', 'Member')
    Member.objects.filter(confirmed_at__isnull=True).update(
        confirmed_at=django.utils.timezone.now(), confirmation='migration'
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_member_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='member',
            name='confirmation',
            field=models.CharField(blank=True, choices=[('second_person', 'approved by a second person'), ('founding', "set up by the deployment's operator"), ('migration', 'held before two-person approval began'), ('direct', 'no approval needed')], default='', max_length=16),
        ),
        migrations.AddField(
            model_name='member',
            name='confirmed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='member',
            name='confirmed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        # Rows already there get "migration"; new rows default to the model's "founding".
        migrations.AddField(
            model_name='memberrole',
            name='approval',
            field=models.CharField(choices=CHOICES, default='migration', max_length=16),
        ),
        migrations.AlterField(
            model_name='memberrole',
            name='approval',
            field=models.CharField(choices=CHOICES, default='founding', max_length=16),
        ),
        migrations.AddField(
            model_name='memberrole',
            name='approved_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='memberrole',
            name='proposed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.CreateModel(
            name='RoleProposal',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('role', models.CharField(choices=[('advocate', 'Advocate'), ('facilitator', 'Facilitator'), ('investigator', 'Investigator'), ('panel', 'Panel member'), ('appeal_panel', 'Appeal panel member'), ('respondent', 'Respondent'), ('supporter', 'Supporter'), ('oversight', 'Oversight'), ('commission', 'Commission member'), ('admin', 'Administrator')], max_length=20)),
                ('proposed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('outcome', models.CharField(blank=True, choices=[('approved', 'approved'), ('declined', 'declined'), ('withdrawn', 'withdrawn'), ('expired', 'expired')], default='', max_length=10)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('member', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='role_proposals', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organization')),
                ('proposed_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['proposed_at'],
                'constraints': [models.CheckConstraint(condition=models.Q(('role__in', ('advocate', 'facilitator', 'investigator', 'panel', 'appeal_panel', 'respondent', 'supporter', 'oversight', 'commission', 'admin'))), name='role_proposal_known'), models.UniqueConstraint(condition=models.Q(('outcome', '')), fields=('member', 'role'), name='role_proposal_one_open'), models.CheckConstraint(condition=models.Q(models.Q(('decided_by', models.F('proposed_by')), _negated=True), models.Q(('outcome', 'approved'), _negated=True), _connector='OR'), name='role_proposal_not_approved_by_proposer'), models.CheckConstraint(condition=models.Q(models.Q(('decided_by', models.F('member')), _negated=True), models.Q(('outcome', 'approved'), _negated=True), _connector='OR'), name='role_proposal_not_approved_by_grantee')],
            },
        ),
        migrations.RunPython(confirm_existing_members, migrations.RunPython.noop),
    ]
