"""What I saw: a member's account of what happened to someone else, through the services."""

from __future__ import annotations

import pytest
from django.http import Http404

from chorus.escrow.models import Entry
from chorus.escrow.services.entries import Choices, EscrowError, Named, entry_submit
from chorus.ledger.models import LedgerEvent
from chorus.records.services import sharing, witnessed
from chorus.records.services.witnessed import WitnessError
from chorus.records.witnessed_models import WitnessAccount
from tests.cases.factory import opened, people
from tests.escrow.factory import SAM
from tests.personas import Personas
from tests.records.factory import advocate_reader, survivor_owner

SEEN = {"title": "The lift", "what": "I saw him block her in the lift and she looked scared."}


def _witness(personas: Personas, *, contact: bool = True, email: str = "survivor@riverside.example"):  # type: ignore[no-untyped-def]
    """The panel persona saw something happen to the survivor persona, and shares it."""
    owner = survivor_owner(personas, "panel")
    record = witnessed.witnessed_create(owner, values=SEEN)
    witnessed.witnessed_name(owner, record, email=email, contact_allowed=contact)
    grant = sharing.grant_create(
        owner, record, grantee=None, purpose="support", versions=[1], parts=list(SEEN), attachment_ids=[],
        expires_at=None,
    )  # fmt: skip
    return owner, record, grant


def test_it_keeps_the_account_as_the_witness_own_sealed_record(personas: Personas) -> None:
    owner, record, _grant = _witness(personas)
    status = witnessed.witnessed_status(owner, record)
    assert status.named == "survivor@riverside.example" and status.contact_allowed and not status.asked
    account = WitnessAccount.objects.get(record=record)
    assert str(personas.survivor.pk).encode() not in bytes(account.survivor_sealed or b"")
    assert LedgerEvent.objects.filter(action="witnessed.created").exists()


def test_it_never_counts_toward_a_match(personas: Personas) -> None:
    owner, record, _grant = _witness(personas)
    with pytest.raises(EscrowError, match="cannot be used to name a person"):
        entry_submit(
            owner,
            named=[Named(kind="email", text=SAM)],
            choices=Choices(tell_me=True, would_meet=True, release="record", record_id=record.pk),
        )
    assert not Entry.objects.exists()


def test_it_is_never_offered_on_the_escrow_page(personas: Personas, client) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import open_vault

    owner = survivor_owner(personas, "panel")
    witnessed.witnessed_create(owner, values=SEEN)
    client.force_login(personas.panel, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, personas.panel, personas.vault_keys["panel"])
    page = client.get("/escrow/new/").content.decode()
    assert "The lift" not in page


def test_it_refuses_naming_oneself_and_an_empty_address_with_consent(personas: Personas) -> None:
    owner = survivor_owner(personas, "panel")
    record = witnessed.witnessed_create(owner, values=SEEN)
    with pytest.raises(WitnessError, match="someone else"):
        witnessed.witnessed_name(owner, record, email=" Panel@Riverside.example", contact_allowed=True)
    with pytest.raises(WitnessError, match="email address"):
        witnessed.witnessed_name(owner, record, email="", contact_allowed=True)


def test_an_address_nobody_uses_is_kept_as_any_other_and_the_advocate_reads_there_is_nobody_to_ask(
    personas: Personas,
) -> None:
    """The witness learns nothing of whether an address is a member's: it is kept and shown back
    alike. The advocate, who reads the account, learns that there is nobody to ask."""
    owner, record, grant = _witness(personas, email="nobody@riverside.example")
    status = witnessed.witnessed_status(owner, record)
    assert status.named == "nobody@riverside.example" and status.contact_allowed
    account = WitnessAccount.objects.get(record=record)
    assert account.survivor_tag is None and b"nobody" not in bytes(account.named_sealed or b"")
    with pytest.raises(WitnessError, match="nobody to ask"):
        witnessed.witnessed_ask(advocate_reader(personas), grant)


def test_naming_is_limited_per_hour(personas: Personas) -> None:
    owner = survivor_owner(personas, "panel")
    record = witnessed.witnessed_create(owner, values=SEEN)
    for number in range(witnessed.NAMINGS_PER_HOUR):
        witnessed.witnessed_name(owner, record, email=f"person{number}@riverside.example", contact_allowed=True)
    with pytest.raises(WitnessError, match="many times this hour"):
        witnessed.witnessed_name(owner, record, email="survivor@riverside.example", contact_allowed=True)
    assert witnessed.witnessed_status(owner, record).named == f"person{witnessed.NAMINGS_PER_HOUR - 1}@riverside.example"
    witnessed.witnessed_name(owner, record, email="", contact_allowed=False)  # taking the name away is not limited


def test_it_denies_asking_her_without_the_witness_consent(personas: Personas) -> None:
    _owner, _record, grant = _witness(personas, contact=False)
    with pytest.raises(WitnessError, match="did not agree"):
        witnessed.witnessed_ask(advocate_reader(personas), grant)
    assert witnessed.questions_for(personas.survivor) == []


def test_it_denies_asking_her_when_nobody_is_named(personas: Personas) -> None:
    _owner, _record, grant = _witness(personas, contact=False, email="")
    with pytest.raises(WitnessError):
        witnessed.witnessed_ask(advocate_reader(personas), grant)


def test_it_tells_the_witness_only_that_she_declined(personas: Personas) -> None:
    owner, record, grant = _witness(personas)
    witnessed.witnessed_ask(advocate_reader(personas), grant)
    [question] = witnessed.questions_for(personas.survivor)
    assert witnessed.questions_for(personas.respondent) == []  # nobody else is asked
    witnessed.witnessed_answer(personas.survivor, question.id, yes=False, case_id=None)
    status = witnessed.witnessed_status(owner, record)
    assert status.answer == "no" and not status.added
    with pytest.raises(WitnessError):
        witnessed.witnessed_add_to_case(advocate_reader(personas), grant)
    assert witnessed.questions_for(personas.survivor) == []
    answered = LedgerEvent.objects.get(action="witnessed.answered")
    assert answered.actor == "owner"  # her pseudonym is never beside the account


def test_it_adds_the_account_to_her_case_when_she_says_yes(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd)
    owner, record, grant = _witness(personas)
    witnessed.witnessed_ask(advocate_reader(personas), grant)
    [question] = witnessed.questions_for(personas.survivor)
    assert [c.pk for c in witnessed.cases_of(personas.survivor)] == [case.pk]
    witnessed.witnessed_answer(personas.survivor, question.id, yes=True, case_id=case.pk)
    assert witnessed.witnessed_add_to_case(advocate_reader(personas), grant) == case
    from chorus.cases.services.core import items_for

    texts = [item.text for item in items_for(crowd.actor("survivor", case))]
    assert any("block her in the lift" in text for text in texts)
    assert witnessed.witnessed_status(owner, record).added
    with pytest.raises(WitnessError, match="already"):
        witnessed.witnessed_add_to_case(advocate_reader(personas), grant)


def test_it_denies_her_choosing_a_case_that_is_not_hers(personas: Personas) -> None:
    crowd = people(personas)
    case = opened(crowd)
    _owner, _record, grant = _witness(personas, email="respondent@riverside.example")
    witnessed.witnessed_ask(advocate_reader(personas), grant)
    [question] = witnessed.questions_for(personas.respondent)
    with pytest.raises(WitnessError, match="open cases"):
        witnessed.witnessed_answer(personas.respondent, question.id, yes=True, case_id=case.pk)


def test_it_denies_someone_else_answering_her_question(personas: Personas) -> None:
    _owner, _record, grant = _witness(personas)
    witnessed.witnessed_ask(advocate_reader(personas), grant)
    [question] = witnessed.questions_for(personas.survivor)
    with pytest.raises(Http404):
        witnessed.witnessed_answer(personas.respondent, question.id, yes=False, case_id=None)


def test_it_denies_asking_twice(personas: Personas) -> None:
    _owner, _record, grant = _witness(personas)
    witnessed.witnessed_ask(advocate_reader(personas), grant)
    with pytest.raises(WitnessError, match="already"):
        witnessed.witnessed_ask(advocate_reader(personas), grant)
