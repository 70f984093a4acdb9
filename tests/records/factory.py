"""A survivor's record with everything in it, built through the services."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from chorus.records.access import Owner, Reader
from chorus.records.models import Grant, Record
from chorus.records.services import messaging, sharing, writing
from tests.personas import Personas
from tests.records import samples

STORY = {
    "title": "The spring offsite",
    "what": "He cornered me by the coat racks and would not let me pass.",
    "when": "April, the evening of the offsite dinner",
    "who": "Dominik Vasquez-Holloway, the regional coordinator",
}


def survivor_owner(personas: Personas, persona: str = "survivor") -> Owner:
    return Owner(
        organization=personas.members[persona].organization,
        vault_key=personas.vault_keys[persona],
        member=personas.members[persona],
    )


def advocate_reader(personas: Personas) -> Reader:
    return Reader(member=personas.advocate, vault_key=personas.vault_keys["advocate"])


@dataclass
class Built:
    owner: Owner
    record: Record
    attachment_id: UUID
    grant: Grant


def survivor_record(personas: Personas, *, parts: dict[str, str] | None = None) -> Built:
    owner = survivor_owner(personas)
    record = writing.record_create(owner)
    version = writing.record_save(owner, record, dict(parts or STORY))
    assert version is not None
    attached = writing.attachment_add(owner, record, name="coats.jpg", data=samples.jpeg_with_gps())
    grant = sharing.grant_create(
        owner,
        record,
        grantee=None,
        purpose="support",
        versions=[version.number],
        parts=list((parts or STORY).keys()),
        attachment_ids=[attached.id],
        expires_at=None,
    )
    messaging.message_from_owner(owner, record, "Could someone help me think about what to do?")
    return Built(owner=owner, record=record, attachment_id=attached.id, grant=grant)
