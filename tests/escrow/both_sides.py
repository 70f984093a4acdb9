"""Run the server's and the browser's code over the same inputs.

The browser's (js/identifiers.js, js/escrow.js) runs under Node through js/run.js, one
process per batch, with the tables the page would get (identifiers.browser_rules()). The
inputs are drawn by Hypothesis up front: the same ones on every run, or a fresh draw when
CHORUS_DIFFERENTIAL_EXAMPLES is set (``make fuzz``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chorus.escrow.identifiers import IdentifierError, browser_rules, normalize

ROOT = Path(__file__).resolve().parents[2]
FRESH_SEED = "CHORUS_DIFFERENTIAL_EXAMPLES" in os.environ
Drawn = TypeVar("Drawn")


def drawn(strategy: st.SearchStrategy[Drawn], count: int) -> list[Drawn]:
    """``count`` inputs (some repeated), drawn up front so that Node runs once per batch."""
    found: list[Drawn] = []

    @settings(
        max_examples=count,
        derandomize=not FRESH_SEED,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Drawn) -> None:
        found.append(value)

    collect()
    return found


def node(command: str, payload: Any, *, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """js/run.js ``command`` with ``payload`` as JSON on its standard input."""
    return subprocess.run(
        ["node", str(ROOT / "js" / "run.js"), command],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=check,
        cwd=ROOT,
        timeout=timeout,
    )

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
    result = node("normalize", {"rules": browser_rules(), "region": region, "cases": cases}, timeout=60)
    answers: list[Answer] = json.loads(result.stdout)
    return answers


def disagreements(cases: list[tuple[str, str]], region: str) -> list[Disagreement]:
    """Every case where the two differ: one refuses and the other accepts, both accept with
    different canonical strings, or both refuse with different explanations."""
    server, browser = server_answers(cases, region), browser_answers(cases, region)
    return [(case, s, b) for case, s, b in zip(cases, server, browser, strict=True) if s != b]
