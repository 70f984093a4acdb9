"""Every organization that exists before guidance arrives gets the starting pages (new ones
get them from ``organization_create``). Their first versions have no author: Chorus wrote them."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone


def seed(apps: Any, schema_editor: Any) -> None:
    from chorus.guidance.seed import STARTING_PAGES

    organization_model = apps.get_model("accounts", "Organization")
    page_model = apps.get_model("guidance", "GuidancePage")
    version_model = apps.get_model("guidance", "GuidanceVersion")
    now = timezone.now()
    for organization in organization_model.objects.all():
        if page_model.objects.filter(organization=organization).exists():
            continue
        for position, starting in enumerate(STARTING_PAGES):
            page = page_model.objects.create(
                organization=organization,
                slug=starting.slug,
                position=position,
                shows_resources=starting.shows_resources,
                created_at=now,
            )
            version_model.objects.bulk_create(
                version_model(
                    page=page,
                    language=language,
                    number=1,
                    title=text.title,
                    summary=text.summary,
                    body=text.body,
                    created_at=now,
                )
                for language, text in starting.texts.items()
            )


class Migration(migrations.Migration):
    dependencies = [("guidance", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
