"""A step's one-time message waits for the next page in a sealed cookie: the database is not
written for it, the browser cannot read or forge it, and it is shown once."""

from __future__ import annotations

import base64

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chorus.records.services import writing
from tests.escrow.factory import client_for
from tests.personas import Personas
from tests.records.factory import STORY, survivor_owner

pytestmark = pytest.mark.django_db


def _saved_record(personas: Personas) -> tuple[object, str]:
    record = writing.record_create(survivor_owner(personas))
    return record, f"/records/{record.pk}/"


def test_a_saved_step_says_so_once_without_writing_the_session(personas: Personas) -> None:
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    _, path = _saved_record(personas)
    with CaptureQueriesContext(connection) as saving:
        response = client.post(path, {**STORY, "what": "He would not let me pass."})
    assert response.status_code == 302
    assert not [q for q in saving.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]

    cookie = response.cookies["chorus_messages"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    # Neither the text nor any encoding of it is in the cookie: it is sealed, not signed.
    raw = base64.urlsafe_b64decode(cookie.value)
    for shown in (b"Saved as version", b"Saved", base64.b64encode(b"Saved as version")[:12]):
        assert shown not in raw and shown not in cookie.value.encode()

    with CaptureQueriesContext(connection) as reading:
        page = client.get(response["Location"]).content.decode()
    assert "Saved as version 1. Only you can read it." in page
    assert not [q for q in reading.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert "Saved as version" not in client.get(response["Location"]).content.decode()  # shown once


def test_a_forged_or_damaged_cookie_shows_nothing_and_is_dropped(personas: Personas) -> None:
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    _, path = _saved_record(personas)
    response = client.post(path, {**STORY, "what": "He would not let me pass."})
    sealed = bytearray(base64.urlsafe_b64decode(response.cookies["chorus_messages"].value))
    sealed[-1] ^= 1
    for value in (base64.urlsafe_b64encode(bytes(sealed)).decode(), "not base64 at all!", "W10"):
        client.cookies["chorus_messages"] = value
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert "Saved as version" not in page.content.decode()
        assert page.cookies["chorus_messages"].value == ""  # deleted


def _pending(personas: Personas) -> tuple[Client, str]:
    """The survivor saves a version; the page that would show "Saved" is not opened yet."""
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    _, path = _saved_record(personas)
    response = client.post(path, {**STORY, "what": "He would not let me pass."})
    assert response.status_code == 302 and response.cookies["chorus_messages"].value
    return client, response["Location"]


@pytest.mark.parametrize("leaving", ["/sign-out/", "/quick-exit/"])
def test_a_waiting_message_is_not_shown_to_whoever_uses_the_device_next(personas: Personas, leaving: str) -> None:
    client, _ = _pending(personas)
    assert client.post(leaving).status_code in (204, 302)
    assert client.cookies["chorus_messages"].value  # still in the browser, but sealed for her
    page = client.get("/sign-in/")
    assert "Saved as version" not in page.content.decode()
    assert page.cookies["chorus_messages"].value == ""  # dropped


def test_a_message_copied_into_another_members_browser_does_not_open(personas: Personas) -> None:
    _, location = _pending(personas)
    client, _ = _pending(personas)
    other = client_for(personas.advocate, personas.vault_keys["advocate"])
    other.cookies["chorus_messages"] = client.cookies["chorus_messages"].value
    assert "Saved as version" not in other.get("/").content.decode()
    assert "Saved as version" in client.get(location).content.decode()  # and still opens for her
