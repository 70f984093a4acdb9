"""Something of every kind sealed to a team key, made through the services, and the
ways a test looks at it: as a current member reads it, and as a copy of a key opens it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from chorus.cases.models import Case, RepairRequest
from chorus.cases.services import repair
from chorus.cases.services.core import case_actor, case_open, item_write_to_team, items_for, self_case_open
from chorus.crypto.errors import CryptoError
from chorus.escrow.models import Group, Match
from chorus.escrow.services import groups
from chorus.escrow.services.matches import match_open
from chorus.insights.services import stories
from chorus.records import keys
from chorus.records.access import Reader
from chorus.records.models import Conversation, Grant, TeamKeyRotation
from chorus.records.services import messaging
from chorus.records.services.rotation import sealed_columns
from chorus.records.services.sharing import grant_open
from chorus.records.services.team import team_private_key
from tests.escrow.factory import matched_group
from tests.personas import Personas, add_member
from tests.records.factory import advocate_reader, survivor_owner, survivor_record

EXCERPT = "After the meeting my manager kept my hand in his for far too long and laughed when I pulled away."


@dataclass
class Sealed:
    grants: list[Grant]
    conversations: list[Conversation]
    case: Case
    match: Match
    group: Group
    repair: RepairRequest


def seal_everything(personas: Personas) -> Sealed:
    """Two shares with the advocate team (each with a conversation), a case with an item for
    the team, a match and its group with a message, a request for repair passed on to the
    advocates, and a story shown to the commission."""
    built = [survivor_record(personas), survivor_record(personas)]
    case = case_open(
        personas.survivor, personas.vault_keys["survivor"], summary="I want it to stop.", pathway="support"
    )
    complainant = case_actor(personas.survivor, personas.vault_keys["survivor"], case.pk)
    item_write_to_team(complainant, "measure_done", "The new room helps.")
    match, group = matched_group(personas)
    groups.message_from_team(advocate_reader(personas), group, "You are not alone; we are here.")
    story_show(personas, EXCERPT)
    return Sealed(
        repair=_repair_passed_on(personas),
        grants=[b.grant for b in built],
        conversations=[Conversation.objects.get(record=b.record) for b in built],
        case=case,
        match=match,
        group=group,
    )


def _repair_passed_on(personas: Personas) -> RepairRequest:
    plan = self_case_open(
        personas.respondent, personas.vault_keys["respondent"], facilitator=personas.facilitator, text="Worried."
    )
    him = case_actor(personas.respondent, personas.vault_keys["respondent"], plan.pk)
    request = repair.repair_request(him, concerning=personas.survivor, name="", offer="An apology.")
    facilitator = case_actor(personas.facilitator, personas.vault_keys["facilitator"], plan.pk)
    repair.repair_review(facilitator, request=request, forward=True)
    return request


def story_show(personas: Personas, text: str) -> None:
    owner = survivor_owner(personas)
    stories.story_show(owner, stories.story_write(owner, text=text).pk)


def read_as_advocate(sealed: Sealed, reader: Reader) -> dict[str, Any]:
    """Everything the advocates read, as this advocate reads it through the services (each
    row loaded afresh, as a request would)."""
    grants = Grant.objects.filter(pk__in=[grant.pk for grant in sealed.grants]).order_by("created_at")
    conversations = Conversation.objects.filter(pk__in=[c.pk for c in sealed.conversations]).order_by("pk")
    return {
        "grants": [grant_open(reader, grant).versions[0].parts for grant in grants.select_related("record")],
        "conversations": [
            [message.body for message in messaging.messages_for_team(reader, conversation)]
            for conversation in conversations.select_related("record")
        ],
        "case": sorted(view.text for view in items_for(case_actor(reader.member, reader.vault_key, sealed.case.pk))),
        "match": sorted(
            (entry.name, str(entry.content["identifier"]))
            for entry in match_open(reader, Match.objects.get(pk=sealed.match.pk)).entries
        ),
        "group": [message.body for message in groups.messages_for_team(reader, Group.objects.get(pk=sealed.group.pk))],
        "repair": repair.repair_for_team(reader, sealed.repair.pk)[1].offer,
    }


def team_member(personas: Personas, name: str, role: str) -> Reader:
    member, vault_key = add_member(personas.organization, name, {role})
    return Reader(member=member, vault_key=vault_key)


def copy_of_team_key(reader: Reader, role: str) -> bytes:
    """What a member who means to keep reading after they leave would save."""
    return team_private_key(reader, role)


def opened_by(private_key: bytes, personas: Personas, role: str) -> list[str]:
    """Every row sealed to a team key of ``role`` that ``private_key`` opens."""
    opened = []
    for column in sealed_columns(role):
        for pk, blob in column.rows(personas.organization).values_list("pk", column.column):
            try:
                keys.open_from(private_key, blob)
            except CryptoError:
                continue
            opened.append(f"{column.name} {pk}")
    return opened


def opened_anywhere(private_key: bytes) -> list[str]:
    """Every binary column of every table that ``private_key`` opens: catches a column
    sealed to a team key that the rotation does not know of."""
    opened = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.BinaryField):
                continue
            for pk, blob in model._default_manager.exclude(**{field.name: None}).values_list("pk", field.name):
                try:
                    keys.open_from(private_key, blob)
                except CryptoError:
                    continue
                opened.append(f"{model._meta.label}.{field.name} {pk}")
    return opened


def sealed_rows(personas: Personas, role: str) -> dict[str, int]:
    return {column.name: column.rows(personas.organization).count() for column in sealed_columns(role)}


def settled() -> None:
    """As if every request that fetched the retired public key had since ended."""
    TeamKeyRotation.objects.update(reseal_from=timezone.now() - timedelta(seconds=1))
