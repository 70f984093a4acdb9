"""The custodian as its own process on loopback, and the two-holder evaluation through it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import override_settings

from chorus.crypto import oprf, threshold
from chorus.custodian import service
from chorus.custodian.service import Custodian, EvaluationLimits, RateLimited
from chorus.escrow import evaluation, holders
from chorus.escrow.models import Match
from tests.escrow.factory import SAM, member_owner, name
from tests.personas import Personas
from tests.records.factory import survivor_owner

TOKEN = "test-token-" + "x" * 20


@dataclass
class Running:
    url: str
    key_file: Path
    process: subprocess.Popen[str]


def _start(tmp_path: Path, *extra: str) -> Running:
    (tmp_path / "token").write_text(TOKEN)
    key_file = tmp_path / "custodian.key"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chorus",
            "custodian",
            "serve",
            "--port",
            "0",
            "--key-file",
            str(key_file),
            "--state-file",
            str(tmp_path / "limits.sqlite3"),
            "--token-file",
            str(tmp_path / "token"),
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("custodian listening on "), line
    return Running(url=line.split()[-1].rstrip("/"), key_file=key_file, process=process)


def _stop(running: Running) -> None:
    running.process.terminate()
    running.process.wait(timeout=10)
    if running.process.stdout is not None:
        running.process.stdout.close()


@pytest.fixture
def custodian_process(tmp_path: Path) -> Iterator[Running]:
    running = _start(tmp_path, "--per-requester-per-hour", "3")
    yield running
    _stop(running)


@pytest.fixture
def remote(custodian_process: Running) -> Iterator[Running]:
    holders.custodian.cache_clear()
    with override_settings(CHORUS_CUSTODIAN_URL=custodian_process.url, CHORUS_CUSTODIAN_TOKEN=TOKEN):
        yield custodian_process
    holders.custodian.cache_clear()


def _post(url: str, body: object, token: str | None = TOKEN) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url + "/v1/evaluate", data=json.dumps(body).encode(), method="POST")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def _blinded() -> str:
    return base64.b64encode(oprf.blind(b"email:sam@example.org", oprf.VOPRF)[1]).decode()


def _top_bit_set(element: bytes) -> bytes:
    """Another encoding of the same element, which libsodium 1.0.18 alone would accept."""
    return element[:31] + bytes([element[31] | 0x80])


def test_the_custodian_refuses_what_it_should(custodian_process: Running) -> None:
    url = custodian_process.url
    assert _post(url, {"requester": "abcdefgh", "blinded": [_blinded()]}, token=None)[0] == 401
    assert _post(url, {"requester": "abcdefgh", "blinded": [_blinded()]}, token="wrong")[0] == 401
    status, body = _post(url, {"requester": "abcdefgh", "blinded": ["not base64!"]})
    assert status == 400 and "base64" in str(body["error"])
    status, body = _post(url, {"requester": "abcdefgh", "blinded": [base64.b64encode(bytes(32)).decode()]})
    assert status == 400 and "element" in str(body["error"])
    for second_encoding in (_top_bit_set(base64.b64decode(_blinded())), _top_bit_set(bytes(32))):
        status, body = _post(url, {"requester": "abcdefgh", "blinded": [base64.b64encode(second_encoding).decode()]})
        assert status == 400 and "canonical" in str(body["error"])
    assert _post(url, {"requester": "?", "blinded": [_blinded()]})[0] == 400
    assert _post(url, {"requester": "abcdefgh", "blinded": []})[0] == 400


def test_the_custodian_limits_each_requester_and_remembers_across_restarts(tmp_path: Path) -> None:
    running = _start(tmp_path, "--per-requester-per-hour", "2")
    try:
        assert _post(running.url, {"requester": "member-one", "blinded": [_blinded(), _blinded()]})[0] == 200
        status, body = _post(running.url, {"requester": "member-one", "blinded": [_blinded()]})
        assert status == 429 and "too many" in str(body["error"])
        assert _post(running.url, {"requester": "member-two", "blinded": [_blinded()]})[0] == 200
    finally:
        _stop(running)
    restarted = _start(tmp_path, "--per-requester-per-hour", "2")
    try:
        assert _post(restarted.url, {"requester": "member-one", "blinded": [_blinded()]})[0] == 429
    finally:
        _stop(restarted)


def test_total_limit(tmp_path: Path) -> None:
    limits = EvaluationLimits(tmp_path / "limits.sqlite3", per_requester=10, total=3)
    limits.take("first-member", 2, now=0)
    with pytest.raises(RateLimited, match="reached its evaluations"):
        limits.take("second-member", 2, now=1)
    limits.take("second-member", 2, now=3600)  # a new hour
    limits.close()


def _allowed(limits: EvaluationLimits, requester: str) -> int:
    """How many more single evaluations ``limits`` grants ``requester`` this hour."""
    granted = 0
    while True:
        try:
            limits.take(requester, 1)
        except RateLimited:
            return granted
        granted += 1


def test_a_crashed_custodian_forgets_at_most_the_stated_evaluations(tmp_path: Path) -> None:
    limits = EvaluationLimits(tmp_path / "limits.sqlite3", per_requester=60, total=1000)
    for _ in range(40):
        limits.take("member-one", 1)
    assert limits.unsaved <= service.UNSAVED_AT_MOST - 1
    # A crash: the counts held in memory are never written (the object is dropped unclosed).
    restarted = EvaluationLimits(tmp_path / "limits.sqlite3", per_requester=60, total=1000)
    assert 20 <= _allowed(restarted, "member-one") <= 20 + service.UNSAVED_AT_MOST - 1
    restarted.close()


def test_a_stopped_custodian_forgets_nothing(tmp_path: Path) -> None:
    limits = EvaluationLimits(tmp_path / "limits.sqlite3", per_requester=60, total=1000)
    for _ in range(41):
        limits.take("member-one", 1)
    limits.close()
    restarted = EvaluationLimits(tmp_path / "limits.sqlite3", per_requester=60, total=1000)
    assert _allowed(restarted, "member-one") == 19
    restarted.close()


def test_the_custodian_writes_its_counts_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "SAVE_EVERY_SECONDS", 3600.0)  # only the count decides here
    limits = EvaluationLimits(tmp_path / "limits.sqlite3", per_requester=100, total=1000)
    for _ in range(2 * service.UNSAVED_AT_MOST):
        limits.take("member-one", 1)
    assert limits.writes == 2
    limits.take("member-two", service.MAX_BATCH)  # a whole batch is written at once
    assert limits.writes == 3
    assert limits.unsaved == 0
    limits.close()


def test_the_custodian_service_killed_forgets_at_most_the_stated_evaluations(tmp_path: Path) -> None:
    running = _start(tmp_path, "--per-requester-per-hour", "24")
    try:
        for _ in range(20):
            assert _post(running.url, {"requester": "member-one", "blinded": [_blinded()]})[0] == 200
    finally:
        running.process.kill()  # SIGKILL: no chance to write what it holds
        running.process.wait(timeout=10)
        if running.process.stdout is not None:
            running.process.stdout.close()
    restarted = _start(tmp_path, "--per-requester-per-hour", "24")
    try:
        granted = 0
        while _post(restarted.url, {"requester": "member-one", "blinded": [_blinded()]})[0] == 200:
            granted += 1
        assert 4 <= granted <= 4 + service.UNSAVED_AT_MOST - 1
    finally:
        _stop(restarted)


def test_two_hop_equals_an_oprf_under_the_product_of_the_shares(remote: Running, tmp_path: Path) -> None:
    """The output is F(k1·k2, x); neither share alone reproduces it."""
    data = b"email:sam.lee@example.org"
    output = evaluation.two_hop([data], requester="requester-1")[0]
    k1 = oprf.scalar_to_int(holders.platform_key()[0])
    reference = Custodian(
        key_file=remote.key_file, state_file=tmp_path / "s", per_requester_per_hour=1, total_per_hour=1
    )
    k2 = oprf.scalar_to_int(reference._secret)
    reference.limits.close()
    assert output == oprf.evaluate(oprf.scalar_from_int(k1 * k2 % threshold.ORDER), data, oprf.VOPRF)
    assert output != oprf.evaluate(oprf.scalar_from_int(k1), data, oprf.VOPRF)
    assert output != oprf.evaluate(oprf.scalar_from_int(k2), data, oprf.VOPRF)
    assert output == evaluation.two_hop([data], requester="requester-2")[0]  # blinding changes nothing


def test_escrow_through_the_separate_custodian(remote: Running, personas: Personas) -> None:
    name(survivor_owner(personas), ("email", SAM))
    name(member_owner(personas, "robin"), ("email", "sam.lee@example.org"))
    assert Match.objects.count() == 1


def test_a_custodian_proving_under_another_key_is_refused(remote: Running, personas: Personas) -> None:
    other = base64.b64encode(oprf.derive_key_pair(bytes(32), b"x", oprf.VOPRF)[1]).decode()
    holders.custodian.cache_clear()
    with override_settings(CHORUS_CUSTODIAN_PUBLIC_KEY=other), pytest.raises(Exception, match="could not be reached"):
        name(survivor_owner(personas), ("email", SAM))
    holders.custodian.cache_clear()


def test_an_unreachable_custodian_saves_nothing(personas: Personas) -> None:
    holders.custodian.cache_clear()
    with override_settings(CHORUS_CUSTODIAN_URL="http://127.0.0.1:9"), pytest.raises(Exception, match="try again"):
        name(survivor_owner(personas), ("email", SAM))
    holders.custodian.cache_clear()
    from chorus.escrow.models import Entry

    assert Entry.objects.count() == 0


def test_the_in_process_custodian_gives_the_same_product() -> None:
    holders.custodian.cache_clear()
    local = holders.custodian()
    assert isinstance(local, holders.LocalCustodian)
    data = b"phone:+442079460958"
    k1 = oprf.scalar_to_int(holders.platform_key()[0])
    k2 = oprf.scalar_to_int(local._custodian._secret)
    expected = oprf.evaluate(oprf.scalar_from_int(k1 * k2 % threshold.ORDER), data, oprf.VOPRF)
    assert evaluation.two_hop([data], requester="requester-3") == [expected]


def test_the_custodian_decodes_strictly(tmp_path: Path) -> None:
    custodian = Custodian(
        key_file=tmp_path / "key", state_file=tmp_path / "limits", per_requester_per_hour=10, total_per_hour=10
    )
    blinded = oprf.blind(b"email:sam@example.org", oprf.VOPRF)[1]
    with pytest.raises(oprf.InvalidElement):
        custodian.evaluate("requester-1", [blinded, _top_bit_set(blinded)])
    assert oprf.check_element(custodian.evaluate("requester-1", [blinded])[0][0])
    custodian.limits.close()


def _answering(evaluated: list[bytes], proof: bytes, public: bytes) -> holders.RemoteCustodian:
    client = holders.RemoteCustodian("http://127.0.0.1:9", TOKEN, "")

    def call(path: str, body: object | None = None) -> dict[str, object]:
        if path == "/v1/key":
            return {"public_key": base64.b64encode(public).decode()}
        return {
            "evaluated": [base64.b64encode(e).decode() for e in evaluated],
            "proof": base64.b64encode(proof).decode(),
        }

    client._call = call  # type: ignore[method-assign]
    return client


def test_the_platform_refuses_a_custodian_answer_written_another_way() -> None:
    secret, public = oprf.derive_key_pair(bytes(32), b"custodian", oprf.VOPRF)
    blinded = oprf.blind(b"email:sam@example.org", oprf.VOPRF)[1]
    [evaluated], proof = oprf.blind_evaluate_batch(secret, [blinded], oprf.VOPRF)
    assert _answering([evaluated], proof, public).evaluate("requester-1", [blinded]) == ([evaluated], proof)
    assert _answering([evaluated], proof, public).public_key() == public
    with pytest.raises(holders.CustodianUnavailable):
        _answering([_top_bit_set(evaluated)], proof, public).evaluate("requester-1", [blinded])
    with pytest.raises(holders.CustodianUnavailable):
        _answering([evaluated], proof, _top_bit_set(public)).public_key()
    pinned = holders.RemoteCustodian("http://127.0.0.1:9", TOKEN, base64.b64encode(_top_bit_set(public)).decode())
    with pytest.raises(holders.CustodianUnavailable):
        pinned.public_key()


@pytest.mark.usefixtures("tamperable_ledger")
def test_the_separate_custodian_witnesses_tree_heads_and_refuses_a_rewrite(custodian_process: Running) -> None:
    """Tree heads countersigned over HTTP, with the witness key pinned; a history rewritten
    in the database (and re-signed with the ledger key) is refused by the witness."""
    from django.db import connection

    from chorus.ledger import log
    from chorus.ledger.services import ledger_append, ledger_verify_all

    def append(count: int, tag: str) -> None:
        for number in range(count):
            ledger_append(organization_id=None, actor="test", action="append", refs={tag: number})

    key = subprocess.run(
        [
            sys.executable,
            "-m",
            "chorus",
            "custodian",
            "witness-key",
            "--witness-key-file",
            str(custodian_process.key_file.with_name("witness.key")),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    holders.custodian.cache_clear()
    try:
        with override_settings(
            CHORUS_CUSTODIAN_URL=custodian_process.url, CHORUS_CUSTODIAN_TOKEN=TOKEN, CHORUS_WITNESS_PUBLIC_KEY=key
        ):
            append(4, "first")
            first = log.tree_head_sign("platform")
            append(3, "more")
            second = log.tree_head_sign("platform")
            assert first is not None and second is not None
            assert first.row.witnessed and second.row.witnessed and second.row.witness_key == key
            assert all(result.ok for result in ledger_verify_all(["platform"]))
            with connection.cursor() as cursor:
                for table in ("ledger_ledgerevent", "ledger_ledgerhead", "ledger_ledgernode", "ledger_ledgertreehead"):
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            append(9, "forged")
            refused = log.tree_head_sign("platform")
            assert refused is not None and not refused.row.witnessed
            assert "does not extend" in refused.problem
            (result,) = ledger_verify_all(["platform"])
            assert not result.ok
            assert "differ from what the witness countersigned" in str(result.problem)
    finally:
        holders.custodian.cache_clear()


def test_the_witness_heads_need_the_token(custodian_process: Running) -> None:
    """They show how active each organization's log is: only the platform may ask."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(custodian_process.url + "/v1/witness/heads", timeout=10)
    with refused.value as error:
        assert error.code == 401
    request = urllib.request.Request(custodian_process.url + "/v1/witness/heads")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read()) == {"heads": []}
