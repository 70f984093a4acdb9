"""The custodian as a witness of the ledger's transparency logs.

The custodian is run by a body independent of the organization's operator (see the
README). Besides its escrow key share it keeps, per log (``origin``), the last tree head
it countersigned, and countersigns a new head only if

* the log's signature over it verifies under the log key it first saw for that origin
  (or the one it was configured with), so a stolen database cannot swap keys;
* it is at least as large as the last one and a consistency proof shows that the last
  one is a prefix of it (RFC 9162 §2.1.4), or it is the same head;
* its time does not go backwards.

So whoever holds the platform's database and its ledger signing key together still
cannot get a rewritten, truncated or forked history countersigned: the witness refuses,
and members' browsers and ``chorus ledger verify`` accept only countersigned heads.

State is one SQLite file (owner-only), updated under ``BEGIN IMMEDIATE``, so two requests
for one log are decided one after the other.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chorus.config.keyfiles import private_file, read_or_create
from chorus.crypto import merkle, signing
from chorus.crypto.errors import BadSignature, MalformedInput
from chorus.crypto.tree_head import TreeHead

MAX_PROOF = 64  # a consistency proof between trees of at most 2**53 leaves has fewer hashes


class WitnessRefused(Exception):
    """The head does not extend what this witness countersigned; ``size`` is the witness's
    last size for the log (a caller may retry with a proof from there)."""

    def __init__(self, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


@dataclass(frozen=True)
class Cosignature:
    witness_key: bytes
    timestamp: int
    signature: bytes


class Witness:
    def __init__(self, *, key_file: Path, state_file: Path, log_keys: dict[str, bytes] | None = None) -> None:
        self._seed = read_or_create(key_file, 32, setting=str(key_file))
        self.public_key = signing.public_key_for(self._seed)
        self.path = state_file
        self._pinned = dict(log_keys or {})
        self._local = threading.local()
        private_file(state_file)
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS heads ("
            " origin TEXT PRIMARY KEY, log_key BLOB NOT NULL, size INTEGER NOT NULL,"
            " root BLOB NOT NULL, timestamp INTEGER NOT NULL)"
        )

    def __repr__(self) -> str:  # never print the key
        return f"Witness(public_key={self.public_key.hex()[:16]}…)"

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    def last(self, origin: str) -> tuple[int, bytes] | None:
        """(size, root) of the last head countersigned for ``origin``."""
        row = self._connection().execute("SELECT size, root FROM heads WHERE origin = ?", (origin,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def heads(self) -> dict[str, tuple[int, bytes, bytes]]:
        """Every log this witness countersigned: origin → (size, root, log key) of its last head."""
        rows = self._connection().execute("SELECT origin, size, root, log_key FROM heads ORDER BY origin").fetchall()
        return {str(origin): (int(size), bytes(root), bytes(key)) for origin, size, root, key in rows}

    def cosign(
        self,
        head: TreeHead,
        *,
        log_key: bytes,
        signature: bytes,
        old_size: int,
        proof: Sequence[bytes],
        now: int | None = None,
    ) -> Cosignature:
        if len(proof) > MAX_PROOF:
            raise MalformedInput("a consistency proof has at most 64 hashes")
        pinned = self._pinned.get(head.origin)
        if pinned is not None and log_key != pinned:
            raise WitnessRefused("the head is signed by a key that is not this log's")
        try:
            signing.verify(log_key, head.message(), signature)
        except BadSignature:
            raise WitnessRefused("the log's signature over the head does not verify") from None
        moment = int(time.time()) if now is None else now
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT log_key, size, root, timestamp FROM heads WHERE origin = ?", (head.origin,)
            ).fetchone()
            if row is not None:
                known_key, size, root, stamp = bytes(row[0]), int(row[1]), bytes(row[2]), int(row[3])
                if log_key != known_key:
                    raise WitnessRefused("the head is signed by a different key than this log's earlier heads", size)
                if head.size < size:
                    raise WitnessRefused(
                        f"the log had {size} entries when last countersigned; a head of {head.size} would remove some",
                        size,
                    )
                if old_size != size:
                    raise WitnessRefused(f"send a consistency proof from size {size}", size)
                try:
                    merkle.verify_consistency(size, head.size, root, head.root_hash, proof)
                except merkle.MerkleProofError as error:
                    raise WitnessRefused(
                        f"the head does not extend the last countersigned one: {error}", size
                    ) from None
                if head.timestamp < stamp:
                    raise WitnessRefused("the head's time is earlier than the last countersigned head's", size)
            connection.execute(
                "INSERT INTO heads (origin, log_key, size, root, timestamp) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,"
                " timestamp = excluded.timestamp",
                (head.origin, log_key, head.size, head.root_hash, head.timestamp),
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        stamp = max(moment, 0)
        return Cosignature(
            witness_key=self.public_key,
            timestamp=stamp,
            signature=signing.sign(self._seed, head.cosignature_message(stamp)),
        )
