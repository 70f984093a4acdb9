from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from chorus.accounts.models import Member
from tests.helpers import sign_in
from tests.personas import PASSWORD, Personas


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(client: Client) -> None:
    response = client.get("/sign-in/")
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response


@pytest.mark.django_db
def test_pages_hold_no_inline_script_and_no_third_party_asset(client: Client, personas: Personas) -> None:
    sign_in(client, personas.survivor)
    for path in ("/", "/account/", "/account/two-factor/", "/ledger/"):
        page = client.get(path).content.decode()
        scripts = re.findall(r"<script[^>]*>", page)
        assert all(re.search(r'\bsrc="/static/', tag) for tag in scripts), scripts  # only our own files
        assert " style=" not in page
        # Assets (scripts, styles, images, frames) come from Chorus itself; the one link to
        # another site is the quick exit's neutral page, which is a place to go, not an asset.
        assets = re.findall(r'<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)="([^"]+)"', page)
        assert assets and all(asset.startswith("/") for asset in assets), (path, assets)
        outside = re.findall(r'="(https?://[^"]+)"', page)
        assert outside == [settings.CHORUS_QUICK_EXIT_URL], (path, outside)


@pytest.mark.django_db
@override_settings(
    SECURE_HSTS_SECONDS=63072000,
    SESSION_COOKIE_SECURE=True,
    CHORUS_HTTPS=True,
    CHORUS_VAULT_COOKIE_NAME="__Host-chorus_vault",
)
def test_over_https_it_sends_hsts_and_secure_cookies(personas: Personas) -> None:
    client = Client()
    response = client.post("/sign-in/", {"email": personas.survivor.email, "password": PASSWORD}, secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=63072000")
    vault_cookie = response.cookies["__Host-chorus_vault"]
    assert vault_cookie["secure"]
    assert vault_cookie["httponly"]
    assert vault_cookie["samesite"] == "Strict"
    session_cookie = response.cookies["chorus_session"]
    assert session_cookie["secure"]
    assert session_cookie["httponly"]


@pytest.mark.django_db
def test_cookies_are_http_only_and_strict(client: Client, personas: Personas) -> None:
    response = client.post("/sign-in/", {"email": personas.survivor.email, "password": PASSWORD})
    for name in ("chorus_session", "chorus_vault"):
        assert response.cookies[name]["httponly"]
        assert response.cookies[name]["samesite"] == "Strict"


@pytest.mark.django_db
def test_forms_need_the_csrf_token(personas: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"email": personas.survivor.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Nothing was saved" in response.content.decode()


@pytest.mark.django_db
def test_sign_in_is_fresh_session_every_time(client: Client, personas: Personas) -> None:
    client.get("/sign-in/")
    client.cookies["chorus_session"] = "attacker-chosen-session-id"
    sign_in(client, personas.survivor)
    assert client.cookies["chorus_session"].value != "attacker-chosen-session-id"


@pytest.mark.django_db
def test_it_never_redirects_off_site_after_sign_in(client: Client, personas: Personas) -> None:
    response = client.post(
        "/sign-in/?next=https://evil.example/",
        {"email": personas.survivor.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/sign-in/", "/password-reset/", "/sign-in/two-factor/"])
def test_non_utf8_bodies_get_a_clear_answer(client: Client, path: str) -> None:
    response = client.generic(
        "POST", path, b"email=\xff\xfe%ff&password=\xc3\x28", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in (200, 302, 400, 403)
    assert Member.objects.count() == 0


@pytest.mark.django_db
def test_an_overlong_email_is_refused_plainly(client: Client) -> None:
    response = client.post("/sign-in/", {"email": "a" * 300 + "@x.example", "password": "x"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()


@pytest.mark.django_db
def test_unknown_pages_get_a_kind_404(client: Client) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing here." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("fetch_site", "status"), [("same-origin", 302), ("cross-site", 403), (None, 403)])
def test_a_null_origin_is_trusted_only_when_the_browser_says_same_origin(
    personas: Personas, fetch_site: str | None, status: int
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/sign-in/")
    token = client.cookies["chorus_csrf"].value
    headers = {"Origin": "null", **({"Sec-Fetch-Site": fetch_site} if fetch_site else {})}
    response = client.post(
        "/sign-in/",
        {"email": personas.survivor.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers=headers,
    )
    assert response.status_code == status


def test_a_server_error_page_needs_no_database() -> None:
    from django.test import RequestFactory

    from chorus.web.views import server_error

    response = server_error(RequestFactory().get("/"))  # no db fixture: any query would fail
    assert response.status_code == 500
    assert "Something went wrong on our side." in response.content.decode()


def test_a_database_that_went_away_is_a_clear_503_not_a_server_error() -> None:
    from django.contrib.sessions.exceptions import SessionInterrupted
    from django.db import OperationalError
    from django.test import RequestFactory

    from chorus.web.views import bad_request, server_error

    request = RequestFactory().get("/")
    try:
        raise OperationalError("terminating connection due to administrator command")
    except OperationalError:
        during_a_view = server_error(request)
    # A session that could not be saved because the database went away is reported by
    # Django as a bad request; it is the same outage.
    try:
        try:
            raise OperationalError("connection refused")
        except OperationalError as error:
            raise SessionInterrupted("The request's session was deleted") from error
    except SessionInterrupted as interrupted:
        saving_the_session = bad_request(request, interrupted)
    for response in (during_a_view, saving_the_session):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        page = response.content.decode()
        assert "Chorus cannot reach its database just now." in page
        assert "nothing was half done" in page
    assert bad_request(request, SessionInterrupted("gone")).status_code == 400  # other bad requests stay 400


def test_the_health_view_answers_without_a_database(client: Client) -> None:
    response = client.get("/healthz/")  # no db fixture: any query would fail
    assert (response.status_code, response.content, response["Content-Type"]) == (200, b"ok", "text/plain")


OFF_SITE = [
    "https://evil.example/", "//", "/\\", "//evil.example/", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "http:evil.example", "https:/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", " //evil.example",
    "\t//evil.example", "/\t/evil.example", "evil.example", "data:text/html,hi", "//evil.example@riverside",
]  # fmt: skip


@pytest.mark.django_db
@examples(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    following=st.one_of(st.sampled_from(OFF_SITE), st.text(max_size=40), st.from_regex(r"\A[/\\:.a-z@%0-9\t ]{0,20}\Z"))
)
def test_no_next_address_leads_off_site(client: Client, following: str) -> None:
    """The language switcher (the one form that returns to a given page): wherever ``next``
    points, the browser is sent to a path on this site."""
    response = client.post("/language/", {"language": "es", "next": following})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert urlsplit(location).netloc == "" and urlsplit(location).scheme == "", location
    assert not any(character in location for character in "\t\r\n\\"), location


@pytest.mark.django_db
def test_a_session_planted_before_sign_in_is_worthless_after_it(personas: Personas) -> None:
    """Session fixation: an attacker opens a real session, plants its cookie in the victim's
    browser, and waits for the victim to sign in. The victim gets a new session; the
    attacker's stays signed out."""
    attacker = Client()
    attacker.post("/report/riverside/", {"understood": "yes"})  # starting an anonymous report makes one
    planted = attacker.cookies["chorus_session"].value
    victim = Client()
    victim.cookies["chorus_session"] = planted
    sign_in(victim, personas.survivor)
    assert victim.cookies["chorus_session"].value != planted
    assert victim.get("/records/").status_code == 200
    answer = attacker.get("/records/")
    assert answer.status_code == 302 and answer["Location"].startswith("/sign-in/")
