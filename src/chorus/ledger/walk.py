"""Walking a chain from its start at hashing speed: the first pass of ``ledger_verify``.

The events and the stored Merkle tree are read as two streams in large batches (raw rows,
no model objects) and checked in blocks: each block is an aligned, perfect subtree of the
chain's tree (up to ``BLOCK`` leaves) whose sequence numbers, links, event hashes, leaf
and node hashes are compared list against list, so the per-event work is building the
event's canonical bytes and hashing; everything else runs in C loops (``map``, list
comparison). A block where anything differs is walked again event by event, in order, to
name the first event that does not fit exactly as an event-by-event walk would.

Stored nodes are compared with the nodes the events give, exactly: a tree node sits at
``merkle.position(level, index)``, and an aligned block of 2**h leaves starting at leaf
``o`` owns the positions ``[2o, 2o + 2**(h+1) - 1)`` — its own subtree, level by level at
fixed strides — while the one position after it belongs to a larger node, checked once
the events complete it (or found to be one the events never complete). Every integer
falls in exactly one block's range, so a node added anywhere is noticed too.

The canonical bytes are built as ``services.event_hash`` builds them (JSON, sorted keys, no
spaces, UTF-8) but by formatting, not by a dict and ``json.dumps`` per event; a test checks
both give the same bytes for awkward values.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import json.scanner
import operator
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from chorus.crypto import merkle
from chorus.ledger.models import LedgerEvent, LedgerNode

GENESIS_HASH = "0" * 64
BLOCK_LEVEL = 14
BLOCK = 1 << BLOCK_LEVEL  # leaves per block at most; a batch of rows is fetched per block
REFS_REMEMBERED = 1 << 16

# What ``json.dumps(value, ensure_ascii=False)`` writes for a string, and for anything in
# sorted, compact form: the same functions ``json`` itself calls.
json_string: Callable[[str], str] = json.encoder.encode_basestring
_compact = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_hexdigest = operator.methodcaller("hexdigest")
_digest = operator.methodcaller("digest")


def canonical_json(value: object) -> str:
    return "{}" if value == {} and isinstance(value, dict) else _compact(value)


def event_body(
    *, chain: str, seq: int, at: str, actor: str, action: str, refs_json: str, payload_hash: str, prev_hash: str
) -> bytes:
    """The bytes an event's hash covers (``services.event_hash``), with ``refs`` already
    in canonical JSON and ``at`` as ``services._timestamp`` writes the time."""
    return (
        f'{{"action":{json_string(action)},"actor":{json_string(actor)},"at":{json_string(at)},"chain":{json_string(chain)},'
        f'"payload":{json_string(payload_hash)},"prev":{json_string(prev_hash)},"refs":{refs_json},"seq":{seq},"v":1}}'
    ).encode()


def _at_sqlite(stored: datetime | str) -> str:
    # Django keeps aware times in SQLite as naive UTC (and reads them back as naive datetimes).
    moment = stored if isinstance(stored, datetime) else datetime.fromisoformat(stored)
    return moment.replace(tzinfo=UTC).isoformat(timespec="microseconds")


# The C halves of ``json.loads`` and of ``_compact`` (sorted keys, no spaces, UTF-8 as is),
# called directly: for a small object, the Python around them costs more than they do.
_scan: Callable[[str, int], tuple[object, int]] = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_encode: Callable[[object, int], list[str]] = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, json_string, None, ":", ",", True, False, True
)


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')  # what ``json_string`` changes


def _escaped(column: tuple[str, ...]) -> tuple[str, ...] | list[str]:
    """A column of strings as they go between the quotes of canonical JSON."""
    if not _NEEDS_ESCAPE.search("".join(column)):
        return column
    return [json_string(value)[1:-1] for value in column]


def _refs_from_text(text: str | None) -> str:
    """An event's stored references, as the canonical JSON its hash covers."""
    if text is None:
        return "null"
    if text == "{}":
        return "{}"
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):
        value = json.loads(text)  # leading or trailing spaces: the slow way, which raises on bad JSON
    return "".join(_encode(value, 0))


@dataclass
class Walk:
    """What walking a chain from its start found."""

    count: int = 0
    head_hash: str = GENESIS_HASH
    hashes: dict[int, str] = field(default_factory=dict)  # only at the sequence numbers asked for
    roots: dict[int, bytes] = field(default_factory=dict)  # only at the sizes asked for
    frontier: list[bytes] = field(default_factory=list)  # the tree's right edge, largest first
    nodes: int = 0  # the perfect subtrees the events complete
    stored_nodes: int = 0  # the rows of the stored tree
    nodes_match: bool = True  # every stored node is one the events give, and every one is stored
    problem: str | None = None
    bad_seq: int | None = None


class _Rows:
    """A sorted stream of rows from a cursor, read in batches of ``size``."""

    def __init__(self, cursor: Any, size: int, reader: ThreadPoolExecutor | None) -> None:
        self._cursor, self._size, self._reader = cursor, size, reader
        self._rows: list[tuple[Any, ...]] = []
        self._done = False
        self._next = reader.submit(cursor.fetchmany, size) if reader else None

    def _more(self) -> bool:
        if self._done:
            return False
        if self._next is None or self._reader is None:
            batch = self._cursor.fetchmany(self._size)
        else:
            # The next batch is read while this one is checked.
            batch, self._next = self._next.result(), None
            if len(batch) == self._size:
                self._next = self._reader.submit(self._cursor.fetchmany, self._size)
        if len(batch) < self._size:
            self._done = True
        self._rows.extend(batch)
        return bool(batch)

    def ready(self, count: int) -> int:
        """How many rows are at hand, having read until ``count`` are or none are left."""
        while len(self._rows) < count and self._more():
            pass
        return min(count, len(self._rows))

    def take(self, count: int) -> list[tuple[Any, ...]]:
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    def take_below(self, bound: int) -> list[tuple[Any, ...]]:
        """The rows whose first column is below ``bound``."""
        while (not self._rows or self._rows[-1][0] < bound) and self._more():
            pass
        cut = bisect.bisect_left(self._rows, bound, key=operator.itemgetter(0))
        taken, self._rows = self._rows[:cut], self._rows[cut:]
        return taken

    def rest(self) -> Iterator[tuple[Any, ...]]:
        while self._rows or self._more():
            yield from self.take(len(self._rows))


@contextmanager
def _stream(sql: str, params: list[Any], size: int, reader: ThreadPoolExecutor | None) -> Iterator[_Rows]:
    # A server-side cursor on PostgreSQL, so a chain of any length is never held whole.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        yield _Rows(cursor, size, reader)


# The tables' own names, never input.
_EVENTS_SQL = (
    "SELECT seq, {at}, actor, action, {refs}, payload_hash, prev_hash, hash "  # noqa: S608
    f"FROM {LedgerEvent._meta.db_table} WHERE chain = %s ORDER BY seq, id"
)
_NODES_SQL = f"SELECT position, hash FROM {LedgerNode._meta.db_table} WHERE chain = %s ORDER BY position"  # noqa: S608


def walk_chain(chain: str, wanted: set[int], sizes: set[int]) -> Walk:
    """Check every event of ``chain`` in order and the stored tree against them; keep the
    event hashes at ``wanted`` and the tree roots at ``sizes``."""
    postgresql = connection.vendor == "postgresql"
    events_sql = _EVENTS_SQL.format(
        # The time as ``services._timestamp`` writes it, so it is read as text, not parsed.
        at="to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
        if postgresql
        else "created_at",
        refs="refs::text" if postgresql else "refs",
    )
    walker = _Walker(chain, wanted, sizes, str if postgresql else _at_sqlite)
    # On PostgreSQL the next batches are fetched (by the server, mostly) while Python hashes
    # the last ones; SQLite reads in this process anyway.
    with (
        ThreadPoolExecutor(max_workers=2) if postgresql else nullcontext() as reader,
        _stream(events_sql, [chain], BLOCK, reader) as events,
        _stream(_NODES_SQL, [chain], 2 * BLOCK, reader) as nodes,
    ):
        return walker.run(events, nodes)


class _Walker:
    def __init__(self, chain: str, wanted: set[int], sizes: set[int], at: Callable[[Any], str]) -> None:
        self.chain, self.wanted, self.at = chain, wanted, at
        self.boundaries = sorted(size for size in sizes if size > 0)
        self.walk = Walk(roots={0: merkle.EMPTY_ROOT} if 0 in sizes else {})
        self.stack: list[tuple[int, bytes]] = []  # (level, hash): the right edge, largest first
        self.computed_high: dict[int, bytes] = {}  # nodes above a block, by position
        self.stored_high: dict[int, bytes] = {}
        self.refs_seen: dict[str | None, str] = {}

    def run(self, events: _Rows, nodes: _Rows) -> Walk:
        walk = self.walk
        while True:
            start = walk.count
            height = self._height(start, events.ready(BLOCK))
            if height < 0:
                break
            rows = events.take(1 << height)
            if not self._events(start, rows):
                return walk
            self._nodes(start, height, rows, nodes.take_below(2 * (start + len(rows))))
        for row in nodes.rest():
            walk.stored_nodes += 1
            self.stored_high[row[0]] = bytes(row[1])
        walk.nodes_match = walk.nodes_match and self.stored_high == self.computed_high
        walk.frontier = [value for _, value in self.stack]
        return walk

    def _height(self, start: int, ready: int) -> int:
        """The largest aligned block that starts at ``start``, fits in the rows at hand and
        ends at or before the next size a root is wanted at; -1 when no rows are left."""
        if ready == 0:
            return -1
        limit = ready
        at = bisect.bisect_right(self.boundaries, start)
        if at < len(self.boundaries):
            limit = min(limit, self.boundaries[at] - start)
        height = min(BLOCK_LEVEL, limit.bit_length() - 1)
        while start % (1 << height):
            height -= 1
        return height

    def _events(self, start: int, rows: list[tuple[Any, ...]]) -> bool:
        """Check one block's events; False (with the problem named) when one does not fit."""
        walk = self.walk
        seqs, _, _, _, _, _, prevs, hashes = zip(*rows, strict=True)
        if (
            seqs != tuple(range(start + 1, start + len(rows) + 1))
            or prevs[0] != walk.head_hash
            or prevs[1:] != hashes[:-1]
            or list(map(_hexdigest, map(hashlib.sha256, self._bodies(rows)))) != list(hashes)
        ):
            self._first_problem(start, rows)
            if walk.problem:
                return False
        for seq in self.wanted:
            if start < seq <= start + len(rows):
                walk.hashes[seq] = hashes[seq - start - 1]
        walk.count, walk.head_hash = start + len(rows), hashes[-1]
        return True

    def _bodies(self, rows: list[tuple[Any, ...]]) -> list[bytes]:
        """The blocks' events' canonical bytes, if every link holds (``event_body``, faster).

        The previous hashes are put in as they are: if every event's hash then matches,
        each previous hash is the hex digest before it (the links were compared), so
        escaping would not have changed it; if one does not match, ``_first_problem`` walks
        the block again with ``event_body``. Times are written by the query (digits and
        punctuation). Actors, actions and payload hashes are escaped, but a whole column
        only when one of them needs it."""
        _, stored_ats, stored_actors, stored_actions, refs, stored_payloads, _, _ = zip(*rows, strict=True)
        ats = stored_ats if self.at is str else tuple(map(self.at, stored_ats))
        actors, actions, payloads = map(_escaped, (stored_actors, stored_actions, stored_payloads))
        chain = json_string(self.chain)
        return [
            f'{{"action":"{action}","actor":"{actor}","at":"{at}","chain":{chain},"payload":"{payload}",'
            f'"prev":"{row[6]}","refs":{refs_json},"seq":{row[0]},"v":1}}'.encode()
            for row, at, actor, action, refs_json, payload in zip(
                rows, ats, actors, actions, map(self._refs, refs), payloads, strict=True
            )
        ]

    def _refs(self, text: str | None) -> str:
        """``_refs_from_text``, remembered: many events name the same record or case."""
        known = self.refs_seen.get(text)
        if known is None:
            known = _refs_from_text(text)
            if len(self.refs_seen) < REFS_REMEMBERED:
                self.refs_seen[text] = known
        return known

    def _first_problem(self, start: int, rows: list[tuple[Any, ...]]) -> None:
        walk, previous, chain, at = self.walk, self.walk.head_hash, self.chain, self.at
        for offset, row in enumerate(rows):
            seq, created_at, actor, action, refs, payload_hash, prev_hash, stored_hash = row
            expected = start + offset + 1
            body = event_body(
                chain=chain,
                seq=seq,
                at=at(created_at),
                actor=actor,
                action=action,
                refs_json=_refs_from_text(refs),
                payload_hash=payload_hash,
                prev_hash=prev_hash,
            )
            if seq != expected:
                walk.problem = (
                    f"expected event {expected} but found {seq} (an event was removed, inserted or renumbered)"
                )
            elif prev_hash != previous:
                walk.problem = f"event {seq} does not point at the event before it"
            elif hashlib.sha256(body).hexdigest() != stored_hash:
                walk.problem = f"event {seq} was modified (its hash does not match its content)"
            if walk.problem:
                walk.bad_seq = min(seq, expected)
                walk.count, walk.head_hash = expected - 1, previous
                return
            previous = stored_hash

    def _nodes(self, start: int, height: int, rows: list[tuple[Any, ...]], stored: list[tuple[Any, ...]]) -> None:
        """Build the block's subtree, compare it with the stored rows of its range, and
        add its root to the right edge (completing larger nodes on the way)."""
        walk = self.walk
        level = list(map(_digest, map(hashlib.sha256, map(b"\x00".__add__, map(bytes.fromhex, (r[7] for r in rows))))))
        levels = [level]
        while len(level) > 1:
            pairs = map(operator.add, level[0::2], level[1::2])
            level = list(map(_digest, map(hashlib.sha256, map(b"\x01".__add__, pairs))))
            levels.append(level)
        walk.nodes += (2 << height) - 1
        walk.stored_nodes += len(stored)
        end = 2 * (start + (1 << height))
        if stored and stored[-1][0] == end - 1:
            self.stored_high[end - 1] = bytes(stored.pop()[1])
        positions = [row[0] for row in stored]
        if positions != list(range(2 * start, end - 1)):
            walk.nodes_match = False
        else:
            values = [bytes(row[1]) for row in stored]
            for number, expected in enumerate(levels):
                if values[(1 << number) - 1 :: 2 << number] != expected:
                    walk.nodes_match = False
        self._push(height, levels[-1], start + (1 << height))
        if walk.count in self.boundaries:
            walk.roots[walk.count] = merkle.Frontier.from_hashes(walk.count, [v for _, v in self.stack]).root()

    def _push(self, height: int, root: list[bytes], size: int) -> None:
        self.stack.append((height, root[0]))
        while len(self.stack) > 1 and self.stack[-1][0] == self.stack[-2][0]:
            (level, right), (_, left) = self.stack.pop(), self.stack.pop()
            value = merkle.node_hash(left, right)
            self.walk.nodes += 1
            self.computed_high[merkle.position(level + 1, (size >> (level + 1)) - 1)] = value
            self.stack.append((level + 1, value))
