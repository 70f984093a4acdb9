"""``chorus custodian …``: run the custodian without the platform's settings or database."""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from pathlib import Path

from chorus.custodian.service import Custodian, load_key
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
    run.add_argument("--per-requester-per-hour", type=int, default=30)
    run.add_argument("--total-per-hour", type=int, default=2000)
    key = commands.add_parser("public-key", help="print the public key (base64) for the platform to pin")
    key.add_argument("--key-file", type=Path, required=True)
    token = commands.add_parser("new-token", help="write a fresh random bearer token to a file (mode 600)")
    token.add_argument("--token-file", type=Path, required=True)
    return parser


def main(argv: list[str]) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.command == "public-key":
        print(b64(load_key(arguments.key_file, info=Custodian.KEY_INFO)[1]))  # noqa: T201 - the command's output
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def ready(port: int) -> None:
        print(f"custodian listening on http://{arguments.host}:{port}/", flush=True)  # noqa: T201

    try:
        serve(make_app(custodian, token=token), arguments.host, arguments.port, ready=ready)
    except KeyboardInterrupt:
        return 0
    return 0
