"""The worker's part in the transparency log: a witnessed tree head for every chain that
grew (``CHORUS_LEDGER_WITNESS_MINUTES``), and one at once after an important event."""

from __future__ import annotations

from typing import Any

from chorus.ledger.log import tree_head_sign, witness_due
from chorus.web import tasks

KIND = "ledger.witness"


@tasks.handler(KIND)
def _witness_now(payload: dict[str, Any]) -> None:
    tree_head_sign(str(payload["chain"]))


def witness_soon(chain: str) -> None:
    """Queue a witnessed head of ``chain`` inside the caller's transaction (one per chain
    pending at a time): the worker makes it within seconds."""
    tasks.task_enqueue(KIND, {"chain": chain}, once=f"{KIND}:{chain}")


tasks.periodic(witness_due)
