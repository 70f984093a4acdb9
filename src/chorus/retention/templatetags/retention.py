"""Dates for retention's pages and emails."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from chorus.records.models import Record
from chorus.retention.services.clock import record_deletes_on

register = template.Library()


@register.filter
def iso_date(value: str) -> date | None:
    """An ISO date carried in a queued email's context, back to a date to format."""
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.simple_tag
def deletes_on(record: Record) -> datetime:
    return record_deletes_on(record)
