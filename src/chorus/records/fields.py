"""The parts of a guided record, in the order a survivor meets them.

Every part is optional. Labels and prompts are written to invite, not to interrogate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Part:
    name: str
    label: StrOrPromise
    prompt: StrOrPromise


PARTS: tuple[Part, ...] = (
    Part("title", _("A name for this record, just for you"), _("Only you see it, in your list of records.")),
    Part("what", _("What happened"), _("In your own words, as much or as little as you want.")),
    Part("when", _("When it happened"), _("A date, a period, or “around the spring party” — whatever you remember.")),
    Part("where", _("Where it happened"), _("A place, an event, online — if you want to say.")),
    Part("who", _("Who was involved"), _("The person or people who did this, and anyone else who was part of it.")),
    Part("witnesses", _("Who saw or heard"), _("Anyone who was there, or whom you told afterwards.")),
    Part("evidence", _("Anything that shows what happened"), _("Messages, photos, notes. You can attach files below.")),
    Part(
        "impact",
        _("How it has affected you"),
        _("Your work, your health, your sense of safety — anything you want noted."),
    ),
    Part(
        "wants",
        _("What you would like now"),
        _("Nothing yet, support, changes at work, a conversation, a process — it can change."),
    ),
)
PART_NAMES: tuple[str, ...] = tuple(part.name for part in PARTS)
MAX_PART_LENGTH = 50_000


def clean_parts(values: Mapping[str, object]) -> dict[str, str]:
    """Only known parts, as stripped strings; empty parts are left out."""
    cleaned = {}
    for name in PART_NAMES:
        value = values.get(name)
        if isinstance(value, str) and value.strip():
            cleaned[name] = value.strip()
    return cleaned
