from __future__ import annotations

from django import template

from chorus.records.fields import PARTS

register = template.Library()


@register.filter
def labelled(parts: dict[str, str]) -> list[tuple[str, str]]:
    """A record's parts as (label, text), in the guided order, leaving out empty ones."""
    return [(str(part.label), parts[part.name]) for part in PARTS if parts.get(part.name)]
