"""The record pages through Django's client: forms, refusals and anonymous receipts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chorus.records.models import Record
from chorus.records.services import sharing, writing
from tests.helpers import open_vault
from tests.personas import Personas
from tests.records import samples
from tests.records.factory import survivor_owner, survivor_record

pytestmark = pytest.mark.django_db
RECEIPT = re.compile(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){7}")


def _client(personas: Personas, persona: str = "survivor") -> Client:
    client = Client()
    member = personas.members[persona]
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, personas.vault_keys[persona])
    return client


def _new_record(client: Client) -> str:
    response = client.post("/records/new/")
    assert response.status_code == 302
    return str(response["Location"])


def test_a_refused_file_never_costs_the_text(personas: Personas) -> None:
    client = _client(personas)
    url = _new_record(client)
    upload = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + bytes(100), content_type="image/jpeg")
    response = client.post(url, {"what": "Words I do not want to type twice.", "attachment": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "none of these" in page and "Your text was kept." in page
    assert "Words I do not want to type twice." in page
    record = Record.objects.get()
    assert writing.record_contents(survivor_owner(personas), record).latest == {
        "what": "Words I do not want to type twice."
    }


def test_an_upload_over_the_limit_is_stopped_in_memory_and_the_text_kept(personas: Personas, settings: Any) -> None:
    settings.CHORUS_ATTACHMENT_MAX_BYTES = 2048
    client = _client(personas)
    url = _new_record(client)
    upload = SimpleUploadedFile("big.pdf", samples.pdf_with_metadata() + bytes(5000), content_type="application/pdf")
    response = client.post(url, {"what": "Still here.", "attachment": upload})
    assert "larger than" in response.content.decode()
    assert writing.record_contents(survivor_owner(personas), Record.objects.get()).latest == {"what": "Still here."}


def test_a_good_photo_is_attached_and_the_page_says_what_was_removed(personas: Personas) -> None:
    client = _client(personas)
    url = _new_record(client)
    upload = SimpleUploadedFile("IMG_1.jpg", samples.jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(url, {"what": "See the photo.", "attachment": upload}, follow=True)
    page = response.content.decode()
    assert "is attached" in page and "(GPS)" in page and "Saved as version 1" in page


def test_the_draft_endpoint_keeps_text_and_refuses_what_is_too_long(personas: Personas) -> None:
    client = _client(personas)
    url = _new_record(client)
    response = client.post(url + "draft/", {"what": "half a thought"})
    assert response.status_code == 200 and response.json()["saved"] is True
    assert "half a thought" in client.get(url).content.decode()
    assert client.post(url + "draft/", {"what": "x" * 60_000}).status_code == 400


def test_an_unknown_export_format_is_not_found(personas: Personas) -> None:
    built = survivor_record(personas)
    client = _client(personas)
    assert client.get(f"/records/{built.record.pk}/export.exe").status_code == 404
    assert client.get(f"/records/{built.record.pk}/export.zip")["Content-Type"] == "application/zip"


def test_an_advocate_is_refused_after_revocation_with_a_plain_reason(personas: Personas) -> None:
    built = survivor_record(personas)
    sharing.grant_revoke(built.owner, built.record, built.grant.pk)
    client = _client(personas, "advocate")
    response = client.get(f"/advocates/shared/{built.grant.pk}/")
    assert response.status_code == 403
    assert "stopped sharing" in response.content.decode()
    assert sharing.access_history(built.owner, built.record)[0].who == "Advocate"


def test_an_anonymous_report_from_receipt_to_return(personas: Personas) -> None:
    visitor = Client()
    start = "/report/riverside/"
    assert "cannot be replaced" in visitor.get(start).content.decode()
    assert "Please confirm" in visitor.post(start, {}).content.decode()
    page = visitor.post(start, {"understood": "yes"}).content.decode()
    match = RECEIPT.search(page)
    assert match, page
    receipt = match.group(0)
    record = Record.objects.get(anonymous=True)
    assert visitor.post(f"/records/{record.pk}/", {"what": "It happened at the depot."}).status_code == 302
    visitor.post("/report-leave/")
    assert visitor.get(f"/records/{record.pk}/").status_code == 302  # gone with the session

    returning = Client()
    typed = receipt.lower().replace("-", " ").replace("0", "o")
    response = returning.post("/report/riverside/return/", {"receipt": typed}, follow=True)
    assert "Welcome back" in response.content.decode()
    assert "It happened at the depot." in returning.get(f"/records/{record.pk}/").content.decode()
    # The receipt opens nothing in another organization.
    assert "does not open" in Client().post("/report/hilltop/return/", {"receipt": receipt}).content.decode()


def test_wrong_receipts_are_explained_and_then_rate_limited(personas: Personas, settings: Any) -> None:
    settings.CHORUS_ANONYMOUS_REPORTS_PER_HOUR = 3
    visitor = Client()
    url = "/report/riverside/return/"
    assert "32 letters and digits" in visitor.post(url, {"receipt": "ABCD-1234"}).content.decode()
    assert "does not open" in visitor.post(url, {"receipt": "A" * 32}).content.decode()
    visitor.post(url, {"receipt": "B" * 32})
    assert "Too many attempts" in visitor.post(url, {"receipt": "C" * 32}).content.decode()


def test_creating_receipts_is_rate_limited_per_network(personas: Personas, settings: Any) -> None:
    settings.CHORUS_ANONYMOUS_REPORTS_PER_HOUR = 2
    for _ in range(2):
        assert RECEIPT.search(Client().post("/report/riverside/", {"understood": "yes"}).content.decode())
    assert "Too many attempts" in Client().post("/report/riverside/", {"understood": "yes"}).content.decode()
    assert Record.objects.filter(anonymous=True).count() == 2
