"""The record pages through Django's client: forms, refusals and anonymous receipts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chorus.ledger.models import LedgerEvent
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


def _new_record(client: Client, words: str = "The first few words.") -> str:
    response = client.post("/records/new/", {"what": words})
    assert response.status_code == 302
    return str(response["Location"])


def _new_page_token(client: Client) -> str:
    page = client.get("/records/new/").content.decode()
    token = re.search(r'name="record" value="([^"]+)"', page)
    assert token, page
    return token.group(1)


def test_opening_a_new_record_keeps_nothing_until_there_is_something_to_keep(personas: Personas) -> None:
    client = _client(personas)
    response = client.get("/records/new/")
    assert response.status_code == 200 and b"data-quick-exit" in response.content
    assert "A new record" in response.content.decode()
    assert Record.objects.count() == 0
    # "Save" on the empty page says so, and still creates nothing.
    response = client.post("/records/new/", {"record": _new_page_token(client), "title": "  "})
    assert response.status_code == 200
    assert "There is nothing to save yet" in response.content.decode()
    # A file that is refused, with no words, is not something to keep either.
    upload = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + bytes(100), content_type="image/jpeg")
    response = client.post("/records/new/", {"attachment": upload})
    assert response.status_code == 200 and "none of these" in response.content.decode()
    assert Record.objects.count() == 0
    assert not LedgerEvent.objects.filter(action="record.created").exists()
    assert "Untitled record" not in client.get("/records/").content.decode()
    assert "You have no records yet" in client.get("/records/").content.decode()


def test_the_first_words_kept_by_autosave_create_the_record_and_save_finds_it(personas: Personas) -> None:
    client = _client(personas)
    token = _new_page_token(client)
    empty = client.post("/records/new/draft/", {"record": token, "what": ""})
    assert empty.status_code == 200 and empty.json() == {"saved": False}
    assert Record.objects.count() == 0
    first = client.post("/records/new/draft/", {"record": token, "what": "half a thought"}).json()
    record = Record.objects.get()
    assert first["saved"] is True
    assert first["record_url"] == f"/records/{record.pk}/" and first["draft_url"] == f"/records/{record.pk}/draft/"
    # A second draft and "Save" from the same page (racing or late) write into the same record.
    assert client.post("/records/new/draft/", {"record": token, "what": "half a thought, more"}).json()["saved"]
    saved = client.post("/records/new/", {"record": token, "what": "A whole thought."})
    assert saved.status_code == 302 and saved["Location"] == first["record_url"]
    assert Record.objects.count() == 1
    contents = writing.record_contents(survivor_owner(personas), record)
    assert [version.number for version in contents.versions] == [1] and contents.draft is None
    assert contents.latest == {"what": "A whole thought."}


def test_a_new_record_page_of_someone_else_never_writes_into_their_record(personas: Personas) -> None:
    survivor = _client(personas)
    token = _new_page_token(survivor)
    survivor.post("/records/new/draft/", {"record": token, "what": "mine"})
    theirs = Record.objects.get()
    other = _client(personas, "advocate")
    response = other.post("/records/new/", {"record": token, "what": "someone else's words"})
    assert response.status_code == 302 and response["Location"] != f"/records/{theirs.pk}/"
    assert writing.record_contents(survivor_owner(personas), theirs).versions == []
    assert Record.objects.count() == 2


def test_a_destroyed_record_never_comes_back_from_a_page_left_open(personas: Personas) -> None:
    """The new-record page still open in another tab, after the record it made was destroyed:
    posting it again must not bring the record back under its old id and history."""
    client = _client(personas)
    token = _new_page_token(client)
    saved = client.post("/records/new/", {"record": token, "what": "Something I later destroyed."})
    record = Record.objects.get()
    assert saved.status_code == 302
    writing.record_destroy(survivor_owner(personas), record)
    again = client.post("/records/new/", {"record": token, "what": "Typed again in the old tab."})
    assert again.status_code == 200
    assert "This page can no longer save" in again.content.decode()
    client.post("/records/new/draft/", {"record": token, "what": "and more"})
    assert not Record.objects.filter(pk=record.pk).exists()


def test_a_refused_file_never_costs_the_text(personas: Personas) -> None:
    client = _client(personas)
    upload = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + bytes(100), content_type="image/jpeg")
    response = client.post("/records/new/", {"what": "Words I do not want to type twice.", "attachment": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "none of these" in page and "Your text was kept." in page
    assert "Words I do not want to type twice." in page
    record = Record.objects.get()
    assert f'action="/records/{record.pk}/"' in page  # the next "Save" goes to the record just made
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


def test_a_good_photo_is_attached_to_a_new_record_and_the_page_says_what_was_removed(personas: Personas) -> None:
    client = _client(personas)
    upload = SimpleUploadedFile("IMG_1.jpg", samples.jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/records/new/", {"what": "See the photo.", "attachment": upload}, follow=True)
    page = response.content.decode()
    assert "is attached" in page and "(GPS)" in page and "Saved as version 1" in page


def test_a_file_alone_is_enough_to_start_a_record(personas: Personas) -> None:
    client = _client(personas)
    upload = SimpleUploadedFile("IMG_1.jpg", samples.jpeg_with_gps(), content_type="image/jpeg")
    response = client.post("/records/new/", {"attachment": upload}, follow=True)
    assert "is attached" in response.content.decode()
    contents = writing.record_contents(survivor_owner(personas), Record.objects.get())
    assert contents.versions == [] and [file.name for file in contents.attachments] == ["IMG_1.jpg"]


def test_the_draft_endpoint_keeps_text_and_refuses_what_is_too_long(personas: Personas) -> None:
    client = _client(personas)
    url = _new_record(client)
    response = client.post(url + "draft/", {"what": "half a thought"})
    assert response.status_code == 200 and response.json()["saved"] is True
    assert "half a thought" in client.get(url).content.decode()
    assert client.post(url + "draft/", {"what": "x" * 60_000}).status_code == 400
    assert client.post("/records/new/draft/", {"what": "x" * 60_000}).status_code == 400


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


def test_removing_a_file_is_asked_once_more_and_only_the_button_removes_it(personas: Personas) -> None:
    built = survivor_record(personas)
    client = _client(personas)
    edit = client.get(f"/records/{built.record.pk}/").content.decode()
    remove_url = f"/records/{built.record.pk}/files/{built.attachment_id}/remove/"
    assert f'href="{remove_url}"' in edit and 'action="' + remove_url not in edit  # a link, not a button
    asked = client.get(remove_url)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "<h1>Remove “coats.jpg” from this record?</h1>" in page and "cannot be brought back" in page
    assert '<button type="submit" class="danger">Remove the file</button>' in page
    assert f'href="/records/{built.record.pk}/">Keep it and go back to the record' in page
    assert built.record.attachments.count() == 1  # asking changed nothing
    response = client.post(remove_url, follow=True)
    assert "The file was removed from your record." in response.content.decode()
    assert built.record.attachments.count() == 0
    assert client.get(remove_url).status_code == 404  # already gone: said plainly


def test_stopping_a_share_is_asked_once_more_and_only_the_button_stops_it(personas: Personas) -> None:
    built = survivor_record(personas)
    client = _client(personas)
    share_page = client.get(f"/records/{built.record.pk}/share/").content.decode()
    stop_url = f"/records/{built.record.pk}/shares/{built.grant.pk}/stop/"
    assert f'href="{stop_url}">Stop sharing</a>' in share_page
    page = client.get(stop_url).content.decode()
    assert "<h1>Stop sharing with the advocate team?</h1>" in page
    assert '<button type="submit" class="danger">Stop sharing</button>' in page
    built.grant.refresh_from_db()
    assert built.grant.is_active()
    client.post(stop_url)
    built.grant.refresh_from_db()
    assert not built.grant.is_active()
    # Asking again once stopped just goes back to the sharing page.
    assert client.get(stop_url)["Location"] == f"/records/{built.record.pk}/share/"


def test_destroying_a_record_is_confirmed_and_styled_as_a_warning(personas: Personas) -> None:
    built = survivor_record(personas)
    client = _client(personas)
    page = client.get(f"/records/{built.record.pk}/destroy/").content.decode()
    assert '<button type="submit" class="danger">Destroy this record</button>' in page
    client.post(f"/records/{built.record.pk}/destroy/", {})
    assert Record.objects.filter(pk=built.record.pk).exists()
