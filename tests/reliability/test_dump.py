"""A database dump, taken with pg_dump after people have used every part of the production
deployment one after another (nothing flushed in between), holds none of what they typed
or uploaded: no story, no name of anyone reported, no identifier, no message."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from chorus.accounts.models import Member
from chorus.cases.models import Case
from tests.deployment import Deployment, Visitor, database_url_of_tests, shared_settings
from tests.personas import PASSWORD, Personas, add_member, make_personas

pytestmark = [pytest.mark.postgres_only, pytest.mark.usefixtures("ledger_flushable")]

STORY = "Rowan Pettigrew-Aldana pinned me against the filing cabinets after the audit meeting"
WHEN = "the Thursday of the autumn audit"
NOTE = b"Notes kept on my phone: Rowan texted me at 23:40 again\n"
MESSAGE = "Could someone tell me what my options are about Rowan"
NAMED = "rowan.pettigrew-aldana@harbourlogistics.example"
STATEMENT = "He does this to every new starter in logistics"
CASE = "I want Rowan kept away from my shifts at the depot"
EXCERPT = "Nobody believed me when I said the audit lead was doing this"
ANONYMOUS = "The night supervisor at the east gate follows me to the car park"
WITNESSED = "I saw the shift lead corner Marisol Quennell-Abara by the loading bay"
ACCOUNTABLE = "I kept texting a colleague late at night after she asked me to stop"
WORRIED = "I keep commenting on a colleague's clothes in the loading bay"
REPAIR = "I would like to apologise for the remarks I made at the depot party"
REPAIR_WORDS = "An apology in writing, through the advocates, and then leave me be"
UUID = r"[0-9a-f-]{36}"

ALLY_WORDS = "Please have a word with Rowan, he listens to you at the depot"
ALLY_NOTE = "Waited until Rowan was alone by the forklifts before bringing it up"
ALLY_REPORT = "Spoke to Rowan on Friday; he said he had not realised and will stop"


def _pg_dump(database_url: str) -> bytes:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    command = str(binaries[-1]) if binaries else shutil.which("pg_dump")
    assert command, "pg_dump not found (Debian's postgresql-client)"
    return subprocess.run([command, "--no-owner", database_url], check=True, capture_output=True).stdout


def _copy_block(dump: bytes, table: str) -> bytes:
    """The rows of one table in a plain pg_dump."""
    start = dump.index(f"COPY public.{table} ".encode())
    return dump[start : dump.index(b"\n\\.\n", start)]


def _request_for_repair(url: str, personas: Personas) -> str:
    """He starts a plan and asks for repair concerning the survivor; the facilitator passes it
    on; an advocate asks her; she hears more and asks for an apology, with words for him.
    Returns the request's id."""

    def signed_in(name: str) -> Visitor:
        visitor = Visitor(url)
        visitor.sign_in(personas.members[name].email, PASSWORD, personas.totp_secrets.get(name, ""))
        return visitor

    him = signed_in("respondent")
    plan = him.post("/cases/self/", {"facilitator": str(personas.facilitator.pk), "text": WORRIED})
    assert plan.status_code == 302, plan.text[:500]
    case = plan.headers["Location"]
    asked = him.post(f"{case}repair/new/", {"concerning": str(personas.survivor.pk), "offer": REPAIR})
    assert asked.status_code == 302, asked.text[:500]
    facilitator = signed_in("facilitator")
    review = re.search(rf'action="({case}repair/{UUID}/review/)"', facilitator.get(f"{case}repair/").text)
    assert review, "the facilitator is offered the review"
    assert facilitator.post(review.group(1), {"forward": "yes"}).status_code == 302
    advocate = signed_in("advocate")
    request = re.search(rf'href="/cases/repair/({UUID})/"', advocate.get("/cases/repair/").text)
    assert request, "the advocates see the request passed on"
    sent = advocate.post(f"/cases/repair/{request.group(1)}/", {"recipient": str(personas.survivor.pk)})
    assert sent.status_code == 302, sent.text[:500]
    her = signed_in("survivor")
    answer = {"answer": "apology", "note": REPAIR_WORDS}
    assert her.post(f"/cases/repair/asked/{request.group(1)}/more/", answer).status_code == 302
    return request.group(1)


def _ally_steps_in(url: str, survivor: Visitor, record: str, personas: Personas) -> str:
    """She asks a friend (a member) to talk to him, giving two parts; the friend accepts,
    keeps a note and reports back. Returns the request's id."""
    page = survivor.get(f"{record}step-in/ask/").text
    version = re.search(r'name="versions" value="(\d+)"', page)
    assert version, page[:500]
    friend, _ = add_member(personas.organization, "friend", set())  # a member with no role, no second factor
    ask = {"ally": str(friend.pk), "ask": "talk", "words": ALLY_WORDS}
    asked = survivor.post(f"{record}step-in/ask/", {**ask, "versions": version.group(1), "parts": ["what", "when"]})
    assert asked.status_code == 302, asked.text[:500]
    request_id = asked.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    ally = Visitor(url)
    ally.sign_in(friend.email, PASSWORD)
    assert ally.post(f"/stepping-in/{request_id}/answer/", {"answer": "accept"}).status_code == 302
    assert WHEN in ally.get(f"/stepping-in/{request_id}/shared/").text
    for kind, body in (("note", ALLY_NOTE), ("report", ALLY_REPORT)):
        assert ally.post(f"/stepping-in/{request_id}/notes/", {"kind": kind, "body": body}).status_code == 302
    return request_id


def test_a_dump_after_every_journey_holds_no_plaintext(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test (pg_dump of the deployment's database)")
    personas = make_personas()
    with Deployment(database_url_of_tests(), tmp_path, workers=2, env=shared_settings()) as deployment:
        survivor = Visitor(deployment.url)
        survivor.sign_in("survivor@riverside.example", PASSWORD)
        record = survivor.post("/records/new/", {"title": "Started"}).headers["Location"]
        assert survivor.post(f"{record}draft/", {"what": STORY}).status_code == 200
        saved = survivor.post(record, {"what": STORY, "when": WHEN}, files={"attachment": ("note.txt", NOTE)})
        assert saved.status_code == 302
        assert STORY in survivor.get(record).text
        assert survivor.post(f"{record}messages/", {"body": MESSAGE}).status_code in (200, 302)
        named = survivor.post(
            "/escrow/new/",
            {"kind_0": "email", "text_0": NAMED, "tell_me": "yes", "would_meet": "yes", "release": "contact",
             "statement": STATEMENT},
        )  # fmt: skip
        assert named.status_code == 302, named.text[:500]
        opened = survivor.post("/cases/new/", {"summary": CASE, "pathway": "support"})
        assert opened.status_code == 302, opened.text[:500]
        story = survivor.post("/stories/", {"text": EXCERPT})
        assert story.status_code == 302, story.text[:500]
        # What I saw: an account about the respondent persona, who may be asked about it.
        saw = survivor.post(
            "/records/saw/new/", {"what": WITNESSED, "email": "respondent@riverside.example", "contact": "yes"}
        )
        assert saw.status_code == 302, saw.text[:500]
        assert (
            "respondent@riverside.example" in survivor.get(saw.headers["Location"]).text
        )  # shown back to the witness alone
        accountable = survivor.post("/stories/accountability/", {"text": ACCOUNTABLE})
        assert accountable.status_code == 302, accountable.text[:500]
        assert survivor.post(f"{accountable.headers['Location']}show/", {}).status_code == 302

        anonymous = Visitor(deployment.url)
        receipt_page = anonymous.post("/report/riverside/", {"understood": "yes"})
        assert receipt_page.status_code == 200
        report = re.search(r'href="(/records/[0-9a-f-]{36}/)"', receipt_page.text)
        assert report, receipt_page.text[:500]
        anonymous.refresh_token()
        assert anonymous.post(report.group(1), {"what": ANONYMOUS}).status_code == 302
        ally_request = _ally_steps_in(deployment.url, survivor, record, personas)

        request_id = _request_for_repair(deployment.url, personas)

        dump = _pg_dump(database_url_of_tests())
    assert b"COPY public.records_recordversion" in dump, "the dump holds the tables"
    assert b"Riverside Workers Union" in dump, "and text stored in the clear is found in it"
    stored = dump + b"".join(
        path.read_bytes() for path in Path(settings.CHORUS_ATTACHMENTS_DIR).rglob("*") if path.is_file()
    )
    typed = [STORY, WHEN, MESSAGE, NAMED, STATEMENT, CASE, EXCERPT, ANONYMOUS, WORRIED, REPAIR, REPAIR_WORDS,
             "Pettigrew", "Rowan"]  # fmt: skip
    typed += [ALLY_WORDS, ALLY_NOTE, ALLY_REPORT]
    typed += [WITNESSED, ACCOUNTABLE, "Quennell"]
    found = [text for text in typed if text.lower().encode() in stored.lower()]
    assert found == [], f"in the clear in the dump: {found}"
    assert NOTE not in stored and b"23:40" not in stored
    # No row names the person concerned by a request for repair or ties her to him.
    her = [str(personas.survivor.pk).encode(), personas.survivor.pseudonym.encode()]
    repair = _copy_block(dump, "cases_repairrequest")
    assert request_id.encode() in repair, "the request is in the dump"
    assert [token for token in her if token in repair] == []
    about_it = [line for line in _copy_block(dump, "ledger_ledgerevent").splitlines() if request_id.encode() in line]
    assert about_it, "the request's steps are ledgered"
    assert [line for line in about_it if any(token in line for token in her)] == []
    # A request to step in adds no link between the record and the member asked beyond the
    # grant's grantee: its own rows name nobody.
    start = dump.index(b"COPY public.records_allyrequest ")
    rows = dump[start : dump.index(b"\n\\.\n", start)]
    assert ally_request.encode() in rows, "the request is in the dump"
    friend = Member.objects.get(email="friend@riverside.example")
    ally = [str(friend.pk).encode(), str(friend.pk).replace("-", "").encode(), friend.pseudonym.encode()]
    assert [token for token in ally if token in rows] == []
    # Whom a witness named is sealed: the account's row holds neither her id nor her address,
    # and no ledger event about an account names her.
    named_her = [str(personas.respondent.pk).encode(), personas.respondent.pk.hex.encode(), b"respondent@"]
    named_her.append(personas.respondent.pseudonym.encode())
    witnessed = _copy_block(dump, "records_witnessaccount")
    assert len(witnessed.splitlines()) == 2, "the witnessed account is in the dump"
    assert [token for token in named_her if token in witnessed] == []
    events = [line for line in _copy_block(dump, "ledger_ledgerevent").splitlines() if b"witnessed" in line]
    assert events, "the account's steps are ledgered"
    assert [line for line in events if any(token in line for token in named_her)] == []
    # Nor does any event of a case name who acted in it by the pseudonym beside their name:
    # his steps in the plan he started are there, under the case's own pseudonym for him.
    case_ids = [
        str(pk).encode() for pk in Case.objects.filter(organization=personas.organization).values_list("pk", flat=True)
    ]
    in_cases = [
        line for line in _copy_block(dump, "ledger_ledgerevent").splitlines() if any(c in line for c in case_ids)
    ]
    assert in_cases, "the cases' steps are ledgered"
    assert [line for line in in_cases if personas.respondent.pseudonym.encode() in line] == []
    assert os.path.getsize(tmp_path / "gunicorn.log") < 100_000
    logs = b"".join(path.read_bytes() for path in tmp_path.glob("*.log")).lower()
    assert [text for text in typed if text.lower().encode() in logs] == [], "no typed text in any process's log"
