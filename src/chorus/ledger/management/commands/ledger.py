"""``chorus ledger verify`` and ``chorus ledger checkpoint``."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chorus.ledger.log import tree_head_sign
from chorus.ledger.models import LedgerHead
from chorus.ledger.services import (
    checkpoint_as_dict,
    ledger_checkpoint,
    ledger_verify_all,
    verify_against_checkpoint,
)


class Command(BaseCommand):
    help = "Verify the ledger's hash chains, or sign a checkpoint of their heads."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Check every event; exit 1 naming the first bad one.")
        verify.add_argument("--chain", help="Only this chain (e.g. org:<id> or platform).")
        verify.add_argument(
            "--checkpoint",
            type=Path,
            help="A checkpoint JSON file kept outside the database to compare against.",
        )
        verify.add_argument(
            "--public-key",
            help="The deployment's published checkpoint key (hex) to check signatures against; "
            "default CHORUS_LEDGER_PUBLIC_KEY, else this deployment's own key. A key inside a "
            "checkpoint is never trusted.",
        )
        checkpoint = sub.add_parser("checkpoint", help="Sign the current head of each chain.")
        checkpoint.add_argument("--chain", help="Only this chain.")
        checkpoint.add_argument("--out", type=Path, help="Also write the checkpoint(s) as JSON here.")

    def handle(self, *args: Any, **options: Any) -> None:
        chains = (
            [options["chain"]]
            if options.get("chain")
            else list(LedgerHead.objects.order_by("chain").values_list("chain", flat=True))
        )
        if options["action"] == "verify":
            self._verify(
                [options["chain"]] if options.get("chain") else None,
                options.get("checkpoint"),
                options.get("public_key"),
            )
        else:
            self._checkpoint(chains, options.get("out"))

    def _verify(self, chains: list[str] | None, checkpoint_file: Path | None, public_key: str | None) -> None:
        failed = False
        for result in ledger_verify_all(chains):
            chain = result.chain
            if result.ok:
                self.stdout.write(f"{chain}: intact, {result.events} events, head {result.head_hash}")
            else:
                failed = True
                self.stderr.write(f"{chain}: BROKEN at event {result.bad_seq}: {result.problem}")
        if checkpoint_file is not None:
            try:
                data = json.loads(checkpoint_file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read checkpoint file {checkpoint_file}: {error}") from error
            checkpoints = data if isinstance(data, list) else [data]
            for checkpoint in checkpoints:
                chain = str(checkpoint.get("chain", "")) if isinstance(checkpoint, dict) else ""
                problem = (
                    verify_against_checkpoint(chain, checkpoint, trusted_key=public_key) if chain else "no chain named"
                )
                if problem:
                    failed = True
                    self.stderr.write(f"{chain or '?'}: does not match the checkpoint: {problem}")
                else:
                    self.stdout.write(f"{chain}: matches the checkpoint at event {checkpoint['seq']}")
        if failed:
            raise SystemExit(1)

    def _checkpoint(self, chains: list[str], out: Path | None) -> None:
        written = []
        for chain in chains:
            checkpoint = ledger_checkpoint(chain)
            if checkpoint is None:
                continue
            written.append(checkpoint_as_dict(checkpoint))
            self.stdout.write(f"{chain}: signed event {checkpoint.seq}, head {checkpoint.head_hash}")
            signed = tree_head_sign(chain)
            if signed is not None and signed.row.witnessed:
                self.stdout.write(f"{chain}: tree head of {signed.row.size} events countersigned by the witness")
            elif signed is not None:
                self.stderr.write(f"{chain}: tree head of {signed.row.size} events NOT witnessed: {signed.problem}")
        if out is not None:
            out.write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")
