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
# A crash forgets at most UNSAVED_AT_MOST - 1 evaluations (EvaluationLimits); a batch of
# MAX_BATCH evaluations is written at once.
UNSAVED_AT_MOST = MAX_BATCH
SAVE_EVERY_SECONDS = 1.0


class RateLimited(Exception):
    """Too many evaluations in this hour; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: int, *, total: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.total = total  # every requester's evaluations together, not this one's


def load_key(path: Path, *, info: bytes) -> tuple[bytes, bytes]:
    """(secret scalar, public element) from a 32-byte seed file, made owner-only if absent."""
    seed = read_or_create(path, 32, setting=str(path))
    return oprf.derive_key_pair(seed, info, MODE)


class EvaluationLimits:
    """Evaluations per requester and in total, per clock hour, counted in memory and
    written to a SQLite file in batches.

    Writing every count as it happens cost one SQLite transaction per evaluation. Instead
    the counts not yet written are kept here, at most ``UNSAVED_AT_MOST - 1`` of them
    (written as soon as that many are owed, and at the first evaluation after
    ``SAVE_EVERY_SECONDS``): a crash of the custodian forgets at most that many
    evaluations in total, so restarting it never resets an attacker's count by more;
    a clean stop (``close``, SIGTERM, Ctrl-C) forgets none. Each decision reads the
    file's counts too, so custodians in several processes sharing one file see each
    other's written counts (and may together run over a limit by at most what each has
    not written yet). WAL with synchronous=NORMAL: a power cut may also lose the last
    written batch, never corrupt the file.
    """

    def __init__(self, path: Path, *, per_requester: int, total: int) -> None:
        self.path = path
        self.per_requester = per_requester
        self.total = total
        self._lock = threading.Lock()
        self._unsaved: dict[str, int] = {}  # requester (and _TOTAL) → evaluations not yet written
        self._unsaved_hour = 0
        self._saved_at = time.monotonic()
        self.writes = 0  # batches written since this process started (bench/escrow.py reports it)
        private_file(path)  # the counters, and their journal, readable by the custodian only
        self._db: sqlite3.Connection | None = None
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS evaluations ("
            " requester TEXT NOT NULL, hour INTEGER NOT NULL, count INTEGER NOT NULL,"
            " PRIMARY KEY (requester, hour))"
        )

    def _connection(self) -> sqlite3.Connection:
        # One connection, used under self._lock by whichever thread holds it.
        if self._db is None:
            self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        return self._db

    @property
    def unsaved(self) -> int:
        """Evaluations counted but not yet written: what a crash now would forget."""
        return self._unsaved.get(_TOTAL, 0)

    def save(self) -> None:
        """Write every count still owed."""
        with self._lock:
            self._save()

    def close(self) -> None:
        """Write what is owed and close the file."""
        with self._lock:
            self._save()
            if self._db is not None:
                self._db.close()
                self._db = None

    def _save(self) -> None:
        self._saved_at = time.monotonic()
        if not self._unsaved:
            return
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT INTO evaluations (requester, hour, count) VALUES (?, ?, ?)"
                " ON CONFLICT (requester, hour) DO UPDATE SET count = count + excluded.count",
                [(requester, self._unsaved_hour, count) for requester, count in self._unsaved.items()],
            )
            connection.execute("DELETE FROM evaluations WHERE hour < ?", (self._unsaved_hour - 24,))
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        self._unsaved = {}
        self.writes += 1

    def take(self, requester: str, count: int, *, now: float | None = None) -> None:
        """Count ``count`` evaluations for ``requester``, or raise RateLimited and count none."""
        moment = time.time() if now is None else now
        hour = int(moment // 3600)
        retry_after = max(1, int((hour + 1) * 3600 - moment))
        with self._lock:
            if hour != self._unsaved_hour:
                self._save()  # what is owed belongs to the hour it was counted in
                self._unsaved_hour = hour
            written = dict(
                self._connection()
                .execute(
                    "SELECT requester, count FROM evaluations WHERE hour = ? AND requester IN (?, ?)",
                    (hour, requester, _TOTAL),
                )
                .fetchall()
            )
            used = written.get(requester, 0) + self._unsaved.get(requester, 0)
            if used + count > self.per_requester:
                raise RateLimited("This account has asked for too many evaluations this hour.", retry_after)
            if written.get(_TOTAL, 0) + self.unsaved + count > self.total:
                raise RateLimited("The custodian has reached its evaluations for this hour.", retry_after, total=True)
            self._unsaved[requester] = self._unsaved.get(requester, 0) + count
            self._unsaved[_TOTAL] = self.unsaved + count
            if self.unsaved >= UNSAVED_AT_MOST or time.monotonic() - self._saved_at >= SAVE_EVERY_SECONDS:
                self._save()


class Custodian:
    """One key share and its limits."""

    KEY_INFO = b"chorus custodian"

    def __init__(self, *, key_file: Path, state_file: Path, per_requester_per_hour: int, total_per_hour: int) -> None:
        self._secret, self.public_key = load_key(key_file, info=self.KEY_INFO)
        self.limits = EvaluationLimits(state_file, per_requester=per_requester_per_hour, total=total_per_hour)

    def close(self) -> None:
        """Write the evaluation counts still held in memory (see EvaluationLimits)."""
        self.limits.close()

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
