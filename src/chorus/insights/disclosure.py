"""Publishing a table of counts so that nobody can work out a small one.

Pure Python, no Django. A table is published with its row totals, column totals and grand
total. Every count from 1 to ``threshold - 1`` is shown as "<threshold" (primary
suppression). That alone is not enough: a row total minus the shown cells gives the hidden
one back. So more entries are withheld (complementary suppression) until an adversary who
knows everything the page shows — every shown number, that each "<5" lies between 1 and 4,
that each withheld entry is at least 5 (a withheld entry is never a small one and never
zero), and that rows and columns add up — still cannot pin any small entry to one value.

That adversary is not a heuristic: :func:`determined` asks, for each small entry and each
value it could take, whether some table consistent with the page has that value. A table
of counts with its margins is a circulation in a bipartite graph (rows → columns → totals),
so "is there a consistent table" is a feasible-circulation problem, answered exactly by a
maximum flow. Complements are added greedily (the smallest count sharing a row or column
with an exposed entry) and the audit is re-run until nothing is exposed.

Optional Laplace noise (:func:`noisy`) is added to the inner cells before suppression; the
totals are the sums of the noisy cells, so the published table stays consistent. The noise
is drawn deterministically from a key and the true count, so reloading a page gives the
same figures and averaging many looks learns nothing new.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

THRESHOLD = 5
_UNBOUNDED = 10**12


class Mark(Enum):
    SHOWN = "shown"
    SMALL = "small"  # 1 .. threshold-1, shown as "<threshold"
    WITHHELD = "withheld"  # complementary suppression: at least the threshold


@dataclass(frozen=True)
class Table:
    """Counts before publication: ``counts[r][c]`` for each row and column label."""

    key: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.rows) or any(len(row) != len(self.columns) for row in self.counts):
            raise ValueError("counts do not match the labels")
        if any(count < 0 for row in self.counts for count in row):
            raise ValueError("counts cannot be negative")


@dataclass(frozen=True)
class Published:
    """A table as the page shows it: the grid includes the totals (last row and column)."""

    table: Table
    values: tuple[tuple[int, ...], ...]  # the (possibly noisy) figures, totals included
    marks: tuple[tuple[Mark, ...], ...]
    threshold: int
    noisy: bool

    @property
    def withheld_entirely(self) -> bool:
        return all(mark is not Mark.SHOWN for row in self.marks for mark in row)

    def label(self, row: int, column: int) -> str:
        mark = self.marks[row][column]
        if mark is Mark.SMALL:
            return f"<{self.threshold}"
        if mark is Mark.WITHHELD:
            return "withheld"
        return str(self.values[row][column])

    def shown(self, row: int, column: int) -> int | None:
        """The figure if it is shown, else None."""
        return self.values[row][column] if self.marks[row][column] is Mark.SHOWN else None


def with_margins(counts: tuple[tuple[int, ...], ...] | list[list[int]]) -> list[list[int]]:
    grid = [[*row, sum(row)] for row in counts]
    width = len(grid[0]) if grid else 1
    grid.append([sum(row[c] for row in grid) for c in range(width)])
    return grid


def publish(table: Table, *, threshold: int = THRESHOLD, epsilon: float | None = None, key: bytes = b"") -> Published:
    """The table with small entries hidden and enough others withheld to keep them hidden."""
    counts = noisy(table, epsilon=epsilon, key=key) if epsilon else [list(row) for row in table.counts]
    values = with_margins(counts) if counts else [[0]]
    marks = [[Mark.SMALL if 0 < value < threshold else Mark.SHOWN for value in row] for row in values]
    while exposed := determined(values, marks, threshold):
        complement = _complement_for(exposed[0], values, marks)
        if complement is None:  # nothing left to withhold: withhold the whole table
            marks = [[Mark.WITHHELD if mark is Mark.SHOWN else mark for mark in row] for row in marks]
            break
        marks[complement[0]][complement[1]] = Mark.WITHHELD
    return Published(
        table=table,
        values=tuple(tuple(row) for row in values),
        marks=tuple(tuple(row) for row in marks),
        threshold=threshold,
        noisy=bool(epsilon),
    )


def _complement_for(
    position: tuple[int, int], values: list[list[int]], marks: list[list[Mark]]
) -> tuple[int, int] | None:
    """The least informative shown entry sharing a row or column with ``position``.

    Zeros are never withheld: a withheld zero would tell the adversary nothing they could
    not rule out (a withheld entry is known to be at least the threshold), so it protects
    nothing. Inner cells are preferred to totals; if the lines are exhausted, any entry.
    """
    row, column = position
    height, width = len(values), len(values[0])
    last_row, last_column = height - 1, width - 1

    def candidates(cells: list[tuple[int, int]]) -> list[tuple[int, bool, int, int]]:
        return [
            (values[r][c], r == last_row or c == last_column, r, c)
            for r, c in cells
            if marks[r][c] is Mark.SHOWN and values[r][c] > 0
        ]

    in_lines = [(row, c) for c in range(width)] + [(r, column) for r in range(height)]
    found = candidates(in_lines) or candidates([(r, c) for r in range(height) for c in range(width)])
    if not found:
        return None
    _, _, r, c = min(found)
    return r, c


# --- the adversary -----------------------------------------------------------------------


def determined(values: list[list[int]], marks: list[list[Mark]], threshold: int) -> list[tuple[int, int]]:
    """Every small entry that the page pins to a single value (empty when the page is safe)."""
    exposed = []
    for r, row in enumerate(marks):
        for c, mark in enumerate(row):
            if mark is Mark.SMALL and len(possible_values(values, marks, threshold, (r, c))) <= 1:
                exposed.append((r, c))
    return exposed


def possible_values(
    values: list[list[int]], marks: list[list[Mark]], threshold: int, position: tuple[int, int]
) -> list[int]:
    """The values of a small entry that some table consistent with the page allows."""
    return [value for value in range(1, threshold) if _consistent(values, marks, threshold, fixed=(position, value))]


def _bounds(value: int, mark: Mark, threshold: int) -> tuple[int, int]:
    if mark is Mark.SHOWN:
        return value, value
    if mark is Mark.SMALL:
        return 1, threshold - 1
    return threshold, _UNBOUNDED


def _consistent(
    values: list[list[int]],
    marks: list[list[Mark]],
    threshold: int,
    *,
    fixed: tuple[tuple[int, int], int],
) -> bool:
    """Whether some table of non-negative counts agrees with the page and with ``fixed``.

    Nodes: a node per row (the totals row last) and per column (the totals column last).
    An inner cell (r, c) is flow row r → column c; a row total is flow totals-column → row;
    a column total is flow column → totals-row; the grand total is totals-row →
    totals-column. The page is consistent exactly when this circulation, with each entry
    between its bounds, exists.
    """
    height, width = len(values), len(values[0])
    last_row, last_column = height - 1, width - 1
    edges: list[tuple[str, str, int, int]] = []
    for r in range(height):
        for c in range(width):
            low, high = _bounds(values[r][c], marks[r][c], threshold)
            if (r, c) == fixed[0]:
                low = high = fixed[1]
            margin = (r == last_row) != (c == last_column)  # a row or column total
            edges.append((f"c{c}", f"r{r}", low, high) if margin else (f"r{r}", f"c{c}", low, high))
    return _circulation_exists(edges)


def _circulation_exists(edges: list[tuple[str, str, int, int]]) -> bool:
    """Feasible circulation with lower and upper bounds, by reduction to maximum flow."""
    capacity: dict[str, dict[str, int]] = {}
    excess: dict[str, int] = {}

    def add(a: str, b: str, amount: int) -> None:
        capacity.setdefault(a, {}).setdefault(b, 0)
        capacity.setdefault(b, {}).setdefault(a, 0)
        capacity[a][b] += amount

    for a, b, low, high in edges:
        if low > high:
            return False
        add(a, b, high - low)
        excess[b] = excess.get(b, 0) + low
        excess[a] = excess.get(a, 0) - low
    needed = 0
    for node, amount in excess.items():
        if amount > 0:
            add("source", node, amount)
            needed += amount
        elif amount < 0:
            add(node, "sink", -amount)
    return _max_flow(capacity, "source", "sink") == needed


def _max_flow(capacity: dict[str, dict[str, int]], source: str, sink: str) -> int:
    """Edmonds–Karp: shortest augmenting paths. The graphs here have a few dozen nodes."""
    if source not in capacity or sink not in capacity:
        return 0
    total = 0
    while True:
        parent: dict[str, str] = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for nxt, room in capacity[node].items():
                if room > 0 and nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return total
        push = _UNBOUNDED * 1000
        node = sink
        while node != source:
            push = min(push, capacity[parent[node]][node])
            node = parent[node]
        node = sink
        while node != source:
            capacity[parent[node]][node] -= push
            capacity[node][parent[node]] += push
            node = parent[node]
        total += push


# --- noise -------------------------------------------------------------------------------


def noisy(table: Table, *, epsilon: float, key: bytes) -> list[list[int]]:
    """Each inner cell plus Laplace(1/epsilon) noise, rounded and kept non-negative.

    One person adds one to one cell of a table, so the sensitivity is 1. The uniform draw
    comes from an HMAC of the table, the cell and its true count: the same data always
    gives the same noise (no averaging over reloads), different data fresh noise.
    """
    if epsilon <= 0:
        raise ValueError("epsilon must be positive")
    scale = 1.0 / epsilon
    result = []
    for r, row in enumerate(table.counts):
        noisy_row = []
        for c, count in enumerate(row):
            digest = hmac.new(key, f"{table.key}|{r}|{c}|{count}".encode(), hashlib.sha256).digest()
            uniform = (int.from_bytes(digest[:7], "big") >> 3) / 2**53  # [0, 1)
            centred = uniform - 0.5 if uniform != 0 else 1e-12 - 0.5
            noise = -scale * math.copysign(1.0, centred) * math.log(1 - 2 * abs(centred))
            noisy_row.append(max(0, round(count + noise)))
        result.append(noisy_row)
    return result
