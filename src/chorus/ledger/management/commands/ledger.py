"""``chorus ledger verify``, ``checkpoint``, ``export`` and ``verify-export``."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chorus.ledger import standalone
from chorus.ledger.export import ledger_export, verify_against_kept_head
from chorus.ledger.log import pinned_keys, tree_head_sign
from chorus.ledger.models import LedgerHead
from chorus.ledger.services import (
    checkpoint_as_dict,
    ledger_checkpoint,
    ledger_verify_all,
    verify_against_checkpoint,
)


class Command(BaseCommand):
    help = "Verify the ledger's hash chains, sign a checkpoint of their heads, or export a chain to check elsewhere."

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
        verify.add_argument(
            "--head",
            type=Path,
            help="A witnessed tree head a member kept (JSON) that the stored chain must extend; "
            "checked against the pinned log and witness keys.",
        )
        checkpoint = sub.add_parser("checkpoint", help="Sign the current head of each chain.")
        checkpoint.add_argument("--chain", help="Only this chain.")
        checkpoint.add_argument("--out", type=Path, help="Also write the checkpoint(s) as JSON here.")
        export = sub.add_parser(
            "export", help="Write one chain's public fields, hashes and signed tree heads as JSON, to check elsewhere."
        )
        export.add_argument("--chain", required=True, help="The chain (org:<id> or platform).")
        export.add_argument("--out", type=Path, required=True, help="The file to write.")
        export.add_argument(
            "--with-refs",
            action="store_true",
            help="For the oversight body: also each event's actor, references and payload hash, so every "
            "event hash can be recomputed. The file then holds pseudonyms and object ids.",
        )
        standalone.add_arguments(
            sub.add_parser(
                "verify-export", help="Check an export without the database (as python -m chorus.ledger.standalone)."
            )
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify-export":  # needs no database
            code = standalone.run(
                options["export"],
                log_key=options["log_key"],
                witness_key=options["witness_key"],
                head_path=options.get("head"),
                origin=options["origin"],
                stdout=self.stdout,
                stderr=self.stderr,
            )
            if code:
                raise SystemExit(code)
        elif action == "export":
            self._export(options["chain"], options["out"], with_refs=options["with_refs"])
        elif action == "verify":
            failed = self._verify(
                [options["chain"]] if options.get("chain") else None,
                options.get("checkpoint"),
                options.get("public_key"),
            )
            if options.get("head") is not None:
                failed |= self._kept_head_fails(options["head"], options.get("public_key"))
            if failed:
                raise SystemExit(1)
        else:
            chains = (
                [options["chain"]]
                if options.get("chain")
                else list(LedgerHead.objects.order_by("chain").values_list("chain", flat=True))
            )
            self._checkpoint(chains, options.get("out"))

    def _export(self, chain: str, out: Path, *, with_refs: bool) -> None:
        try:
            with out.open("w", encoding="utf-8") as file:
                count = ledger_export(chain=chain, out=file, with_refs=with_refs)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error}") from error
        self.stdout.write(f"{chain}: {count} events written to {out}" + (" (with references)" if with_refs else ""))

    def _kept_head_fails(self, path: Path, public_key: str | None) -> bool:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read kept head file {path}: {error}") from error
        log_key, witness_key = pinned_keys()
        chain, problem = verify_against_kept_head(data, log_key=public_key or log_key, witness_key=witness_key)
        if problem:
            self.stderr.write(f"{chain}: does not extend the kept tree head: {problem}")
            return True
        self.stdout.write(f"{chain}: extends the kept tree head")
        return False

    def _verify(self, chains: list[str] | None, checkpoint_file: Path | None, public_key: str | None) -> bool:
        """Print each chain's state and each checkpoint file's match; True if any failed."""
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
        return failed

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
