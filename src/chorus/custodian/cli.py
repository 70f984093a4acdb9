"""``chorus custodian …``: run the custodian without the platform's settings or database."""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import sys
from pathlib import Path

from chorus.config.keyfiles import read_or_create
from chorus.crypto import signing
from chorus.custodian.service import Custodian, load_key
from chorus.custodian.witness import Witness
from chorus.custodian.wsgi import b64, make_app, serve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chorus custodian", description="The escrow's second key holder.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the custodian over HTTP")
    run.add_argument("--key-file", type=Path, required=True, help="32-byte key seed; made (mode 600) if absent")
    run.add_argument("--state-file", type=Path, required=True, help="SQLite file of evaluation counters")
    run.add_argument("--token-file", type=Path, help="file holding the bearer token the platform must send")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8700)
    run.add_argument(
        "--witness-key-file",
        type=Path,
        help="32-byte seed of the witness key that countersigns ledger tree heads; default witness.key beside --key-file",
    )
    run.add_argument(
        "--witness-state-file",
        type=Path,
        help="SQLite file of the last countersigned head per log; default witness.sqlite3 beside --state-file",
    )
    run.add_argument(
        "--log-key",
        action="append",
        default=[],
        metavar="PREFIX=HEX",
        help="pin the key that signs the logs under PREFIX (a host followed by /, e.g. chorus.example.org/, or a "
        "whole origin); once any is set, other logs are refused. Otherwise a host's first key is kept",
    )
    run.add_argument("--per-requester-per-hour", type=int, default=30)
    run.add_argument("--total-per-hour", type=int, default=2000)
    key = commands.add_parser("public-key", help="print the public key (base64) for the platform to pin")
    key.add_argument("--key-file", type=Path, required=True)
    witness_key = commands.add_parser(
        "witness-key", help="print the witness's public key (hex) for the platform and verifiers to pin"
    )
    witness_key.add_argument("--witness-key-file", type=Path, required=True)
    token = commands.add_parser("new-token", help="write a fresh random bearer token to a file (mode 600)")
    token.add_argument("--token-file", type=Path, required=True)
    return parser


def _log_key_pins(given: list[str]) -> dict[str, bytes] | None:
    pins: dict[str, bytes] = {}
    for pin in given:
        origin, _, key_hex = pin.partition("=")
        try:
            pins[origin] = bytes.fromhex(key_hex)
        except ValueError:
            return None
        if len(pins[origin]) != 32 or not origin:
            return None
    return pins


def _print_key(arguments: argparse.Namespace) -> None:
    if arguments.command == "public-key":
        print(b64(load_key(arguments.key_file, info=Custodian.KEY_INFO)[1]))  # noqa: T201 - the command's output
    else:
        seed = read_or_create(arguments.witness_key_file, 32, setting="--witness-key-file")
        print(signing.public_key_for(seed).hex())  # noqa: T201


def main(argv: list[str]) -> int:  # noqa: PLR0911 - one exit code per way the command can end
    arguments = _parser().parse_args(argv)
    if arguments.command in {"public-key", "witness-key"}:
        _print_key(arguments)
        return 0
    if arguments.command == "new-token":
        arguments.token_file.parent.mkdir(parents=True, exist_ok=True)
        arguments.token_file.touch(mode=0o600)
        arguments.token_file.write_text(secrets.token_urlsafe(32) + "\n", encoding="utf-8")
        return 0
    if arguments.per_requester_per_hour <= 0 or arguments.total_per_hour <= 0:
        sys.stderr.write("chorus custodian: limits are whole numbers above zero\n")
        return 2
    token = arguments.token_file.read_text(encoding="utf-8").strip() if arguments.token_file else None
    if arguments.host not in {"127.0.0.1", "::1", "localhost"} and not token:
        sys.stderr.write("chorus custodian: a --token-file is needed when listening beyond loopback\n")
        return 2
    custodian = Custodian(
        key_file=arguments.key_file,
        state_file=arguments.state_file,
        per_requester_per_hour=arguments.per_requester_per_hour,
        total_per_hour=arguments.total_per_hour,
    )
    pins = _log_key_pins(arguments.log_key)
    if pins is None:
        sys.stderr.write("chorus custodian: --log-key is ORIGIN=<64 hex digits>\n")
        return 2
    witness = Witness(
        key_file=arguments.witness_key_file or arguments.key_file.with_name("witness.key"),
        state_file=arguments.witness_state_file or arguments.state_file.with_name("witness.sqlite3"),
        log_keys=pins,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def ready(port: int) -> None:
        print(f"custodian listening on http://{arguments.host}:{port}/", flush=True)  # noqa: T201

    # A stop (SIGTERM, Ctrl-C) first writes the evaluation counts still held in memory.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve(make_app(custodian, token=token, witness=witness), arguments.host, arguments.port, ready=ready)
    except KeyboardInterrupt:
        return 0
    finally:
        custodian.close()
    return 0


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt
