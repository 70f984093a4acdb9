"""Emails Chorus sends. They carry links and notices, never content."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send(template: str, to: str, context: dict[str, object]) -> None:
    """``template`` names ``<template>_subject.txt`` and ``<template>.txt``."""
    context = {**context, "base_url": settings.CHORUS_BASE_URL}
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}.txt", context)
    send_mail(subject, body, None, [to], fail_silently=False)
