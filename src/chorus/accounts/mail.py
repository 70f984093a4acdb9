"""Emails Chorus sends about accounts. They carry links, never content."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def send(template: str, to: str, context: dict[str, object]) -> None:
    context = {**context, "base_url": settings.CHORUS_BASE_URL}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/email/{template}.txt", context)
    send_mail(subject, body, None, [to], fail_silently=False)
