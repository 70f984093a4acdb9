from __future__ import annotations

import pyotp
from django.core import mail
from django.test import Client

from chorus.accounts import keyring, vault
from chorus.accounts.models import Member
from tests.helpers import last_link, sign_in
from tests.personas import PASSWORD, Personas

NEW = "new password for a new season"


def _private_key(member: Member, vault_key: bytes) -> bytes:
    return keyring.private_key(member, vault_key)


def test_changing_the_password_keeps_the_vault(client: Client, personas: Personas) -> None:
    member = personas.survivor
    before = _private_key(member, personas.vault_keys["survivor"])
    sign_in(client, member)
    response = client.post(
        "/account/password/", {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW}
    )
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200  # this session stays signed in
    member.refresh_from_db()
    assert keyring.password_wrapping_key(member, PASSWORD) is None
    wrapping = keyring.password_wrapping_key(member, NEW)
    assert wrapping is not None
    assert _private_key(member, keyring.vault_from_password_key(member, wrapping)) == before
    assert (
        keyring.vault_from_recovery_code(member, personas.recovery_codes["survivor"]) == personas.vault_keys["survivor"]
    )


def test_a_wrong_current_password_changes_nothing(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    response = client.post(
        "/account/password/", {"current_password": "not my password", "new_password": NEW, "new_password_again": NEW}
    )
    assert "Nothing was changed" in response.content.decode()
    sign_in(Client(), personas.survivor)


def test_changing_the_password_signs_out_other_sessions(personas: Personas) -> None:
    first, second = Client(), Client()
    sign_in(first, personas.survivor)
    sign_in(second, personas.survivor)
    first.post("/account/password/", {"current_password": PASSWORD, "new_password": NEW, "new_password_again": NEW})
    assert second.get("/account/").status_code == 302


def _reset_link(personas: Personas, member: Member) -> str:
    Client().post("/password-reset/", {"email": member.email})
    return last_link("/password-reset/")


def test_a_reset_with_the_recovery_code_keeps_the_vault(personas: Personas) -> None:
    member = personas.survivor
    link = _reset_link(personas, member)
    client = Client()
    response = client.post(
        link,
        {"new_password": NEW, "new_password_again": NEW, "recovery_code": personas.recovery_codes["survivor"].lower()},
    )
    assert response["Location"] == "/"
    assert vault.vault_key(client.get("/").wsgi_request) == personas.vault_keys["survivor"]
    assert Client().get(link).status_code == 410  # single use


def test_a_reset_without_the_recovery_code_starts_an_empty_vault(personas: Personas) -> None:
    member = personas.survivor
    link = _reset_link(personas, member)
    response = Client().post(link, {"new_password": NEW, "new_password_again": NEW})
    page = response.content.decode()
    assert "new, empty vault" in page
    wrapping = keyring.password_wrapping_key(Member.objects.get(pk=member.pk), NEW)
    assert wrapping is not None
    assert keyring.vault_from_password_key(member, wrapping) != personas.vault_keys["survivor"]
    # A new vault is a new escrow author: one person must not count twice toward a match.
    assert not Member.objects.get(pk=member.pk).membership_confirmed


def test_a_wrong_recovery_code_changes_nothing(personas: Personas) -> None:
    link = _reset_link(personas, personas.survivor)
    response = Client().post(
        link, {"new_password": NEW, "new_password_again": NEW, "recovery_code": "0000-" * 7 + "0000"}
    )
    assert "does not match this account" in response.content.decode()
    sign_in(Client(), personas.survivor)  # the old password still works
    assert Client().get(link).status_code == 200  # and the link is still usable


def test_a_reset_asks_two_factor_members_for_a_code(personas: Personas) -> None:
    link = _reset_link(personas, personas.advocate)
    refused = Client().post(link, {"new_password": NEW, "new_password_again": NEW, "second_factor_code": "000000"})
    assert "two-factor code did not work" in refused.content.decode()
    code = pyotp.TOTP(personas.totp_secrets["advocate"]).now()
    accepted = Client().post(
        link,
        {
            "new_password": NEW,
            "new_password_again": NEW,
            "second_factor_code": code,
            "recovery_code": personas.recovery_codes["advocate"],
        },
    )
    assert accepted["Location"] == "/"


def test_an_unknown_address_is_not_revealed(client: Client, personas: Personas) -> None:
    sent = len(mail.outbox)
    response = client.post("/password-reset/", {"email": "nobody@riverside.example"})
    assert "If that address has a Chorus account" in response.content.decode()
    assert len(mail.outbox) == sent


def test_a_new_recovery_code_replaces_the_old(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    page = client.post("/account/recovery-code/").content.decode()
    import re

    new_code = re.search(r'id="recovery-code">([0-9A-Z-]+)<', page)
    assert new_code
    member = personas.survivor
    assert keyring.vault_from_recovery_code(member, personas.recovery_codes["survivor"]) is None
    assert keyring.vault_from_recovery_code(member, new_code.group(1)) == personas.vault_keys["survivor"]


def test_wrong_two_factor_codes_on_a_reset_count_towards_the_lock(personas: Personas) -> None:
    from django.test import override_settings

    link = _reset_link(personas, personas.advocate)
    with override_settings(CHORUS_SIGNIN_MAX_FAILURES=2):
        for _ in range(2):
            Client().post(link, {"new_password": NEW, "new_password_again": NEW, "second_factor_code": "000000"})
        code = pyotp.TOTP(personas.totp_secrets["advocate"]).now()
        locked = Client().post(link, {"new_password": NEW, "new_password_again": NEW, "second_factor_code": code})
    assert "Too many attempts" in locked.content.decode()
    assert Client().get(link).status_code == 200  # nothing was changed; the link still works once unlocked
