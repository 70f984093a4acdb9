"""The member's own preparation, as a section of their account page."""

from __future__ import annotations

from typing import Any

from django import template

from chorus.accounts.models import Member
from chorus.preparation.services.training import may_confirm, person_preparation

register = template.Library()


@register.inclusion_tag("preparation/_own.html")
def own_preparation(member: Member) -> dict[str, Any]:
    person = person_preparation(member)
    return {
        "person": person,
        "shown": bool(person.records) or any(status.held for status in person.statuses),
        "may_confirm": may_confirm(member),
    }
