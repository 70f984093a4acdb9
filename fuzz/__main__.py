"""``python -m fuzz <target> [libFuzzer options]``: one bounded atheris run.

    python -m fuzz identifiers -max_total_time=60     identifier normalization (escrow)
    python -m fuzz attachments -max_total_time=60     attachment cleaning (records)

A crash — any exception other than the refusal the function documents, or a broken
property — stops the run with the input that caused it (written to crash-*) and exit 1.
Each target starts from a small seed corpus written here, so the coverage it builds
on is the same in every run; ``make test`` runs both, bounded.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris  # type: ignore[import-untyped]
import django
from django.conf import settings

TARGETS = ("identifiers", "attachments")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: python -m fuzz {{{','.join(TARGETS)}}} [libFuzzer options]")
    target, options = sys.argv[1], sys.argv[2:]
    # Only the translation machinery is needed (refusals are translatable messages).
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en")
    django.setup()
    with atheris.instrument_imports(include=["chorus"]):
        if target == "identifiers":
            from fuzz.identifiers import SEEDS, one_input
        else:
            from fuzz.attachments import SEEDS, one_input
    corpus = Path(tempfile.mkdtemp(prefix=f"chorus-fuzz-{target}-"))
    for number, seed in enumerate(SEEDS()):
        (corpus / f"seed-{number}").write_bytes(seed)
    atheris.Setup([sys.argv[0], *options, str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
