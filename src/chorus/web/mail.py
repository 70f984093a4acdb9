"""Emails Chorus sends. They carry links and notices, never content."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from chorus.accounts.models import Member


def send(template: str, to: str, context: dict[str, object], *, language: str | None = None) -> None:
    """``template`` names ``<template>_subject.txt`` and ``<template>.txt``. The email is in
    the language its recipient chose, if they are a member who chose one; otherwise in
    ``language`` (the sender's when it was queued) or the one active now."""
    chosen = Member.objects.filter(email=to.strip().lower()).values_list("language", flat=True).first()
    context = {**context, "base_url": settings.CHORUS_BASE_URL}
    with translation.override(chosen or language or translation.get_language()):
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
    send_mail(subject, body, None, [to], fail_silently=False)
