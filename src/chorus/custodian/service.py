"""The custodian's key, its evaluation limits and the one thing it does: evaluate."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from chorus.config.keyfiles import private_file, read_or_create
from chorus.crypto import oprf
from chorus.crypto.errors import MalformedInput

MODE = oprf.VOPRF
MAX_BATCH = 16  # one escrow entry names at most this many identifiers
_REQUESTER = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
_TOTAL = "*"  # the counter row for every requester together


class RateLimited(Exception):
    """Too many evaluations in this hour; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def load_key(path: Path, *, info: bytes) -> tuple[bytes, bytes]:
    """(secret scalar, public element) from a 32-byte seed file, made owner-only if absent."""
    seed = read_or_create(path, 32, setting=str(path))
    return oprf.derive_key_pair(seed, info, MODE)


class EvaluationLimits:
    """Evaluations per requester and in total, per clock hour, in a SQLite file.

    The file survives restarts, so restarting the service never resets an attacker's
    count. WAL with synchronous=NORMAL: a power cut may lose the last few counts, never
    corrupt the file.
    """

    def __init__(self, path: Path, *, per_requester: int, total: int) -> None:
        self.path = path
        self.per_requester = per_requester
        self.total = total
        self._local = threading.local()
        private_file(path)  # the counters, and their journal, readable by the custodian only
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS evaluations ("
            " requester TEXT NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL,"
            " PRIMARY KEY (requester, hour))"
        )

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    def close(self) -> None:
        """Close this thread's connection."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def take(self, requester: str, count: int, *, now: float | None = None) -> None:
        """Count ``count`` evaluations for ``requester``, or raise RateLimited and count none."""
        moment = time.time() if now is None else now
        hour = int(moment // 3600)
        retry_after = max(1, int((hour + 1) * 3600 - moment))
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            used = dict(
                connection.execute(
                    "SELECT requester, count FROM evaluations WHERE hour = ? AND requester IN (?, ?)",
                    (hour, requester, _TOTAL),
                ).fetchall()
            )
            if used.get(requester, 0) + count > self.per_requester:
                raise RateLimited("This account has asked for too many evaluations this hour.", retry_after)
            if used.get(_TOTAL, 0) + count > self.total:
                raise RateLimited("The custodian has reached its evaluations for this hour.", retry_after)
            connection.executemany(
                "INSERT INTO evaluations (requester, hour, count) VALUES (?, ?, ?)"
                " ON CONFLICT (requester, hour) DO UPDATE SET count = count + excluded.count",
                [(requester, hour, count), (_TOTAL, hour, count)],
            )
            connection.execute("DELETE FROM evaluations WHERE hour < ?", (hour - 24,))
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


class Custodian:
    """One key share and its limits."""

    KEY_INFO = b"chorus custodian"

    def __init__(self, *, key_file: Path, state_file: Path, per_requester_per_hour: int, total_per_hour: int) -> None:
        self._secret, self.public_key = load_key(key_file, info=self.KEY_INFO)
        self.limits = EvaluationLimits(state_file, per_requester=per_requester_per_hour, total=total_per_hour)

    def __repr__(self) -> str:  # never print the key
        return f"Custodian(public_key={self.public_key.hex()[:16]}…)"

    def evaluate(self, requester: str, blinded: Sequence[bytes], *, prove: bool = True) -> tuple[list[bytes], bytes]:
        """Multiply each blinded element by the key share; one VOPRF proof for the batch
        (``prove=False`` only for a caller in the same process, which a proof cannot reassure)."""
        if not isinstance(requester, str) or not _REQUESTER.match(requester):
            raise MalformedInput("requester is 8 to 128 letters, digits, '-' or '_'")
        if not 1 <= len(blinded) <= MAX_BATCH:
            raise MalformedInput(f"send 1 to {MAX_BATCH} blinded elements")
        elements = [oprf.check_element(bytes(element)) for element in blinded]
        self.limits.take(requester, len(elements))
        return oprf.blind_evaluate_batch(self._secret, elements, MODE if prove else oprf.OPRF)
