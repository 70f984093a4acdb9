"""Pages that hold at every width, forms that say what went wrong, and dates people read.

The width of every page the browser journeys open is checked by tests/browser/conftest.py;
here are the pages known to have broken (the ledger's checkpoint, the share table), the
phone's menu and the quick exit, the error summary, and the date formats and date input."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.template import Context, Template
from django.test import Client
from django.utils import formats, translation
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from chorus.ledger.services import chain_for, ledger_checkpoint
from chorus.web.dates import DatePartsField
from tests.browser.conftest import browser_pages, page_reports  # noqa: F401 (fixtures)
from tests.browser.test_records_journey import _sign_in
from tests.helpers import sign_in
from tests.personas import Personas, make_personas
from tests.records.factory import survivor_record

SOURCE = Path(__file__).resolve().parents[2] / "src" / "chorus"
TEMPLATES = sorted(SOURCE.glob("*/templates/**/*.html"))
WHEN = datetime(2026, 11, 28, 4, 5)


# --- Error summary -------------------------------------------------------------------------


def _template_name(path: Path) -> str:
    return str(path).split("/templates/", 1)[1]


# Pages that carry a summary of their own (a link to each field in error), written beside the
# shared one; they could include web/form_errors.html instead.
OWN_SUMMARY = {"accounts/member_change.html", "accounts/account_delete.html", "cases/deadlines.html"}


@pytest.mark.parametrize(
    "path", [path for path in TEMPLATES if "web/field.html" in path.read_text()], ids=_template_name
)
def test_every_form_template_starts_with_the_error_summary(path: Path) -> None:
    text = path.read_text()
    if "web/form_errors.html" in text:
        assert "form.non_field_errors" not in text, "the summary lists the form's own errors"
    else:
        assert _template_name(path) in OWN_SUMMARY, f"{_template_name(path)} shows fields but no error summary"
        assert 'href="#{{ field.auto_id' in text


class _Example(forms.Form):
    name = forms.CharField(label="Name")
    kind = forms.ChoiceField(label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    when = DatePartsField(label="When")
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError("Something about the whole form.")


def test_the_error_summary_links_each_error_to_its_field_and_takes_focus() -> None:
    form = _Example({"when_day": "31", "when_month": "2", "when_year": "2026"})
    html = Template('{% include "web/form_errors.html" %}').render(Context({"form": form}))
    summary = re.search(r"<div class=\"error-summary\"[^>]*>", html)
    assert summary is not None
    for attribute in ('role="alert"', 'tabindex="-1"', "autofocus", 'aria-labelledby="form-error-summary"'):
        assert attribute in summary.group(0)
    assert '<h2 class="error-summary-title" id="form-error-summary">There is a problem</h2>' in html
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', html)
    assert links == [
        ("id_name", "Name: This field is required."),
        ("id_kind_0", "Kind: This field is required."),  # a fieldset: its first control
        ("id_when_0", "When: The date must be a real date, for example 27 3 2027."),  # the day box
    ]
    assert "<li>Something about the whole form.</li>" in html
    assert "<li>(Hidden field token) This field is required.</li>" in html or "This field is required.</li>" in html
    # The ids linked to exist on the rendered form.
    rendered = str(form)
    for target, _text in links:
        assert f'id="{target}"' in rendered


def test_a_form_without_errors_has_no_summary() -> None:
    assert Template('{% include "web/form_errors.html" %}').render(Context({"form": _Example()})).strip() == ""


@pytest.mark.django_db
def test_a_refused_form_page_starts_with_the_summary(client: Client) -> None:
    page = client.post("/password-reset/", {"email": "not an email"}).content.decode()
    assert "There is a problem" in page
    assert re.search(r'<a href="#id_email">[^<]+</a>', page)
    assert page.index("There is a problem") < page.index('name="email"')


# --- Dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "long_date", "date_and_time"),
    [
        ("en", "28 November 2026", "28 November 2026, 04:05"),
        ("es", "28 de noviembre de 2026", "28 de noviembre de 2026, 04:05"),
    ],
)
def test_one_date_format_per_language_and_the_24_hour_clock(language: str, long_date: str, date_and_time: str) -> None:
    with translation.override(language):
        assert formats.date_format(WHEN, "DATE_FORMAT") == long_date
        assert formats.date_format(WHEN, "SHORT_DATE_FORMAT") == long_date  # no ISO date beside a long one
        assert formats.date_format(WHEN, "DATETIME_FORMAT") == date_and_time
        assert formats.date_format(WHEN, "SHORT_DATETIME_FORMAT") == date_and_time
        assert formats.time_format(WHEN, "TIME_FORMAT") == "04:05"
        assert formats.date_format(datetime(2026, 11, 28, 16, 5), "DATETIME_FORMAT").endswith("16:05")
        # A date or time put in a page as it is, and through the |time filter.
        assert Template("{{ when }} · {{ when|time }}").render(Context({"when": WHEN})) == f"{date_and_time} · 04:05"


def test_no_page_shows_iso_or_12_hour_dates() -> None:
    # Pages use the language's named formats (DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT), never a
    # format of their own such as "Y-m-d H:i:s" or "g:i A".
    iso_or_12_hour = re.compile(r"\|(date|time):\"(?![A-Z_]+\")[^\"]*\"")
    found = [
        f"{_template_name(path)}: {match.group(0)}"
        for path in TEMPLATES
        for match in iso_or_12_hour.finditer(path.read_text())
        if "/email/" not in str(path)
    ]
    assert found == []


def test_no_message_puts_an_iso_date_in_a_sentence() -> None:
    # A date in words a person reads ("the case opened on …") is formatted for their language.
    in_a_sentence = re.compile(r"_\(\s*\"[^\"]*\"\s*\)\s*%\s*\{[^}]*(isoformat\(|strftime\()")
    found = [str(path) for path in SOURCE.glob("**/*.py") if in_a_sentence.search(path.read_text())]
    assert found == []


def test_no_form_uses_the_browsers_date_picker() -> None:
    # <input type=date> shows the browser locale's order (mm/dd/yyyy), whatever the page's language.
    found = [
        str(path) for path in SOURCE.glob("*/**/*.py") if re.search(r"[\"']type[\"']: [\"']date[\"']", path.read_text())
    ]
    assert found == []


class _When(forms.Form):
    when = DatePartsField(label="When")


class _Maybe(forms.Form):
    when = DatePartsField(label="When", required=False, help_text="Optional.")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (("28", "11", "2026"), date(2026, 11, 28)),
        ((" 7", "3 ", "2027"), date(2027, 3, 7)),
        (("07", "03", "2027"), date(2027, 3, 7)),
        (("", "", ""), "Enter the day, the month and the year."),
        (("28", "", ""), "Enter the day, the month and the year."),
        (("", "11", "2026"), "The date must include a day."),
        (("28", "", "2026"), "The date must include a month."),
        (("28", "11", ""), "The date must include a year."),
        (("31", "2", "2026"), "The date must be a real date, for example 27 3 2027."),
        (("28", "13", "2026"), "The date must be a real date, for example 27 3 2027."),
        (("2026", "11", "28"), "The date must be a real date, for example 27 3 2027."),
        (("28", "Nov", "2026"), "The date must be a real date, for example 27 3 2027."),
        (("28", "11", "26"), "The year must have four digits, for example 2027."),
    ],
)
def test_a_date_is_typed_as_day_month_and_year_with_a_clear_error(typed: tuple[str, str, str], expected: Any) -> None:
    form = _When(dict(zip(("when_day", "when_month", "when_year"), typed, strict=True)))
    if isinstance(expected, date):
        assert form.is_valid(), form.errors
        assert form.cleaned_data["when"] == expected
    else:
        assert not form.is_valid()
        assert form.errors["when"] == [expected]
        # What was typed is shown again, so nothing has to be typed twice.
        for name, value in zip(("when_day", "when_month", "when_year"), typed, strict=True):
            if value.strip():
                assert f'name="{name}" value="{value}"' in str(form["when"])


def test_an_optional_date_may_be_left_empty_and_the_boxes_are_labelled_in_the_languages_order() -> None:
    form = _Maybe({"when_day": "", "when_month": "", "when_year": ""})
    assert form.is_valid() and form.cleaned_data["when"] is None
    for language in ("en", "es"):
        with translation.override(language):
            html = str(_Maybe()["when"])
        labels = re.findall(r'<label for="id_when_(\d)">([^<]+)</label>', html)
        assert [index for index, _label in labels] == ["0", "1", "2"]
        assert 'inputmode="numeric"' in html and 'type="date"' not in html
    assert [
        label for _index, label in re.findall(r'<label for="id_when_(\d)">([^<]+)</label>', str(_Maybe()["when"]))
    ] == [
        "Day",
        "Month",
        "Year",
    ]
    assert str(_Maybe().fields["when"].help_text) == "Optional. For example, 27 3 2027."


def test_a_date_sent_as_one_value_is_read_day_first_or_as_iso() -> None:
    assert _When({"when": "2026-11-28"}).is_valid()
    form = _When({"when": "28/11/2026"})
    assert form.is_valid() and form.cleaned_data["when"] == date(2026, 11, 28)
    assert not _When({"when": "11/28/2026"}).is_valid()  # there is no 28th month


# --- Every page's frame --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_quick_exit_has_its_own_bar_and_the_links_fold_into_a_menu(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    page = client.get("/records/").content.decode()
    bar = page.index('class="exit-bar"')
    assert bar < page.index('class="quick-exit"') < page.index('<header class="top">')
    menu = re.search(r'<details class="menu">\s*<summary>Menu</summary>\s*<nav aria-label="Main">', page)
    assert menu is not None
    assert page.index('href="/records/"', menu.start()) < page.index("</details>", menu.start())


@pytest.mark.django_db
def test_the_ledger_events_table_scrolls_in_its_own_labelled_region(client: Client, personas: Personas) -> None:
    sign_in(client, personas.oversight, totp_secret=personas.totp_secrets["oversight"])
    page = client.get("/ledger/events/").content.decode()
    assert '<div class="scroll" role="region" aria-labelledby="events-caption" tabindex="0">' in page
    assert '<caption id="events-caption">' in page


# --- In the browser ------------------------------------------------------------------------

NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_the_ledger_transparency_and_share_pages_fit_a_phone(
    live_server: LiveServer,
    browser_pages: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    base = live_server.url
    personas = make_personas()
    built = survivor_record(personas)
    assert ledger_checkpoint(chain_for(personas.survivor.organization_id)) is not None
    page = browser_pages(viewport={"width": 320, "height": 640})
    _sign_in(page, base, personas.survivor.email)
    for path in ("/ledger/", "/transparency/"):
        page.goto(base + path)
        expect(page.get_by_role("heading", name="Latest signed checkpoint")).to_be_visible()
        if path == "/ledger/":
            page.get_by_text("Check a receipt or an export away from Chorus").click()
        assert page.evaluate(NO_SIDEWAYS_SCROLL), path
    # The table of shares becomes a card per share on a phone, its button in reach.
    page.goto(base + f"/records/{built.record.pk}/share/")
    expect(page.get_by_role("heading", name="What you have shared")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    button = page.get_by_role("button", name="Stop sharing").or_(page.get_by_role("link", name="Stop sharing")).first
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 320


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_on_a_phone_the_menu_opens_without_javascript_and_the_quick_exit_covers_nothing(
    live_server: LiveServer,
    browser_pages: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    base = live_server.url
    personas = make_personas()
    page = browser_pages(viewport={"width": 390, "height": 700})
    _sign_in(page, base, personas.survivor.email)
    header = page.locator("header.top")
    exit_bar = page.locator(".exit-bar")
    # One line of header: the name and a menu, not five lines of links.
    header_box, bar_box = header.bounding_box(), exit_bar.bounding_box()
    assert header_box is not None and bar_box is not None
    assert header_box["height"] < 80, header_box
    assert bar_box["y"] + bar_box["height"] <= header_box["y"]  # the quick exit is above the header, not on it
    expect(page.get_by_role("link", name="Cases", exact=True)).to_be_hidden()
    page.locator("summary", has_text="Menu").click()
    expect(page.get_by_role("link", name="Cases", exact=True)).to_be_visible()

    # Scrolled down, the quick exit stays in view; what gets focus is never under it.
    page.set_viewport_size({"width": 390, "height": 300})
    page.goto(base + "/account/")
    last = page.locator("main a").last
    last.focus()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.locator("footer select").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    focused = page.evaluate("() => document.activeElement.getBoundingClientRect().top")
    bar = page.locator(".exit-bar").bounding_box()
    assert bar is not None and bar["y"] == 0
    assert focused >= bar["height"], (focused, bar)
    expect(page.get_by_role("link", name="Leave this site quickly")).to_be_in_viewport()

    # At 1280 px every link is in view without opening anything.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.locator("summary", has_text="Menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Cases", exact=True)).to_be_visible()

    # Without JavaScript, the menu opens all the same.
    plain = browser_pages(javascript=False, viewport={"width": 390, "height": 700})
    _sign_in(plain, base, personas.advocate.email, personas.totp_secrets["advocate"])
    expect(plain.get_by_role("link", name="Advocate inbox", exact=True)).to_be_hidden()
    plain.locator("summary", has_text="Menu").click()
    plain.get_by_role("link", name="Advocate inbox", exact=True).click()
    expect(plain.get_by_role("heading", level=1)).to_be_visible()
    assert plain.evaluate(NO_SIDEWAYS_SCROLL)


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_a_refused_form_moves_focus_to_the_summary_and_its_links_reach_the_fields(
    live_server: LiveServer,
    browser_pages: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    base = live_server.url
    page = browser_pages()
    page.goto(base + "/password-reset/")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Send the link").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Email")).to_be_focused()


@pytest.mark.browser
@pytest.mark.usefixtures("ledger_flushable")
def test_the_time_a_draft_was_kept_is_on_the_24_hour_clock(
    live_server: LiveServer,
    browser_pages: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    base = live_server.url
    personas = make_personas()
    page = browser_pages()
    _sign_in(page, base, personas.survivor.email)
    page.goto(base + "/records/new/")
    page.locator("#id_what").fill("Words to keep")
    # "04:05" or "16:05", never "4:05 PM": a 12-hour time carries AM or PM before the full stop.
    expect(page.locator("#draft-status")).to_contain_text(re.compile(r"Draft kept at \d\d:\d\d\."), timeout=15000)
