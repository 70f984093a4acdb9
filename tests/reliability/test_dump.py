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

from tests.deployment import Deployment, Visitor, database_url_of_tests, shared_settings
from tests.personas import PASSWORD, make_personas

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


def _pg_dump(database_url: str) -> bytes:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    command = str(binaries[-1]) if binaries else shutil.which("pg_dump")
    assert command, "pg_dump not found (Debian's postgresql-client)"
    return subprocess.run([command, "--no-owner", database_url], check=True, capture_output=True).stdout


def test_a_dump_after_every_journey_holds_no_plaintext(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of make test (pg_dump of the deployment's database)")
    make_personas()
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

        anonymous = Visitor(deployment.url)
        receipt_page = anonymous.post("/report/riverside/", {"understood": "yes"})
        assert receipt_page.status_code == 200
        report = re.search(r'href="(/records/[0-9a-f-]{36}/)"', receipt_page.text)
        assert report, receipt_page.text[:500]
        anonymous.refresh_token()
        assert anonymous.post(report.group(1), {"what": ANONYMOUS}).status_code == 302

        dump = _pg_dump(database_url_of_tests())
    assert b"COPY public.records_recordversion" in dump, "the dump holds the tables"
    assert b"Riverside Workers Union" in dump, "and text stored in the clear is found in it"
    stored = dump + b"".join(
        path.read_bytes() for path in Path(settings.CHORUS_ATTACHMENTS_DIR).rglob("*") if path.is_file()
    )
    typed = [STORY, WHEN, MESSAGE, NAMED, STATEMENT, CASE, EXCERPT, ANONYMOUS, "Pettigrew", "Rowan"]
    found = [text for text in typed if text.lower().encode() in stored.lower()]
    assert found == [], f"in the clear in the dump: {found}"
    assert NOTE not in stored and b"23:40" not in stored
    assert os.path.getsize(tmp_path / "gunicorn.log") < 100_000
    logs = b"".join(path.read_bytes() for path in tmp_path.glob("*.log")).lower()
    assert [text for text in typed if text.lower().encode() in logs] == [], "no typed text in any process's log"
