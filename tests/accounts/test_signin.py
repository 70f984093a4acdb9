from __future__ import annotations

import time

import pyotp
import pytest
from django.test import Client, override_settings

from chorus.accounts import vault
from chorus.accounts.models import BackupCode
from chorus.accounts.services.two_factor import backup_codes_regenerate
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_verify
from tests.helpers import sign_in
from tests.personas import PASSWORD, Personas

WRONG = "That email address and password do not match"


def _actions(member_pseudonym: str) -> list[str]:
    return list(LedgerEvent.objects.filter(actor=member_pseudonym).values_list("action", flat=True))


def test_it_signs_in_a_member_without_two_factor(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    page = client.get("/")
    assert "Hello, Survivor" in page.content.decode()
    assert vault.vault_key(page.wsgi_request) == personas.vault_keys["survivor"]
    assert "signin.succeeded" in _actions(personas.survivor.pseudonym)


def test_it_asks_for_the_second_factor_when_enrolled(client: Client, personas: Personas) -> None:
    response = client.post("/sign-in/", {"email": "advocate@riverside.example", "password": PASSWORD})
    assert response["Location"] == "/sign-in/two-factor/"
    assert client.get("/account/").status_code == 302  # not signed in yet
    wrong = client.post("/sign-in/two-factor/", {"code": "000000"})
    assert "That code did not work" in wrong.content.decode()
    right = client.post("/sign-in/two-factor/", {"code": pyotp.TOTP(personas.totp_secrets["advocate"]).now()})
    assert right["Location"] == "/"
    assert client.get("/account/").status_code == 200
    assert _actions(personas.advocate.pseudonym)[-2:] == ["signin.failed", "signin.succeeded"]


def test_it_refuses_a_code_used_twice(personas: Personas) -> None:
    secret = personas.totp_secrets["advocate"]
    sign_in(Client(), personas.advocate, totp_secret=secret)
    other = Client()
    other.post("/sign-in/", {"email": personas.advocate.email, "password": PASSWORD})
    replay = other.post("/sign-in/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert "That code did not work" in replay.content.decode()


def test_a_backup_code_works_once(personas: Personas) -> None:
    codes = backup_codes_regenerate(member=personas.admin)
    for attempt, expected in ((1, 302), (2, 200)):
        client = Client()
        client.post("/sign-in/", {"email": personas.admin.email, "password": PASSWORD})
        response = client.post("/sign-in/two-factor/", {"code": codes[0].lower()})
        assert response.status_code == expected, attempt
    assert BackupCode.objects.filter(member=personas.admin, used_at__isnull=False).count() == 1


def test_an_unknown_address_gets_the_same_answer(client: Client, personas: Personas) -> None:
    unknown = client.post("/sign-in/", {"email": "nobody@riverside.example", "password": PASSWORD})
    wrong = client.post("/sign-in/", {"email": personas.survivor.email, "password": "not it at all"})
    assert WRONG in unknown.content.decode()
    assert WRONG in wrong.content.decode()
    assert LedgerEvent.objects.filter(chain="platform", action="signin.failed", actor="unknown").count() == 1


@override_settings(CHORUS_SIGNIN_MAX_FAILURES=3)
def test_it_locks_an_address_after_repeated_failures(personas: Personas) -> None:
    # Each attempt from a new client, as if from different app processes: the count is in the database.
    for _ in range(3):
        Client().post("/sign-in/", {"email": personas.survivor.email, "password": "wrong password here"})
    locked = Client().post("/sign-in/", {"email": personas.survivor.email, "password": PASSWORD})
    assert "Too many attempts" in locked.content.decode()
    assert locked.wsgi_request.user.is_anonymous
    assert _actions(personas.survivor.pseudonym).count("signin.locked") == 1
    # Another member is unaffected.
    sign_in(Client(), personas.respondent, totp_secret=personas.totp_secrets["respondent"])


@override_settings(CHORUS_SIGNIN_MAX_FAILURES=3)
def test_wrong_second_factor_codes_count_towards_the_lock(client: Client, personas: Personas) -> None:
    client.post("/sign-in/", {"email": personas.advocate.email, "password": PASSWORD})
    for _ in range(3):
        client.post("/sign-in/two-factor/", {"code": "123456"})
    response = client.post("/sign-in/two-factor/", {"code": pyotp.TOTP(personas.totp_secrets["advocate"]).now()})
    assert "Too many attempts" in response.content.decode()


@override_settings(CHORUS_SIGNIN_MAX_FAILURES_PER_IP=4, CHORUS_SIGNIN_MAX_FAILURES=100)
def test_it_locks_a_network_address_spraying_many_accounts(personas: Personas) -> None:
    for number in range(4):
        Client().post("/sign-in/", {"email": f"guess{number}@riverside.example", "password": "password guess"})
    response = Client().post("/sign-in/", {"email": personas.survivor.email, "password": PASSWORD})
    assert "Too many attempts" in response.content.decode()


def test_the_pending_second_factor_step_expires(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/sign-in/", {"email": personas.advocate.email, "password": PASSWORD})
    later = time.time() + 301
    monkeypatch.setattr(time, "time", lambda: later)
    assert client.get("/sign-in/two-factor/")["Location"] == "/sign-in/"


def test_sign_out_destroys_the_session_copy_of_the_vault(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    session_key = client.session.session_key
    response = client.post("/sign-out/")
    assert response["Location"] == "/sign-in/"
    assert response.cookies["chorus_vault"].value == ""
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/account/").status_code == 302
    assert "signout" in _actions(personas.survivor.pseudonym)


def test_sign_out_needs_post(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    assert client.get("/sign-out/").status_code == 405
    assert client.get("/account/").status_code == 200


def test_a_role_that_reads_content_must_enrol_before_anything_else(client: Client, personas: Personas) -> None:
    from chorus.accounts.models import TwoFactor

    TwoFactor.objects.filter(member=personas.investigator).delete()
    sign_in(client, personas.investigator)
    for path in ("/", "/account/", "/ledger/"):
        assert client.get(path)["Location"] == "/account/two-factor/"
    page = client.get("/account/two-factor/")
    assert "required before you continue" in page.content.decode()


def test_every_step_leaves_an_intact_chain(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    client.post("/sign-out/")
    assert ledger_verify(f"org:{personas.organization.pk}").ok
