"""``{% stage_times_for_request as stage_times %}``: the time-in-stage tables for the
signed-in member's organization, for ``insights/stage_times.html`` (the insights page has
already checked that this member may see insights)."""

from __future__ import annotations

from typing import Any

from django import template

from chorus.accounts.access import signed_in_member
from chorus.insights.stage_times import StageTimes, stage_times

register = template.Library()


@register.simple_tag(takes_context=True)
def stage_times_for_request(context: dict[str, Any]) -> StageTimes:
    return stage_times(signed_in_member(context["request"]).organization)
