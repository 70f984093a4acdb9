"""The custodian as a witness of the ledger's transparency logs.

The custodian is run by a body independent of the organization's operator (see
docs/deploy.md). Besides its escrow key share it keeps, per log (``origin``), the last tree head
it countersigned, and countersigns a new head only if

* the log's signature over it verifies under the log key it first saw for that origin
  (or the one it was configured with), so a stolen database cannot swap keys;
* it is at least as large as the last one and a consistency proof shows that the last
  one is a prefix of it (RFC 9162 §2.1.4), or it is the same head;
* its time does not go backwards, nor lie more than ten minutes ahead of the witness's clock;
* one log key signs for one host: a key seen under ``host/…`` is refused under any other
  host, and a host seen with one key is refused with another. Otherwise whoever holds the
  ledger key could start a rewritten history under a new name (``host./org:1``), which a
  witness that never saw it would countersign without any proof. ``--log-key HOST/=KEY``
  pins hosts (or whole origins) from the start; once any pin is set, unpinned origins are refused.

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
from typing import Any

from chorus.config.keyfiles import private_file, read_or_create
from chorus.crypto import merkle, signing
from chorus.crypto.errors import BadSignature, MalformedInput
from chorus.crypto.tree_head import TreeHead

MAX_PROOF = 64  # a consistency proof between trees of at most 2**53 leaves has fewer hashes
MAX_SKEW = 600  # seconds a head's time may be ahead of the witness's clock


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
        """``log_keys``: origin prefixes (``host/`` or a whole origin) and the only key that
        may sign heads under them."""
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

    @staticmethod
    def _refuse_new_name(connection: sqlite3.Connection, host: str, log_key: bytes) -> None:
        """A log seen for the first time: its key must not sign for another host already,
        and its host must not be signed by another key."""
        for origin, key in connection.execute("SELECT origin, log_key FROM heads").fetchall():
            same_host = str(origin).startswith(host)
            if same_host and bytes(key) != log_key:
                raise WitnessRefused("another key signs this host's logs")
            if not same_host and bytes(key) == log_key:
                raise WitnessRefused("this key signs another host's logs; a new name is not a new history")

    def heads(self) -> dict[str, tuple[int, bytes, bytes]]:
        """Every log this witness countersigned: origin → (size, root, log key) of its last head."""
        rows = self._connection().execute("SELECT origin, size, root, log_key FROM heads ORDER BY origin").fetchall()
        return {str(origin): (int(size), bytes(root), bytes(key)) for origin, size, root, key in rows}

    @staticmethod
    def _refuse_unless_extends(
        head: TreeHead, row: tuple[Any, ...], *, log_key: bytes, old_size: int, proof: Sequence[bytes]
    ) -> None:
        """The head must extend the last one countersigned for its log (``row``)."""
        known_key, size, root, stamp = bytes(row[0]), int(row[1]), bytes(row[2]), int(row[3])
        if log_key != known_key:
            raise WitnessRefused("the head is signed by a different key than this log's earlier heads", size)
        if head.size < size:
            raise WitnessRefused(
                f"the log had {size} entries when last countersigned; a head of {head.size} would remove some", size
            )
        if old_size != size:
            raise WitnessRefused(f"send a consistency proof from size {size}", size)
        try:
            merkle.verify_consistency(size, head.size, root, head.root_hash, proof)
        except merkle.MerkleProofError as error:
            raise WitnessRefused(f"the head does not extend the last countersigned one: {error}", size) from None
        if head.timestamp < stamp:
            raise WitnessRefused("the head's time is earlier than the last countersigned head's", size)

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
        if self._pinned:
            pinned = [key for prefix, key in self._pinned.items() if head.origin.startswith(prefix)]
            if not pinned:
                raise WitnessRefused("this witness countersigns only the logs it was configured for")
            if log_key not in pinned:
                raise WitnessRefused("the head is signed by a key that is not this log's")
        try:
            signing.verify(log_key, head.message(), signature)
        except BadSignature:
            raise WitnessRefused("the log's signature over the head does not verify") from None
        moment = int(time.time()) if now is None else now
        if head.timestamp > moment + MAX_SKEW:
            raise WitnessRefused("the head's time is ahead of the witness's clock")
        host = head.origin.split("/", 1)[0] + "/"
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT log_key, size, root, timestamp FROM heads WHERE origin = ?", (head.origin,)
            ).fetchone()
            if row is None:
                self._refuse_new_name(connection, host, log_key)
            else:
                self._refuse_unless_extends(head, row, log_key=log_key, old_size=old_size, proof=proof)
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
