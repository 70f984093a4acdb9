"""Opening the address of a form's action (a bookmark, a typed or shared link) gives a
Chorus page: the quick exit, a plain sentence and a way home, with status 405 and the
Allow header; never the browser's bare error."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponseNotAllowed
from django.test import Client
from django.urls import reverse
from django.utils import translation

from chorus.web.middleware import MethodNotAllowedMiddleware
from tests.personas import Personas
from tests.web.test_access_matrix import MATRIX, _client_for

pytestmark = pytest.mark.django_db

POST_ONLY = sorted(name for name, entry in MATRIX.items() if entry.method == "post")


def test_the_matrix_names_post_only_urls() -> None:
    assert {"record_notices", "record_new_draft", "escrow_evaluate", "sign_out"} <= set(POST_ONLY)


@pytest.mark.parametrize("name", POST_ONLY)
def test_a_get_of_a_post_only_url_is_a_chorus_page(name: str, personas: Personas) -> None:
    entry = MATRIX[name]
    url = reverse(name, kwargs=entry.kwargs(personas))
    # As someone who may use it (the page they would see) and as a visitor.
    for persona in [*sorted(entry.allowed)[:1], "outsider"]:
        response = _client_for(persona, personas).get(url)
        assert response.status_code == 405, f"{name}: {persona} got {response.status_code}"
        assert "POST" in response["Allow"], f"{name}: Allow is {response['Allow']!r}"
        page = response.content.decode()
        assert "data-quick-exit" in page, f"{name}: no quick exit"
        assert "<h1>This page opens from a button</h1>" in page and "Nothing was changed." in page
        assert '<a href="/">Chorus home</a>' in page
        assert response["Content-Type"].startswith("text/html")
        assert response["Cache-Control"] == "no-store" and response["X-Frame-Options"] == "DENY"


def test_the_page_speaks_the_visitors_language(personas: Personas) -> None:
    client = Client()
    client.cookies["django_language"] = "es"
    with translation.override("en"):  # the request switches this thread to Spanish: switched back after
        response = client.get(reverse("report_leave"))
    assert response.status_code == 405 and '<html lang="es">' in response.content.decode()


def test_an_answer_that_already_explains_itself_is_left_alone(personas: Personas) -> None:
    """A 405 with its own body (an API's) keeps it."""
    answer = HttpResponseNotAllowed(["POST"], content=b'{"error": "POST only"}', content_type="application/json")
    assert MethodNotAllowedMiddleware(lambda request: answer)(HttpRequest()) is answer
