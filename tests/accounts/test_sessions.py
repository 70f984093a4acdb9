"""A session ends when idle, without a database write on every request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone

from chorus.accounts.sessions import REFRESH_SECONDS
from tests.helpers import sign_in
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _signed_in(personas: Personas) -> tuple[Client, Session]:
    client = Client()
    sign_in(client, personas.survivor)
    return client, Session.objects.get(session_key=client.session.session_key)


def test_it_does_not_write_the_session_of_a_member_who_just_acted(personas: Personas) -> None:
    client, session = _signed_in(personas)
    assert client.get("/records/").status_code == 200
    assert client.get("/").status_code == 200
    assert Session.objects.get(pk=session.pk).expire_date == session.expire_date


def test_it_moves_the_idle_expiry_forward_once_it_falls_behind(personas: Personas) -> None:
    client, session = _signed_in(personas)
    behind = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - REFRESH_SECONDS - 5)
    Session.objects.filter(pk=session.pk).update(expire_date=behind)
    before = timezone.now()
    assert client.get("/records/").status_code == 200
    moved = Session.objects.get(pk=session.pk).expire_date
    assert moved >= before + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_it_slides_a_short_idle_limit_too(personas: Personas) -> None:
    client, session = _signed_in(personas)
    with override_settings(SESSION_COOKIE_AGE=60):  # CHORUS_SESSION_IDLE_MINUTES=1
        Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(seconds=50))
        before = timezone.now()
        assert client.get("/records/").status_code == 200
    assert Session.objects.get(pk=session.pk).expire_date >= before + timedelta(seconds=60)


def test_it_signs_out_a_member_idle_for_longer_than_the_limit(personas: Personas) -> None:
    client, session = _signed_in(personas)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/records/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
