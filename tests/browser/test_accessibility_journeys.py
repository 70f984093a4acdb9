"""Journeys for people the other journeys leave out, in Chromium: someone who reads Spanish,
someone who uses only a keyboard, and someone who must leave the site in a hurry.

Every page they open is also checked by axe-core (see conftest.py); the Spanish journey
fails on any English left on its pages.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pyotp
import pytest
from django.utils import formats, timezone, translation
from django.utils.translation import trans_real
from playwright.sync_api import expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from chorus.accounts.models import Member
from chorus.records.models import Grant
from tests.browser.conftest import PageReport
from tests.browser.test_records_journey import _sign_in as sign_in_as
from tests.personas import PASSWORD, make_personas

WHAT_ES = "En la cena de fin de año me agarró del brazo y no me dejó salir del pasillo"
NEUTRAL = "Weather today: light rain"
# Words English sentences cannot do without and Spanish never uses.
ENGLISH_WORDS = re.compile(
    r"\b(the|and|your|you|is|are|this|that|with|for|of|to|what|can|not|was|have|it|be|will|here)\b",
    re.IGNORECASE,
)


def untranslated(reports: list[PageReport]) -> list[tuple[str, str]]:
    """Lines of Spanish pages still in English: a phrase the catalog translates, shown as it
    was written (marked but not translated, or translated too early), or a sentence with
    English words (never marked at all)."""
    catalog = trans_real.translation("es")._catalog  # type: ignore[attr-defined]  # Django's merged catalogs
    english = {
        key.strip()
        for key, value in catalog.items()
        if isinstance(key, str) and key.strip() and value.strip() != key.strip() and len(key.strip()) > 2
    }
    found = []
    for report in reports:
        if report.lang != "es":
            continue
        for line in [report.title, *report.text.splitlines()]:
            text = line.strip()
            if not text or text == "English":  # the switcher names each language in itself
                continue
            words = {word.lower() for word in ENGLISH_WORDS.findall(text)}
            if text in english or len(words) >= 2 or (words and len(text.split()) >= 3):
                found.append((report.url, text))
    return found


SIGN_IN = {
    "es": ("Dirección de correo electrónico", "Contraseña", "Iniciar sesión", "Código de tu aplicación", "Continuar"),
    "en": ("Email address", "Password", "Sign in", "Code from your authenticator app", "Continue"),
}


def _sign_in(page: Any, base: str, member: Member, language: str, totp_secret: str | None = None) -> None:
    """Sign in on pages in ``language`` (until Chorus knows who it is, the cookie or the
    browser decides); the page after it is in Spanish either way."""
    email, password, button, code, proceed = SIGN_IN[language]
    page.goto(base + "/sign-in/")
    page.get_by_label(email).fill(member.email)
    page.get_by_label(password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    if totp_secret:
        page.get_by_label(code).fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name=proceed).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hola")


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_survivor_and_an_advocate_use_chorus_in_spanish(
    live_server: LiveServer, browser_pages: Any, page_reports: list[PageReport]
) -> None:
    base = live_server.url
    personas = make_personas()
    survivor = browser_pages(locale="en-GB")
    survivor.goto(base + "/")
    # The switcher on the welcome page; the choice follows her once she signs in.
    survivor.get_by_label("Language").select_option("es")
    survivor.get_by_role("button", name="Change language").click()
    expect(survivor.locator("html")).to_have_attribute("lang", "es")
    expect(survivor.get_by_role("heading", level=1)).to_have_text("Aquí te pueden escuchar, en tus propios términos.")
    _sign_in(survivor, base, personas.survivor, "es")
    survivor.get_by_label("Idioma").select_option("es")
    survivor.get_by_role("button", name="Cambiar el idioma").click()
    assert Member.objects.get(pk=personas.survivor.pk).language == "es"

    survivor.get_by_role("link", name="Tus registros", exact=True).first.click()
    survivor.get_by_role("link", name="Escribir un registro nuevo").click()
    survivor.get_by_label("Qué pasó (opcional)", exact=True).fill(WHAT_ES)
    expect(survivor.locator("#draft-status")).to_contain_text("Borrador guardado a las", timeout=10000)
    survivor.get_by_role("button", name="Guardar", exact=True).click()
    expect(survivor.get_by_role("status").first).to_contain_text("Guardado como versión 1")
    survivor.get_by_role("link", name="Tus registros", exact=True).first.click()
    with translation.override("es"):
        today = formats.date_format(timezone.localtime(), "DATE_FORMAT")
    assert " de " in today  # "21 de noviembre de 2026"
    expect(survivor.locator("main")).to_contain_text(f"Empezado el {today}")
    survivor.get_by_role("link", name="Registro sin título").click()
    survivor.get_by_role("link", name="Compartir").click()
    survivor.get_by_label("Apoyo").check()
    survivor.get_by_role("button", name="Compartir", exact=True).click()
    expect(survivor.locator("main")).to_contain_text("Compartido. Aquí verás cada vez que alguien lo lea")

    # Naming someone in escrow: the browser's own explanation of a mistake is in Spanish too.
    survivor.get_by_role("link", name="Nombrar a alguien").first.click()
    survivor.get_by_role("link", name="Nombrar a alguien").last.click()
    survivor.locator("#id_kind_0").select_option("email")
    survivor.locator("#id_text_0").fill("sam.lee@")
    survivor.get_by_label("Sí, me reuniría").check()
    survivor.get_by_role("button", name="Mantenerlo sellado").click()
    expect(survivor.locator("main")).to_contain_text("Revisa los identificadores marcados abajo")
    expect(survivor.locator("main")).to_contain_text("Una dirección de correo tiene la forma nombre@example.org.")
    survivor.locator("#id_text_0").fill("sam.lee@riverside.example")
    survivor.get_by_role("button", name="Mantenerlo sellado").click()
    expect(survivor.get_by_role("status").first).to_contain_text("Tu entrada está sellada")
    for link in ("Casos", "Transparencia", "Registro", "Tu cuenta"):
        survivor.get_by_role("link", name=link, exact=True).first.click()
        expect(survivor.locator("html")).to_have_attribute("lang", "es")

    # The advocate chose Spanish on another day: in a fresh browser that asks for English,
    # the sign-in page is English (nobody is known yet) and everything after it Spanish.
    Member.objects.filter(pk=personas.advocate.pk).update(language="es")
    advocate = browser_pages(locale="en-GB")
    _sign_in(advocate, base, personas.advocate, "en", personas.totp_secrets["advocate"])
    advocate.get_by_role("link", name="Bandeja de acompañamiento").first.click()
    advocate.get_by_role("link", name="Leer").click()
    expect(advocate.locator("main")).to_contain_text(WHAT_ES)
    expect(advocate.locator("main")).to_contain_text("Esta lectura se anota en el registro")
    assert Grant.objects.count() == 1
    survivor.get_by_role("link", name="Tus registros", exact=True).first.click()
    survivor.get_by_role("link", name="Registro sin título").click()
    survivor.get_by_role("link", name="Quién lo ha visto").click()
    expect(survivor.locator("tbody")).to_contain_text("leyó lo que compartiste")
    expect(survivor.locator("tbody")).to_contain_text("Acompañante")

    spanish = [report for report in page_reports if report.lang == "es"]
    assert len(spanish) >= 15, [report.url for report in page_reports]
    assert sorted({text for _url, text in untranslated(page_reports)}) == []


def test_the_untranslated_check_can_fail() -> None:
    """The check above finds English when it is there."""
    english_page = PageReport(
        url="/", lang="es", title="Chorus", text="Tus registros\nSave\nWrite what happened to you"
    )
    assert untranslated([english_page]) == [("/", "Save"), ("/", "Write what happened to you")]


FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  return {name: (e.getAttribute("aria-label") || label || e.innerText || e.value || "").trim(),
          outline: style.outlineStyle, width: style.outlineWidth};
}"""


def tab_to(page: Any, name: str, *, skip: int = 0, limit: int = 60) -> None:
    """Press Tab until the element named ``name`` (after ``skip`` others of that name) has
    the focus, which must be visible."""
    for _press in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["name"].startswith(name):
            assert focused["outline"] != "none" and focused["width"] != "0px", f"no visible focus on {name!r}"
            if skip == 0:
                return
            skip -= 1
    raise AssertionError(f"{name!r} cannot be reached with the Tab key")


def enter(page: Any) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_survivor_writes_shares_and_escrows_a_record_with_the_keyboard_only(
    live_server: LiveServer, browser_pages: Any
) -> None:
    base = live_server.url
    personas = make_personas()
    page = browser_pages(reduced_motion="reduce")
    page.goto(base + "/sign-in/")
    tab_to(page, "Skip to content")
    tab_to(page, "Email address")
    page.keyboard.type(personas.survivor.email)
    tab_to(page, "Password")
    page.keyboard.type(PASSWORD)
    enter(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")

    tab_to(page, "Your records")
    enter(page)
    tab_to(page, "Write a new record")
    enter(page)
    tab_to(page, "What happened")
    page.keyboard.type("He cornered me in the print room after the budget meeting")
    tab_to(page, "Save")
    enter(page)
    expect(page.get_by_role("status").first).to_contain_text("Saved as version 1")

    tab_to(page, "Sharing")
    enter(page)
    # A radio group is one Tab stop, on its chosen answer; the arrow keys move the choice
    # (from the last answer, "Not sure yet", down wraps to the first, "Support").
    tab_to(page, "Not sure yet")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Support")).to_be_checked()
    tab_to(page, "Share")
    enter(page)
    expect(page.locator("main")).to_contain_text("Shared. You will see here every time")

    tab_to(page, "Name someone")
    enter(page)
    tab_to(page, "Name someone", skip=1)  # the escrow page's own link, after the menu's
    enter(page)
    expect(page.locator("#escrow-mode")).to_contain_text("Your browser builds this entry itself")
    tab_to(page, "Kind of identifier")
    page.keyboard.press("ArrowDown")  # the arrow keys choose the kind
    expect(page.locator("#id_kind_0")).to_have_value("phone")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#id_kind_0")).to_have_value("email")
    tab_to(page, "Identifier")
    page.keyboard.type("sam.lee@riverside.example")
    tab_to(page, "No")  # "would you meet the others?" starts at its default answer, no
    page.keyboard.press("ArrowUp")
    expect(page.get_by_label("Yes, I would")).to_be_checked()
    tab_to(page, "Keep it sealed")
    enter(page)
    expect(page.get_by_role("status").first).to_contain_text("Your entry is sealed")
    # Nothing on the page moves for someone who asked for reduced motion.
    moving = page.evaluate(
        """() => Array.from(document.querySelectorAll("*")).filter((e) => {
             const style = getComputedStyle(e);
             return style.animationName !== "none" || style.transitionDuration.split(",").some((d) => parseFloat(d) > 0);
           }).map((e) => e.tagName)"""
    )
    assert page.evaluate("() => matchMedia('(prefers-reduced-motion: reduce)').matches")
    assert moving == []


class _Neutral(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"<!doctype html><html lang='en'><title>Weather</title><h1>{NEUTRAL}</h1></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def neutral_page(settings: SettingsWrapper) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Neutral)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CHORUS_QUICK_EXIT_URL = f"http://127.0.0.1:{server.server_address[1]}/weather"
    try:
        yield settings.CHORUS_QUICK_EXIT_URL
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_the_quick_exit_leaves_at_once_and_leaves_nothing_open(
    live_server: LiveServer, browser_pages: Any, neutral_page: str
) -> None:
    base = live_server.url
    personas = make_personas()
    page = browser_pages()
    sign_in_as(page, base, personas.survivor.email)
    page.get_by_role("link", name="Your records", exact=True).first.click()
    page.get_by_role("link", name="Write a new record").click()
    record_page = page.url
    # What Chorus keeps in the browser (the ledger head it checks against) would show that
    # Chorus was used here: the quick exit forgets it, and nothing else.
    page.evaluate("localStorage.setItem('chorus.ledger.head:x', '{}'); localStorage.setItem('other.site', '1')")

    page.get_by_role("link", name="Leave this site quickly").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NEUTRAL)
    assert page.url == neutral_page
    # The record page was replaced in the history, and the session is over: going back
    # shows no record, only the way to sign in.
    page.go_back()
    assert page.url != record_page
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto(record_page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    kept = page.evaluate("Object.keys(localStorage)")
    assert "other.site" in kept and not [key for key in kept if key.startswith("chorus.")]

    # Escape pressed twice does the same from any page.
    sign_in_as(page, base, personas.survivor.email)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", level=1)).to_have_text(NEUTRAL)
    page.goto(base + "/records/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
