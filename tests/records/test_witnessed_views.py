"""What I saw: the pages of the witness, of the member it happened to, and of the advocates."""

from __future__ import annotations

import re

from django.test import Client

from chorus.records.models import Grant, Record
from chorus.records.services import sharing, witnessed
from chorus.records.witnessed_models import WitnessAccount
from tests.cases.factory import opened, people
from tests.helpers import open_vault
from tests.personas import Personas
from tests.records.factory import survivor_owner

SEEN = "He shouted at her in the canteen until she left in tears."


def _client(personas: Personas, persona: str) -> Client:
    client = Client()
    member = personas.members[persona]
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, personas.vault_keys[persona])
    return client


def _shared(personas: Personas, *, contact: bool = True) -> tuple[Record, Grant]:
    owner = survivor_owner(personas, "panel")
    record = witnessed.witnessed_create(owner, values={"what": SEEN})
    witnessed.witnessed_name(owner, record, email=personas.survivor.email, contact_allowed=contact)
    grant = sharing.grant_create(
        owner, record, grantee=None, purpose="support", versions=[1], parts=["what"], attachment_ids=[],
        expires_at=None,
    )  # fmt: skip
    return record, grant


def test_it_saves_an_account_and_shows_it_to_its_witness(personas: Personas) -> None:
    client = _client(personas, "respondent")
    response = client.post(
        "/records/saw/new/", {"what": SEEN, "email": personas.survivor.email, "contact": "yes"}, follow=True
    )
    page = response.content.decode()
    assert SEEN in page and personas.survivor.email in page and "Nobody has asked her." in page
    assert WitnessAccount.objects.get().contact_allowed


def test_it_keeps_what_was_typed_when_the_account_is_empty(personas: Personas) -> None:
    client = _client(personas, "respondent")
    response = client.post("/records/saw/new/", {"what": "", "where": "The canteen"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "The canteen" in page
    assert not WitnessAccount.objects.exists()


def test_the_witness_reads_the_same_whether_or_not_a_member_uses_the_address(personas: Personas) -> None:
    """Otherwise naming someone would tell a member which addresses belong to members."""
    client = _client(personas, "respondent")
    pages = []
    for email in (personas.survivor.email, "who@else.example"):
        response = client.post("/records/saw/new/", {"what": SEEN, "email": email, "contact": "yes"}, follow=True)
        assert response.status_code == 200
        page = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", response.content.decode())
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        pages.append(page.replace(email, "ADDRESS"))
    assert "ADDRESS" in pages[0] and pages[0] == pages[1]
    assert [account.contact_allowed for account in WitnessAccount.objects.all()] == [True, True]


def _comparable(response, email: str) -> str:  # type: ignore[no-untyped-def]
    page = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", response.content.decode())
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return page.replace(email, "ADDRESS")


def test_changing_whom_it_happened_to_reads_the_same_whether_or_not_a_member_uses_the_address(
    personas: Personas,
) -> None:
    """The naming form on the account's own page, with and without a member behind the address."""
    client = _client(personas, "respondent")
    owner = survivor_owner(personas, "respondent")
    pages = []
    for email in (personas.survivor.email, "who@else.example"):
        record = witnessed.witnessed_create(owner, values={"what": SEEN})
        response = client.post(f"/records/saw/{record.pk}/", {"email": email, "contact": "yes"})
        assert response.status_code == 302 and response["Location"] == f"/records/saw/{record.pk}/"
        shown = client.get(response["Location"])
        assert shown.status_code == 200 and email in shown.content.decode()
        pages.append(_comparable(shown, email))
    assert pages[0] == pages[1]


def test_naming_is_refused_plainly_after_the_hourly_limit_alike_for_any_address(personas: Personas) -> None:
    client = _client(personas, "respondent")
    record = witnessed.witnessed_create(survivor_owner(personas, "respondent"), values={"what": SEEN})
    for number in range(witnessed.NAMINGS_PER_HOUR):
        posted = {"email": f"person{number}@riverside.example", "contact": "yes"}
        assert "Your choice is saved." in client.post(f"/records/saw/{record.pk}/", posted, follow=True).content.decode()
    refusals = []
    for email in (personas.survivor.email, "who@else.example"):
        response = client.post(f"/records/saw/{record.pk}/", {"email": email, "contact": "yes"})
        assert response.status_code == 400
        assert "You have named someone many times this hour." in response.content.decode()
        refusals.append(_comparable(response, email))
    assert refusals[0] == refusals[1]
    last = f"person{witnessed.NAMINGS_PER_HOUR - 1}@riverside.example"
    assert witnessed.witnessed_status(survivor_owner(personas, "respondent"), record).named == last


def test_it_denies_the_account_to_anyone_but_its_witness(personas: Personas) -> None:
    record, _grant = _shared(personas)
    for persona in ("survivor", "advocate", "admin"):
        assert _client(personas, persona).get(f"/records/saw/{record.pk}/").status_code == 404


def test_it_asks_her_without_showing_the_account_or_its_witness(personas: Personas) -> None:
    _record, grant = _shared(personas)
    advocate = _client(personas, "advocate")
    assert SEEN in advocate.get(f"/advocates/saw/{grant.pk}/").content.decode()
    assert advocate.post(f"/advocates/saw/{grant.pk}/ask/").status_code == 302
    page = _client(personas, "survivor").get("/records/saw/questions/").content.decode()
    assert "Do you want this account added to your case?" in page
    assert SEEN not in page and "Panel" not in page
    assert (
        "Do you want this account"
        not in _client(personas, "respondent").get("/records/saw/questions/").content.decode()
    )


def test_it_denies_asking_her_when_the_witness_did_not_agree(personas: Personas) -> None:
    _record, grant = _shared(personas, contact=False)
    response = _client(personas, "advocate").post(f"/advocates/saw/{grant.pk}/ask/", follow=True)
    assert "did not agree that she may be asked" in response.content.decode()
    assert WitnessAccount.objects.get().asked_at is None


def test_it_denies_the_advocate_pages_to_everyone_else(personas: Personas) -> None:
    _record, grant = _shared(personas)
    for persona in ("survivor", "panel", "commission", "admin"):
        client = _client(personas, persona)
        assert client.get("/advocates/saw/").status_code == 403
        assert client.get(f"/advocates/saw/{grant.pk}/").status_code == 403
        assert client.post(f"/advocates/saw/{grant.pk}/ask/").status_code == 403


def test_it_denies_answering_to_anyone_but_her(personas: Personas) -> None:
    _record, grant = _shared(personas)
    _client(personas, "advocate").post(f"/advocates/saw/{grant.pk}/ask/")
    question = WitnessAccount.objects.get().pk
    for persona in ("respondent", "panel", "advocate"):
        answer = {f"{question}-answer": "no"}
        assert _client(personas, persona).post(f"/records/saw/questions/{question}/", answer).status_code == 404
    assert WitnessAccount.objects.get().answer == ""


def test_it_adds_the_account_to_her_case_after_her_yes(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd)
    record, grant = _shared(personas)
    advocate = _client(personas, "advocate")
    advocate.post(f"/advocates/saw/{grant.pk}/ask/")
    question = WitnessAccount.objects.get().pk
    her = _client(personas, "survivor")
    answer = {f"{question}-answer": "yes", f"{question}-case": str(case.pk)}
    assert her.post(f"/records/saw/questions/{question}/", answer).status_code == 302
    assert "Add it to her case file" in advocate.get(f"/advocates/saw/{grant.pk}/").content.decode()
    added = advocate.post(f"/advocates/saw/{grant.pk}/add/")
    assert added.status_code == 302 and added["Location"] == f"/cases/{case.pk}/"
    assert SEEN in her.get(f"/cases/{case.pk}/").content.decode()
    witness_page = _client(personas, "panel").get(f"/records/saw/{record.pk}/").content.decode()
    assert "She wanted it added, and it was." in witness_page and str(case.pk) not in witness_page
