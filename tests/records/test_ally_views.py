"""The pages of a request to step in, as the survivor, as the member she asked, and as
everyone else (who gets 404)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from chorus.records.models import AllyRequest, Grant
from chorus.records.services import allies
from tests.helpers import open_vault
from tests.personas import ALL_PERSONAS, Personas
from tests.records.ally_factory import ALLY, ALLY_WORDS, ally_reader, asked
from tests.records.factory import STORY, survivor_record

pytestmark = pytest.mark.django_db
OTHERS = [persona for persona in ALL_PERSONAS if persona not in ("survivor", ALLY, "outsider")]


def _client(personas: Personas, persona: str) -> Client:
    client = Client()
    if persona != "outsider":
        member = personas.members[persona]
        client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
        open_vault(client, member, personas.vault_keys[persona])
    return client


def test_it_asks_a_trusted_member_with_only_the_chosen_parts(personas: Personas) -> None:
    built = survivor_record(personas)
    client = _client(personas, "survivor")
    page = client.get(f"/records/{built.record.pk}/step-in/")
    assert "Ask someone you trust to step in" in page.content.decode()
    form = client.get(f"/records/{built.record.pk}/step-in/ask/").content.decode()
    assert "Facilitator" in form and "Hilltop Admin" not in form
    response = client.post(
        f"/records/{built.record.pk}/step-in/ask/",
        {
            "ally": str(personas.facilitator.pk),
            "ask": "talk",
            "words": ALLY_WORDS,
            "versions": ["1"],
            "parts": ["what"],
        },
    )
    assert response.status_code == 302
    request = AllyRequest.objects.get()
    assert request.grant.grantee == personas.facilitator and request.grant.scope["parts"] == ["what"]
    shown = client.get(response["Location"]).content.decode()
    assert "Talk to the person about their behaviour" in shown and "Waiting for an answer" in shown


def test_it_explains_a_refused_ask_and_keeps_what_was_typed(personas: Personas) -> None:
    built = survivor_record(personas)
    response = _client(personas, "survivor").post(
        f"/records/{built.record.pk}/step-in/ask/",
        {"ally": str(personas.facilitator.pk), "ask": "other", "words": "  ", "versions": ["1"], "parts": ["what"]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say in your own words what you would like them to do." in page
    assert not AllyRequest.objects.exists()


def test_it_lets_the_ally_accept_then_read_write_and_report(personas: Personas) -> None:
    made = asked(personas)
    client = _client(personas, ALLY)
    assert "Someone who trusts you asks you to step in" in client.get("/").content.decode()
    detail = client.get(f"/stepping-in/{made.request.pk}/").content.decode()
    assert ALLY_WORDS in detail and STORY["what"] not in detail  # nothing of the record before yes
    assert client.get(f"/stepping-in/{made.request.pk}/shared/").status_code == 404
    answered = client.post(f"/stepping-in/{made.request.pk}/answer/", {"answer": "accept"})
    assert answered.status_code == 302
    shared = client.get(f"/stepping-in/{made.request.pk}/shared/").content.decode()
    assert STORY["what"] in shared and STORY["who"] not in shared
    assert client.get(f"/stepping-in/{made.request.pk}/shared/files/{made.built.attachment_id}/").status_code == 200
    notes = f"/stepping-in/{made.request.pk}/notes/"
    assert client.post(notes, {"kind": "report", "body": "I talked to him."}).status_code == 302
    assert "I talked to him." in client.get(notes).content.decode()
    hers = _client(personas, "survivor").get(f"/records/{made.built.record.pk}/step-in/{made.request.pk}/")
    assert "I talked to him." in hers.content.decode() and "Accepted" in hers.content.decode()
    assert "Turn it into a case" in hers.content.decode()


def test_it_lets_the_ally_decline_and_she_sees_declined(personas: Personas) -> None:
    made = asked(personas)
    client = _client(personas, ALLY)
    assert client.post(f"/stepping-in/{made.request.pk}/answer/", {"answer": "decline"}).status_code == 302
    assert "This has ended" in client.get(f"/stepping-in/{made.request.pk}/").content.decode()
    hers = _client(personas, "survivor").get(f"/records/{made.built.record.pk}/step-in/")
    assert "declined" in hers.content.decode()


def test_it_stops_after_a_confirmation_and_the_ally_can_open_nothing(personas: Personas) -> None:
    made = asked(personas, accept=True)
    allies.ally_write(made.ally, made.request, body="A note.", report=False)
    survivor = _client(personas, "survivor")
    stop = f"/records/{made.built.record.pk}/step-in/{made.request.pk}/stop/"
    confirm = survivor.get(stop).content.decode()
    assert 'class="danger"' in confirm and "Stop it" in confirm
    assert survivor.post(stop).status_code == 302
    assert Grant.objects.get(pk=made.request.grant_id).content is None
    ally = _client(personas, ALLY)
    base = f"/stepping-in/{made.request.pk}/"
    for url in (f"{base}shared/", f"{base}notes/", f"{base}shared/files/{made.built.attachment_id}/"):
        assert ally.get(url).status_code == 404, url
    assert ally.post(f"{base}notes/", {"kind": "note", "body": "more"}).status_code == 404
    ended = ally.get(base).content.decode()
    assert "This has ended" in ended and "A note." not in ended and ALLY_WORDS not in ended


@pytest.mark.parametrize("persona", OTHERS)
def test_it_denies_everyone_else_both_sides(personas: Personas, persona: str) -> None:
    made = asked(personas, accept=True)
    client = _client(personas, persona)
    base = f"/stepping-in/{made.request.pk}/"
    mine = f"/records/{made.built.record.pk}/step-in/{made.request.pk}/"
    for url in (base, f"{base}shared/", f"{base}notes/", mine, f"{mine}stop/"):
        assert client.get(url).status_code == 404, (persona, url)
    assert client.post(f"{base}answer/", {"answer": "decline"}).status_code == 404
    assert client.post(f"{mine}stop/").status_code == 404
    assert AllyRequest.objects.get(pk=made.request.pk).state == "accepted"


def test_it_denies_the_outsider(personas: Personas) -> None:
    made = asked(personas)
    response = _client(personas, "outsider").get(f"/stepping-in/{made.request.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/")


def test_it_shows_advocates_nothing_of_it(personas: Personas) -> None:
    made = asked(personas, persona="advocate", accept=True)
    allies.ally_write(made.ally, made.request, body="Reported back.", report=True)
    client = _client(personas, "advocate")
    for url in ("/advocates/inbox/", "/"):
        page = client.get(url).content.decode()
        assert str(made.request.grant_id) not in page and "step in" not in page.lower(), url
    assert client.get(f"/advocates/shared/{made.request.grant_id}/").status_code == 404
    share_page = _client(personas, "survivor").get(f"/records/{made.built.record.pk}/share/").content.decode()
    assert str(made.request.grant_id) not in share_page  # stopped only from its own page


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_it_changes_no_insight_or_advocate_page(personas: Personas) -> None:
    """The figures and the advocates' pages read the same before and after a request to step
    in, accepted, written in and reported on."""
    built = survivor_record(personas)
    pages = {"admin": ["/insights/", "/transparency/"], "advocate": ["/advocates/inbox/", "/", "/transparency/"]}
    before = {
        (who, url): _without_tokens(_client(personas, who).get(url).content.decode())
        for who in pages
        for url in pages[who]
    }
    request = allies.ally_ask(
        built.owner,
        built.record,
        ally=personas.advocate,
        ask="talk",
        words="",
        versions=[1],
        parts=["what"],
        attachment_ids=[],
    )
    friend = ally_reader(personas, "advocate")  # an advocate asked as a friend
    allies.ally_answer(friend, request, accept=True)
    assert allies.ally_shared(friend, request).versions  # they read it, too
    allies.ally_write(friend, request, body="Reported back.", report=True)
    after = {
        (who, url): _without_tokens(_client(personas, who).get(url).content.decode())
        for who in pages
        for url in pages[who]
    }
    assert after == before
