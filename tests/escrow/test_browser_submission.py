"""The browser construction's two requests, as js/page.js makes them (done here in Python
with the same primitives): the evaluation round trip, and the submission of tags and
sealed blobs. Both are checked for what a member gets back, good input and bad."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from chorus.crypto import envelope, matching, oprf
from chorus.escrow.identifiers import normalize
from chorus.escrow.models import Entry, Match, Share
from chorus.escrow.services import matches
from chorus.escrow.services.entries import escrow_settings_set, escrow_tag, share_content
from tests.escrow.factory import SAM, client_for, member_owner, name
from tests.personas import Personas
from tests.records.factory import advocate_reader, survivor_owner

CHOICES = {"tell_me": "yes", "would_meet": "no", "release": "contact", "statement": "at the Friday social"}


def _setup(client: Client) -> dict[str, Any]:
    page = client.get(reverse("escrow_new")).content.decode()
    text = page.split('<script id="escrow-setup" type="application/json">', 1)[1].split("</script>", 1)[0]
    setup: dict[str, Any] = json.loads(text)
    return setup


def _evaluate(client: Client, body: object) -> Any:
    return client.post(reverse("escrow_evaluate"), json.dumps(body), content_type="application/json")


def _browser_post(client: Client, identifiers: list[tuple[str, str]], **override: object) -> dict[str, object]:
    """What the page posts after building the entry: no identifier, no OPRF output."""
    setup = _setup(client)
    canonical = [normalize(kind, text, region=setup["region"]) for kind, text in identifiers]
    blinds, blinded = zip(*(oprf.blind(value.encode(), oprf.VOPRF) for value in canonical), strict=True)
    answer = _evaluate(client, {"blinded": [base64.b64encode(element).decode() for element in blinded]}).json()
    by_platform = [base64.b64decode(e) for e in answer["byPlatform"]]
    by_custodian = [base64.b64decode(e) for e in answer["byCustodian"]]
    platform_key, custodian_key = base64.b64decode(setup["platformKey"]), base64.b64decode(setup["custodianKey"])
    assert oprf.verify_proof(
        platform_key, list(blinded), by_platform, base64.b64decode(answer["platformProof"]), oprf.VOPRF
    )
    assert oprf.verify_proof(
        custodian_key, by_platform, by_custodian, base64.b64decode(answer["custodianProof"]), oprf.VOPRF
    )
    released_key = envelope.random_key()
    author, team_key = base64.b64decode(setup["author"]), base64.b64decode(setup["teamKey"])
    shares = []
    for value, blind, element in zip(canonical, blinds, by_custodian, strict=True):
        output = oprf.finalize(value.encode(), blind, element, oprf.OPRF)
        derived = matching.derive(output, organization=setup["organization"], k=setup["k"])
        sealed = envelope.seal_to_public_key(
            team_key, matching.payload(derived, author, share_content(value, released_key))
        )
        shares.append({"tag": base64.b64encode(derived.tag).decode(), "sealed": base64.b64encode(sealed).decode()})
    named = json.dumps([{"kind": kind, "text": text} for kind, text in identifiers]).encode()
    copy = envelope.seal(base64.b64decode(setup["copyKey"]), named, context=setup["copyContext"])
    return {
        **CHOICES,
        "construction": "browser",
        "k": setup["k"],
        "team_key": setup["teamKey"],
        "released_key": base64.b64encode(released_key).decode(),
        "named_copy": base64.b64encode(copy).decode(),
        "shares": json.dumps(shares),
        **override,
    }


def _survivor(personas: Personas) -> Client:
    return client_for(personas.survivor, personas.vault_keys["survivor"])


def test_a_browser_entry_matches_a_server_entry_and_the_advocates_read_both(personas: Personas) -> None:
    client = _survivor(personas)
    response = client.post(
        reverse("escrow_new"), _browser_post(client, [("email", SAM), ("phone", "+44 20 7946 0958")])
    )
    assert response.status_code == 302 and response["Location"] == reverse("escrow")
    assert Share.objects.count() == 2 and Match.objects.count() == 0
    name(member_owner(personas, "robin"), ("email", "sam.lee@EXAMPLE.org"))
    opened = matches.match_open(advocate_reader(personas), Match.objects.get())
    assert opened.identifier == "Email address: sam.lee@example.org"
    assert [entry.content["statement"] for entry in opened.entries] == ["at the Friday social", ""]
    assert opened.entries[0].member == personas.survivor
    # The author's page carries the list sealed, for the browser to open; not the identifier.
    entry = Entry.objects.get(owner_tag=escrow_tag(survivor_owner(personas)))
    page = client.get(reverse("escrow_entry", kwargs={"entry_id": entry.pk})).content.decode()
    assert "data-escrow-copy=" in page and SAM not in page and "sam.lee" not in page
    assert "In your browser: the server never received whom you named." in page


def test_the_evaluation_answers_with_proofs_and_counts_against_the_hourly_limit(
    personas: Personas, settings: Any
) -> None:
    settings.CHORUS_ESCROW_EVALUATIONS_PER_HOUR = 2
    client = _survivor(personas)
    element = base64.b64encode(oprf.blind(b"email:sam@example.org", oprf.VOPRF)[1]).decode()
    first = _evaluate(client, {"blinded": [element, element]})
    assert first.status_code == 200 and len(first.json()["byCustodian"]) == 2
    refused = _evaluate(client, {"blinded": [element]})
    assert refused.status_code == 429 and "this hour" in refused.json()["error"]
    assert int(refused["Retry-After"]) > 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"blinded": "abc"},
        {"blinded": ["not base64!"]},
        {"blinded": [base64.b64encode(bytes(32)).decode()]},  # the identity element
        {"blinded": [base64.b64encode(b"\xff" * 32).decode()]},  # not an element
        {"blinded": []},
        {"blinded": [base64.b64encode(oprf.blind(b"x", oprf.VOPRF)[1]).decode()] * 17},
    ],
)
def test_a_malformed_evaluation_request_is_explained(personas: Personas, body: object) -> None:
    response = _evaluate(_survivor(personas), body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_not_json_is_explained(personas: Personas) -> None:
    response = _survivor(personas).post(reverse("escrow_evaluate"), "blinded=1", content_type="text/plain")
    assert response.status_code == 400 and response.json()["error"] == "The request was not understood."


def _tag(share: int = 0) -> str:
    return base64.b64encode(bytes([share]) * 32).decode()


BAD_SUBMISSIONS = {
    "shares not a list": {"shares": json.dumps({"tag": _tag()})},
    "shares not JSON": {"shares": "[{"},
    "no shares": {"shares": "[]"},
    "a tag not base64": {"shares": json.dumps([{"tag": "!!", "sealed": _tag()}])},
    "a short tag": {"shares": json.dumps([{"tag": base64.b64encode(b"x").decode(), "sealed": _tag()}])},
    "a sealed blob too small": {"shares": json.dumps([{"tag": _tag(), "sealed": _tag()}])},
    "the released key too short": {"released_key": base64.b64encode(b"short").decode()},
    "no list of what was named": {"named_copy": ""},
    "an unknown choice": {"release": "everything"},
}


@pytest.mark.parametrize("case", sorted(BAD_SUBMISSIONS))
def test_a_bad_browser_submission_saves_nothing_and_says_so(personas: Personas, case: str) -> None:
    client = _survivor(personas)
    response = client.post(reverse("escrow_new"), _browser_post(client, [("email", SAM)], **BAD_SUBMISSIONS[case]))
    assert response.status_code == 200
    page = response.content.decode()
    assert ("Select a valid choice" if case == "an unknown choice" else "Nothing was saved") in page
    assert Entry.objects.count() == 0 and Share.objects.count() == 0


def test_duplicate_tags_are_refused(personas: Personas) -> None:
    client = _survivor(personas)
    post = _browser_post(client, [("email", SAM)])
    share = json.loads(str(post["shares"]))[0]
    response = client.post(reverse("escrow_new"), {**post, "shares": json.dumps([share, share])})
    assert "Nothing was saved" in response.content.decode() and Entry.objects.count() == 0


def test_an_entry_made_for_old_settings_is_refused(personas: Personas) -> None:
    """If the threshold changed while the page was open, the tag would never meet the
    others' tags: the member is asked to submit again."""
    client = _survivor(personas)
    post = _browser_post(client, [("email", SAM)])
    escrow_settings_set(personas.admin, threshold=3, phone_region="")
    response = client.post(reverse("escrow_new"), post)
    assert "settings changed while you were writing" in response.content.decode()
    assert Entry.objects.count() == 0


def test_an_entry_sealed_to_another_team_key_is_refused(personas: Personas) -> None:
    client = _survivor(personas)
    other = base64.b64encode(envelope.generate_key_pair().public_key).decode()
    response = client.post(reverse("escrow_new"), _browser_post(client, [("email", SAM)], team_key=other))
    assert "settings changed while you were writing" in response.content.decode()
    assert Entry.objects.count() == 0


def test_the_page_says_which_construction_runs(personas: Personas) -> None:
    page = _survivor(personas).get(reverse("escrow_new")).content.decode()
    assert "is not running JavaScript, so the server will build your entry" in page  # shown without JavaScript
    assert "Your browser builds this entry itself" in page  # what the script shows instead
    assert '<script type="module" src="/static/escrow/escrow.js">' in page
