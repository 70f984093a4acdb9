"""``chorus ledger export`` writes nothing that names anyone unless asked, and the standalone
check runs without Django, refuses unusable input with a clear message (exit 2), and checks
receipts too. (Tampering: test_tampering.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from chorus.ledger import log, standalone
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import ledger_append

CHAIN = "platform"


def _ledger(tmp_path: Path) -> tuple[str, str, Path]:
    """Five events with a witnessed head; (log key, witness key, the head as a member kept it)."""
    for number in range(5):
        ledger_append(organization_id=None, actor="m_someone", action="test.step", refs={"record": f"r_{number}"})
    signed = log.tree_head_sign(CHAIN)
    assert signed is not None and signed.row.witnessed
    log_key, witness_key = log.pinned_keys()
    assert log_key is not None and witness_key is not None
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps({"head": log.head_as_dict(signed.row)}))
    return log_key, witness_key, kept


def _export(tmp_path: Path, *extra: str) -> Path:
    path = tmp_path / "export.json"
    call_command("ledger", "export", "--chain", CHAIN, "--out", str(path), *extra, stdout=StringIO())
    return path


def _run(path: Path, log_key: str, witness_key: str, head: Path | None = None) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    code = standalone.run(path, log_key=log_key, witness_key=witness_key, head_path=head, stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.django_db
def test_it_exports_public_fields_and_hashes_only_unless_oversight_asks(tmp_path: Path) -> None:
    log_key, witness_key, _ = _ledger(tmp_path)
    text = _export(tmp_path).read_text()
    export = json.loads(text)
    assert {tuple(sorted(event)) for event in export["events"]} == {
        ("action", "created_at", "hash", "prev_hash", "seq")
    }
    assert "m_someone" not in text and "r_1" not in text
    assert "names no one" in export["note"]
    assert export["pinned_keys"]["log_key"] == log_key and export["pinned_keys"]["witness_key"] == witness_key
    assert [head["size"] for head in export["tree_heads"]] == [5]
    with_refs = json.loads(_export(tmp_path, "--with-refs").read_text())
    assert with_refs["events"][1]["actor"] == "m_someone" and with_refs["events"][1]["refs"] == {"record": "r_1"}
    assert "Do not publish" in with_refs["note"]


@pytest.mark.django_db
def test_it_runs_as_a_module_without_django(tmp_path: Path) -> None:
    log_key, witness_key, kept = _ledger(tmp_path)
    export = _export(tmp_path, "--with-refs")
    shadow = tmp_path / "shadow" / "django"  # any import of Django fails in the child
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('the standalone check imported Django')\n")
    command = [sys.executable, "-m", "chorus.ledger.standalone", str(export), "--log-key", log_key]
    result = subprocess.run(
        [*command, "--witness-key", witness_key, "--head", str(kept), "--origin", log.origin_for(CHAIN)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "shadow")},
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"{CHAIN}: intact, 5 events, 1 signed tree head(s), 1 countersigned by the witness; "
        "extends the kept tree head of 5 events\n"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda path: path.unlink(), "cannot read the export"),
        (lambda path: path.write_text("{not json"), "cannot read the export"),
        (lambda path: path.write_text('{"kind": "something else"}'), "the file is not a ledger export"),
        (
            lambda path: path.write_text(path.read_text().replace('"hash": "', '"hash": "zz', 1)),
            "event #1 in the file has a 'hash' that is not 64 lowercase hex digits",
        ),
        (lambda path: None, "--log-key is not an Ed25519 public key"),
        (lambda path: None, "the kept head file holds no head"),
    ],
)
def test_unusable_input_is_refused_with_a_clear_message(tmp_path: Path, damage: object, message: str) -> None:
    log_key, witness_key, kept = _ledger(tmp_path)
    export = _export(tmp_path)
    damage(export)  # type: ignore[operator]
    if message.startswith("--log-key"):
        log_key = "not hex"
    if "no head" in message:
        kept.write_text('{"origin": "x/platform", "head": null}')
    code, output = _run(export, log_key, witness_key, kept)
    assert code == 2
    assert output.startswith(f"cannot check: {message}") and "Traceback" not in output


def test_missing_keys_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        standalone.main(["export.json"])
    assert exit_.value.code == 2
    assert "--log-key" in capsys.readouterr().err


@pytest.mark.django_db
def test_a_receipt_is_checked_alone_and_a_forged_one_refused(tmp_path: Path) -> None:
    log_key, witness_key, kept = _ledger(tmp_path)
    receipt = log.receipt(LedgerEvent.objects.get(chain=CHAIN, seq=3))
    assert receipt is not None
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    code, output = _run(path, log_key, witness_key)
    assert code == 0, output
    assert "event 3 ('test.step' at " in output and "is in the log's tree of 5 events" in output
    # Its action changed: the event's own hash no longer matches it.
    path.write_text(json.dumps({**receipt, "event": {**receipt["event"], "action": "case.decide"}}))  # type: ignore[dict-item]
    code, output = _run(path, log_key, witness_key)
    assert code == 1 and "event 3 was changed" in output
    # Another event's hash put in, without the fields: not the leaf the proof is for.
    fields = receipt["event"]
    assert isinstance(fields, dict)
    bare = {key: value for key, value in fields.items() if key not in ("actor", "refs", "payload_hash")}
    other = LedgerEvent.objects.get(chain=CHAIN, seq=4)
    path.write_text(json.dumps({**receipt, "event": {**bare, "hash": other.hash}}))
    code, output = _run(path, log_key, witness_key)
    assert code == 1 and "event 3 is not in the countersigned tree of 5 events" in output
    path.write_text(json.dumps(receipt))
    code, output = _run(path, "00" * 32, witness_key)
    assert code == 1 and "is signed by a key that is not this deployment's" in output
    assert _run(path, log_key, witness_key, kept)[0] == 2  # --head is for exports


@pytest.mark.django_db
def test_a_receipt_or_export_for_another_log_name_is_refused(tmp_path: Path) -> None:
    """Whoever holds the ledger key could sign a head under another log name; the person
    checking names the log they mean (from their Ledger page), and nothing else passes."""
    log_key, witness_key, _ = _ledger(tmp_path)
    receipt = log.receipt(LedgerEvent.objects.get(chain=CHAIN, seq=2))
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    out, err = StringIO(), StringIO()
    assert (
        standalone.run(
            path, log_key=log_key, witness_key=witness_key, origin="elsewhere.example/platform", stdout=out, stderr=err
        )
        == 1
    )
    assert "for another log" in err.getvalue()
    assert (
        standalone.run(
            path, log_key=log_key, witness_key=witness_key, origin=log.origin_for(CHAIN), stdout=out, stderr=err
        )
        == 0
    )
    export = _export(tmp_path)
    assert (
        standalone.run(export, log_key=log_key, witness_key=witness_key, origin="x/platform", stdout=out, stderr=err)
        == 1
    )


@pytest.mark.django_db
def test_what_the_summary_does_not_vouch_for_is_said(tmp_path: Path) -> None:
    for number in range(3):
        ledger_append(organization_id=None, actor="m_someone", action="test.step", refs={"n": number})
    log_key, witness_key = log.pinned_keys()
    assert log_key is not None and witness_key is not None
    code, output = _run(_export(tmp_path), log_key, witness_key)
    assert code == 0
    assert "WARNING: no head in it is countersigned by the witness" in output
    assert "event hashes were not recomputed" in output
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, output = _run(deep, log_key, witness_key)
    assert code == 2 and "nested too deeply" in output
