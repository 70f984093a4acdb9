"""A survivor's request to someone she trusts, built through the services."""

from __future__ import annotations

from dataclasses import dataclass

from chorus.records.access import Reader
from chorus.records.models import AllyRequest
from chorus.records.services import allies
from tests.personas import Personas
from tests.records.factory import Built, survivor_record

# The persona asked to step in: any member will do; the facilitator holds no role over records.
ALLY = "facilitator"
ALLY_WORDS = "Please talk to Dominik; he listens to you."


@dataclass
class Asked:
    built: Built
    request: AllyRequest
    ally: Reader


def ally_reader(personas: Personas, persona: str = ALLY) -> Reader:
    return Reader(member=personas.members[persona], vault_key=personas.vault_keys[persona])


def asked(personas: Personas, *, persona: str = ALLY, accept: bool = False, parts: list[str] | None = None) -> Asked:
    """The survivor's record, with the ``what`` and ``when`` of version 1 (and its file)
    given to ``persona``, asked to talk to the person."""
    built = survivor_record(personas)
    request = allies.ally_ask(
        built.owner,
        built.record,
        ally=personas.members[persona],
        ask="talk",
        words=ALLY_WORDS,
        versions=[1],
        parts=parts or ["what", "when"],
        attachment_ids=[built.attachment_id],
    )
    reader = ally_reader(personas, persona)
    if accept:
        allies.ally_answer(reader, request, accept=True)
    return Asked(built=built, request=request, ally=reader)
