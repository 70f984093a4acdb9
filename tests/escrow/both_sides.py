"""Run the server's and the browser's identifier normalization over the same inputs.

The browser's (js/identifiers.js) runs under Node through js/run.js, one process per batch,
with the tables the page would get (identifiers.browser_rules())."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from chorus.escrow.identifiers import IdentifierError, browser_rules, normalize

ROOT = Path(__file__).resolve().parents[2]

Answer = dict[str, str]  # {"canonical": "kind:value"} or {"error": "the explanation"}
Disagreement = tuple[tuple[str, str], Answer, Answer]  # (kind, text), the server's, the browser's


def server_answers(cases: list[tuple[str, str]], region: str) -> list[Answer]:
    answers = []
    for kind, text in cases:
        try:
            answers.append({"canonical": normalize(kind, text, region=region)})
        except IdentifierError as error:
            answers.append({"error": str(error)})
    return answers


def browser_answers(cases: list[tuple[str, str]], region: str) -> list[Answer]:
    result = subprocess.run(
        ["node", str(ROOT / "js" / "run.js"), "normalize"],
        input=json.dumps({"rules": browser_rules(), "region": region, "cases": cases}),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    answers: list[Answer] = json.loads(result.stdout)
    return answers


def disagreements(cases: list[tuple[str, str]], region: str) -> list[Disagreement]:
    """Every case where the two differ: one refuses and the other accepts, both accept with
    different canonical strings, or both refuse with different explanations."""
    server, browser = server_answers(cases, region), browser_answers(cases, region)
    return [(case, s, b) for case, s, b in zip(cases, server, browser, strict=True) if s != b]
