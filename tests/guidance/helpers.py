"""Who the guidance view tests sign in as, and the page they edit."""

from __future__ import annotations

import pytest
from django.test import Client

from chorus.guidance.models import GuidancePage
from tests.personas import Personas
from tests.web.test_access_matrix import _client_for

# Everyone signed in who must not edit Riverside's guidance: its members without the
# administrator's or an advocate's role, and an administrator of another organization.
NOT_EDITORS = ["survivor", "facilitator", "investigator", "panel", "respondent", "oversight", "commission", "other_org"]
EDITORS = ["admin", "advocate"]
PAGE = "when-a-friend-tells-you"
HELP = "where-to-get-help"


def as_persona(persona: str, personas: Personas) -> Client:
    return _client_for(persona, personas)


def page(personas: Personas, slug: str = PAGE) -> GuidancePage:
    return GuidancePage.objects.get(organization=personas.organization, slug=slug)


def assert_denied(client: Client, url: str, method: str = "get", data: dict[str, str] | None = None) -> None:
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    assert response.status_code == 403, response.status_code
    assert "You do not have access to this page." in response.content.decode()


def assert_sent_to_sign_in(url: str, method: str = "get") -> None:
    client = Client()
    response = client.post(url) if method == "post" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


not_editors = pytest.mark.parametrize("persona", NOT_EDITORS)
editors = pytest.mark.parametrize("persona", EDITORS)
