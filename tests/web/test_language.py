"""The language: chosen on any page, kept on the account, followed by emails and dates."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import formats, translation

from chorus.accounts.models import Member
from chorus.web import tasks
from tests.helpers import sign_in
from tests.personas import Personas

WELCOME_ES = "Aquí te pueden escuchar, en tus propios términos."
WELCOME_EN = "You can be heard here, on your own terms."


def test_it_follows_the_browser_until_someone_chooses(client: Client, db: None) -> None:
    spanish = client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")
    assert WELCOME_ES in spanish.content.decode()
    assert spanish["Content-Language"] == "es"
    assert '<html lang="es">' in spanish.content.decode()
    assert WELCOME_EN in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()  # no German: English


def test_it_remembers_an_anonymous_choice_in_a_cookie(client: Client, db: None) -> None:
    response = client.post("/language/", {"language": "es", "next": "/report/riverside/"})
    assert response.status_code == 302 and response["Location"] == "/report/riverside/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["httponly"]
    assert WELCOME_ES in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_it_keeps_a_members_choice_on_their_account(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    client.post("/language/", {"language": "es", "next": "/records/"})
    assert Member.objects.get(pk=personas.survivor.pk).language == "es"
    # Another device: no cookie, a browser asking for English; once signed in, Spanish.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(elsewhere, personas.survivor)
    page = elsewhere.get("/records/").content.decode()
    assert "Tus registros" in page and '<html lang="es">' in page


@pytest.mark.parametrize("code", ["de", "", "es'><script>"])
def test_it_refuses_a_language_it_does_not_offer(client: Client, personas: Personas, code: str) -> None:
    sign_in(client, personas.survivor)
    response = client.post("/language/", {"language": code, "next": "/"})
    assert response.status_code == 400
    assert "Choose one of the languages offered." in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert Member.objects.get(pk=personas.survivor.pk).language == ""


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "records/"])
def test_it_never_sends_anyone_to_another_site(client: Client, db: None, target: str) -> None:
    response = client.post("/language/", {"language": "es", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_emails_are_in_the_language_their_recipient_chose(personas: Personas) -> None:
    Member.objects.filter(pk=personas.advocate.pk).update(language="es")
    with translation.override("en"):  # the sender's language
        tasks.mail_later("cases/email/step", personas.advocate.email, {})
        tasks.mail_later("cases/email/step", personas.survivor.email, {})  # no choice: the sender's
    tasks.tasks_run_due()
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    with translation.override("es"):
        in_spanish = translation.gettext("Something is waiting for you in Chorus")
    assert in_spanish != "Something is waiting for you in Chorus"
    assert subjects[personas.advocate.email] == in_spanish
    assert subjects[personas.survivor.email] == "Something is waiting for you in Chorus"
    spanish = next(message for message in mail.outbox if message.to == [personas.advocate.email])
    assert spanish.body.startswith("Hola:") and "Inicia sesión para verlo:" in spanish.body
    # Whoever reads the inbox learns nothing of a case: not in the subject, the text or the link.
    english = next(message for message in mail.outbox if message.to == [personas.survivor.email])
    assert "case" not in f"{english.subject} {english.body}".lower()


def test_an_email_to_someone_without_an_account_uses_the_senders_language(personas: Personas) -> None:
    with translation.override("es"):
        tasks.mail_later("cases/email/invitation", "new.person@riverside.example", {"path": "/cases/join/x/"})
    tasks.tasks_run_due()
    assert mail.outbox[-1].subject == "Te invitan a participar en un proceso en Chorus"


def test_dates_follow_the_language() -> None:
    day = dt.date(2026, 11, 21)
    with translation.override("en"):
        assert formats.date_format(day, "DATE_FORMAT") == "21 November 2026"
    with translation.override("es"):
        assert formats.date_format(day, "DATE_FORMAT") == "21 de noviembre de 2026"


def test_the_spanish_catalog_is_complete_and_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every string the code marks for translation has a Spanish translation (none missing,
    none fuzzy), and the catalog holds no string the code no longer uses. The catalog is
    regenerated from a copy of the source, as ``chorus makemessages`` would."""
    if shutil.which("msgcmp") is None:
        pytest.fail("gettext is not installed: run `make setup-dev` (Debian package gettext)")
    source = Path(__file__).resolve().parents[2] / "src" / "chorus"
    copy = tmp_path / "chorus"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("static", "__pycache__", "*.mo"))
    committed = source / "locale" / "es" / "LC_MESSAGES" / "django.po"
    regenerated = copy / "locale" / "es" / "LC_MESSAGES" / "django.po"
    regenerated.unlink()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["es"], no_location=True, verbosity=0)
    # msgcmp: every msgid of the first catalog must be in the second, translated unless told.
    missing = subprocess.run(["msgcmp", str(committed), str(regenerated)], check=False, capture_output=True, text=True)
    assert missing.returncode == 0, missing.stderr
    stale = subprocess.run(
        ["msgcmp", "--use-untranslated", str(regenerated), str(committed)], check=False, capture_output=True, text=True
    )
    assert stale.returncode == 0, stale.stderr
    fuzzy = subprocess.run(
        ["msgattrib", "--only-fuzzy", "--no-obsolete", str(committed)], check=False, capture_output=True, text=True
    )
    assert fuzzy.stdout.strip() == "", fuzzy.stdout
