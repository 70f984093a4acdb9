"""Publishing a table of counts so that nobody can work out a small one.

Pure Python, no Django. A table is published with its row totals, column totals and grand
total. Every count from 1 to ``threshold - 1`` — an inner cell or a total — is shown as
"<threshold" (primary suppression). That alone is not enough: a row total minus the shown
cells gives the hidden one back. So more entries are withheld (complementary suppression)
until an adversary who knows everything the page shows — every shown number, that each
"<5" lies between 1 and 4, that each "withheld" entry is at least 5, and that rows and
columns add up — still cannot pin any small entry to one value.

Every label means what the page says it means: "<5" is always 1 to 4, "withheld" is
always at least 5 (only an entry of at least the threshold is ever withheld, never a zero
or a small count), and a shown figure is the figure.

That adversary is not a heuristic: :func:`determined` asks, for each small entry and each
value it could take, whether some table consistent with the page has that value. A table
of counts with its margins is a circulation in a bipartite graph (rows → columns → totals),
so "is there a consistent table" is a feasible-circulation problem, answered exactly by a
maximum flow. Complements are added greedily (an inner cell before a total, the smallest
first, sharing a row or column with an exposed entry; never the grand total) and the audit
is re-run until nothing is exposed.

Some tables cannot be protected by withholding: four "<5" cells in a column whose total
is "<5" are each 1, whatever else is hidden. Such a table is published coarser instead:
the line (row or column) with the smallest total is merged with a neighbouring one, and
again, until the merged table can be protected — at the end only the grand total is left,
which is always safe (it is either shown, or "<T", which leaves T - 1 ≥ 2 values). The
page says which categories were merged and why.

:func:`publish` ends with the audit: it raises :class:`DisclosureError` rather than return
a table in which :func:`determined` finds anything, or a label that is not true.

Tables on one page are tied by equations (a pathway's cases in three tables; formal
findings and decisions): ``shared_rows``, ``known`` and ``linked`` give the audit those
equations, so what it checks is what a reader of the whole page knows.

Optional Laplace noise (:func:`noisy`) is added to the inner cells before suppression; the
totals are the sums of the noisy cells, so the published table stays consistent. The noise
is drawn deterministically from a key and the true count, so reloading a page gives the
same figures and averaging many looks learns nothing new. With noise, the labels describe
the noisy figures, as the page says.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

THRESHOLD = 5
# The smallest threshold for which "<T" leaves an entry at least two values (1 .. T-1).
MIN_THRESHOLD = 3
_UNBOUNDED = 10**12

Groups = tuple[tuple[int, ...], ...]


class Mark(Enum):
    SHOWN = "shown"
    SMALL = "small"  # 1 .. threshold-1, shown as "<threshold"
    WITHHELD = "withheld"  # complementary suppression: at least the threshold


class DisclosureError(RuntimeError):
    """The table about to be published would let a small count be worked out, or would
    carry a label that is not true. Raised instead of returning it."""


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
        if not self.rows or not self.columns:
            raise ValueError("a table needs at least one row and one column")
        if any(count < 0 for row in self.counts for count in row):
            raise ValueError("counts cannot be negative")


@dataclass(frozen=True)
class Published:
    """A table as the page shows it: the grid includes the totals (last row and column).

    ``row_groups`` and ``column_groups`` say which of the table's rows and columns each
    published row and column stands for: one each, unless the table had to be merged into
    coarser categories to be protected.
    """

    table: Table
    values: tuple[tuple[int, ...], ...]  # the (possibly noisy) figures, totals included
    marks: tuple[tuple[Mark, ...], ...]
    threshold: int
    noisy: bool
    row_groups: Groups
    column_groups: Groups

    @property
    def rows_merged(self) -> bool:
        return len(self.row_groups) < len(self.table.rows)

    @property
    def columns_merged(self) -> bool:
        return len(self.column_groups) < len(self.table.columns)

    @property
    def merged(self) -> bool:
        return self.rows_merged or self.columns_merged

    @property
    def rows_collapsed(self) -> bool:
        """Every row merged into one: only the totals row says anything."""
        return self.rows_merged and len(self.row_groups) == 1

    @property
    def columns_collapsed(self) -> bool:
        return self.columns_merged and len(self.column_groups) == 1

    @property
    def total_only(self) -> bool:
        """Only the grand total could be published."""
        return self.merged and len(self.row_groups) == 1 and len(self.column_groups) == 1

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


@dataclass(frozen=True)
class Known:
    """The sum of some columns' totals, as a reader knows it from another table: between
    ``low`` and ``high`` (equal when that table shows it exactly)."""

    columns: frozenset[int]
    low: int
    high: int
    # The other table shows the sum's counterpart as "<T": the page must leave the sum two
    # values as well, or it would pin that entry of the other table.
    small: bool = False


@dataclass(frozen=True)
class Linked:
    """A table published before this one, on the same page, whose ``columns`` add up to this
    table's grand total less ``offset`` (taken as known to the reader): the formal findings
    of the outcomes table and the formal cases decided. Both tables are audited as one."""

    values: tuple[tuple[int, ...], ...]
    marks: tuple[tuple[Mark, ...], ...]
    columns: frozenset[int]
    offset: int


def with_margins(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    grid = [[*row, sum(row)] for row in counts]
    width = len(grid[0]) if grid else 1
    grid.append([sum(row[c] for row in grid) for c in range(width)])
    return grid


def publish(
    table: Table,
    *,
    threshold: int = THRESHOLD,
    epsilon: float | None = None,
    key: bytes = b"",
    shared_rows: Groups | None = None,
    known: Known | None = None,
    linked: Linked | None = None,
) -> Published:
    """The table with small entries hidden and enough others withheld to keep them hidden,
    merged into coarser categories when no withholding can; audited before it is returned.

    ``shared_rows``: the table's rows are the same as other published tables' (the same
    cases by pathway), grouped as :func:`shared_row_groups` says for all of them. Its rows
    start grouped so, and their totals are never withheld: every such table then shows each
    row total as the same exact figure, so reading the tables together tells an adversary
    nothing that each table alone does not.

    ``known``: some of the table's columns add up to a figure another table shows (formal
    findings, and the decisions table's total). The adversary is given that equation too,
    and columns are only combined with columns on the same side of it (the grand total
    alone, the last resort, says nothing the other table does not).

    ``linked``: the table's grand total is another published table's columns plus a known
    number (the decisions table and the outcomes table's findings). Every check reads both
    pages at once, and this table is withheld from or coarsened until neither table's small
    entries can be pinned; the grand total alone is always safe, because the other table
    was published knowing it (``Known.small``).
    """
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"the threshold must be at least {MIN_THRESHOLD}: '<2' would say the count is 1")
    counts = noisy(table, epsilon=epsilon, key=key) if epsilon else [list(row) for row in table.counts]
    if shared_rows is not None and shared_row_groups([sum(row) for row in counts], threshold) != shared_rows:
        raise ValueError(f"table {table.key!r}: its rows cannot be shared as {shared_rows}")
    keep_row_totals = shared_rows is not None
    if known and (not known.columns or max(known.columns) - min(known.columns) + 1 != len(known.columns)):
        raise ValueError(f"table {table.key!r}: a known sum must be of neighbouring columns")
    if known and linked:
        raise ValueError(f"table {table.key!r}: a table is tied to one other table at most")
    if linked and not linked.columns:
        raise ValueError(f"table {table.key!r}: the linked table has no columns to tie to")
    blocks = (known.columns, frozenset(range(len(table.columns))) - known.columns) if known else None
    for row_groups, column_groups in coarsenings(counts, rows=shared_rows, column_blocks=blocks):
        values = with_margins(merge(counts, row_groups, column_groups))
        on_page = _known_on_page(known, column_groups)
        marks = suppress(values, threshold, keep_row_totals=keep_row_totals, known=on_page, linked=linked)
        if marks is not None:
            break
    else:  # unreachable: the grand total alone is always protected
        raise DisclosureError(f"table {table.key!r}: not even the grand total can be published")
    audit(values, marks, threshold, key=table.key, keep_row_totals=keep_row_totals, known=on_page, linked=linked)
    return Published(
        table=table,
        values=tuple(tuple(row) for row in values),
        marks=tuple(tuple(row) for row in marks),
        threshold=threshold,
        noisy=bool(epsilon),
        row_groups=row_groups,
        column_groups=column_groups,
    )


def _known_on_page(known: Known | None, column_groups: Groups) -> Known | None:
    """``known`` in the published table's columns; None when they no longer split along it."""
    if known is None:
        return None
    inside = frozenset(g for g, group in enumerate(column_groups) if set(group) <= known.columns)
    if any(set(group) & known.columns for g, group in enumerate(column_groups) if g not in inside):
        return None  # only the grand total is left: no column to tie to the other table
    return Known(inside, known.low, known.high, small=known.small)


def audit(
    values: list[list[int]],
    marks: list[list[Mark]],
    threshold: int,
    *,
    key: str = "",
    keep_row_totals: bool = False,
    known: Known | None = None,
    linked: Linked | None = None,
) -> None:
    """Refuse (``DisclosureError``) a page with an untrue label, a withheld grand total (or
    row total, for shared rows), or a small entry it pins."""
    for r, row in enumerate(values):
        for c, value in enumerate(row):
            mark = marks[r][c]
            low, high = _bounds(value, mark, threshold)
            if not low <= value <= high or (mark is Mark.SHOWN and 0 < value < threshold):
                raise DisclosureError(f"table {key!r}: the label of entry {(r, c)} is not true")
    if marks[-1][-1] is Mark.WITHHELD:  # other tables and the transparency report show it
        raise DisclosureError(f"table {key!r}: the grand total is withheld")
    if keep_row_totals and any(row[-1] is Mark.WITHHELD for row in marks):
        raise DisclosureError(f"table {key!r}: a row total other tables show is withheld")
    if exposed := determined(values, marks, threshold, known=known, linked=linked):
        raise DisclosureError(f"table {key!r}: the page pins the small entries {exposed}")


def primary(values: list[list[int]], threshold: int) -> list[list[Mark]]:
    return [[Mark.SMALL if 0 < value < threshold else Mark.SHOWN for value in row] for row in values]


def suppress(
    values: list[list[int]],
    threshold: int,
    *,
    keep_row_totals: bool = False,
    known: Known | None = None,
    linked: Linked | None = None,
) -> list[list[Mark]] | None:
    """Small entries marked and complements withheld until none is pinned; None when even
    withholding every entry that may be withheld leaves one pinned."""
    marks = primary(values, threshold)
    last_row, last_column = len(values) - 1, len(values[0]) - 1

    def may_withhold(r: int, c: int) -> bool:
        """A shown figure (so at least the threshold, or 0) that is not zero and not kept:
        the grand total always is, and the row totals when other tables show them."""
        if marks[r][c] is not Mark.SHOWN or values[r][c] == 0 or (r, c) == (last_row, last_column):
            return False
        return not (keep_row_totals and c == last_column)

    # Withholding only ever loosens what the adversary knows (an exact figure becomes "at
    # least T"), so if withholding everything allowed does not help, nothing will.
    most = [
        [Mark.WITHHELD if may_withhold(r, c) else mark for c, mark in enumerate(row)] for r, row in enumerate(marks)
    ]
    if determined(values, most, threshold, known=known, linked=linked):
        return None
    while exposed := determined(values, marks, threshold, known=known, linked=linked):
        complement = _complement_for(exposed[0], values, may_withhold)
        if complement is None:  # cannot happen after the check above; kept as a guard
            return None
        marks[complement[0]][complement[1]] = Mark.WITHHELD
    return marks


def _complement_for(
    position: tuple[int, int], values: list[list[int]], may_withhold: Callable[[int, int], bool]
) -> tuple[int, int] | None:
    """The least informative shown entry sharing a row or column with ``position``.

    Only a shown figure of at least the threshold is withheld — never a zero, which a
    "withheld" label would misdescribe. Inner cells come before totals, and the grand total
    never: it is what a reader compares across tables and pages (the transparency report
    shows the number of cases), so one table withholding it while another shows it would
    give it back. If the lines are exhausted, any entry.
    """
    row, column = position
    height, width = len(values), len(values[0])
    last_row, last_column = height - 1, width - 1

    def candidates(cells: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
        return [((r == last_row) + (c == last_column), values[r][c], r, c) for r, c in cells if may_withhold(r, c)]

    in_lines = [(row, c) for c in range(width)] + [(r, column) for r in range(height)]
    found = candidates(in_lines) or candidates([(r, c) for r in range(height) for c in range(width)])
    if not found:
        return None
    _, _, r, c = min(found)
    return r, c


# --- coarser tables ----------------------------------------------------------------------


def merge(counts: Sequence[Sequence[int]], row_groups: Groups, column_groups: Groups) -> list[list[int]]:
    """The table whose rows and columns are the sums over each group."""
    return [[sum(counts[r][c] for r in rows for c in columns) for columns in column_groups] for rows in row_groups]


def shared_row_groups(totals: Sequence[int], threshold: int) -> Groups:
    """How rows that several tables share are grouped: until no group's total is a small
    count, the group with the smallest one is merged with the nearest non-empty group beside
    it (and the empty ones between), until one non-empty group is left.

    Then every table shows the same exact figure for each group (0 or at least the
    threshold), so no table's unknowns are another table's: the tables can be audited one by
    one. A small row total shared by several tables would be one unknown each of them
    narrows down a little, and together they could pin it. The one exception, a single
    non-empty group with a small total, is the grand total: in each table every count is in
    that one row, and what a table says about it (at least as many as the table's non-zero
    cells) never narrows another table's cells, each of which the table's own audit leaves
    two values or more.
    """
    groups: Groups = tuple((r,) for r in range(len(totals)))
    while True:
        sums = [sum(totals[r] for r in group) for group in groups]
        small = [(total, index) for index, total in enumerate(sums) if 0 < total < threshold]
        if not small:
            return groups
        _, index = min(small)
        before = [n for n in range(index) if sums[n] > 0][-1:]
        after = [n for n in range(index + 1, len(sums)) if sums[n] > 0][:1]
        if not before + after:  # the only non-empty group: its total is the grand total
            return groups
        other = min(before + after, key=lambda n: (sums[n], abs(n - index), -n))
        groups = _joined(groups, index, other)


def _joined(groups: Groups, index: int, other: int) -> Groups:
    """Groups ``index`` and ``other`` and every group between them, made one."""
    first, last = sorted((index, other))
    return (*groups[:first], tuple(i for group in groups[first : last + 1] for i in group), *groups[last + 1 :])


def coarsenings(
    counts: Sequence[Sequence[int]],
    *,
    rows: Groups | None = None,
    column_blocks: tuple[frozenset[int], ...] | None = None,
) -> Iterator[tuple[Groups, Groups]]:
    """The table itself, then ever coarser ones, down to the grand total alone.

    Each step takes the line (row or column) with the smallest non-zero total — small
    lines are where small counts pile up — and merges it with the nearer-by-total of the
    closest non-zero lines before and after it, together with the empty lines between
    them: merging with an empty line would protect nothing, and merging a range keeps an
    ordered category (quarters, years) a range. Columns are only merged within their
    ``column_blocks`` (then, as a last step, everything at once).
    """

    def block(group: tuple[int, ...]) -> int:
        return next((b for b, columns in enumerate(column_blocks or ()) if group[0] in columns), -1)

    row_groups: Groups = rows or tuple((r,) for r in range(len(counts)))
    column_groups: Groups = tuple((c,) for c in range(len(counts[0])))
    yield row_groups, column_groups
    while len(row_groups) > 1 or len(column_groups) > 1:
        merged = merge(counts, row_groups, column_groups)
        totals = ([sum(row) for row in merged], [sum(column) for column in zip(*merged, strict=True)])
        # Per dimension, the lines each line may merge with: non-zero, and for columns in the same block.
        kin = [
            [
                [n for n, other in enumerate(totals[0]) if other > 0 and n != index] if total > 0 else []
                for index, total in enumerate(totals[0])
            ],
            [
                [
                    n
                    for n, other in enumerate(totals[1])
                    if other > 0 and n != index and block(column_groups[n]) == block(column_groups[index])
                ]
                if total > 0
                else []
                for index, total in enumerate(totals[1])
            ],
        ]
        lines = [
            (total, dimension, index)
            for dimension in (0, 1)
            for index, total in enumerate(totals[dimension])
            if kin[dimension][index]
        ]
        if not lines:  # nothing left to merge line by line: the grand total alone
            yield (tuple(range(len(counts))),), (tuple(range(len(counts[0]))),)
            return
        _, dimension, index = min(lines)
        line_totals = totals[dimension]
        before = [n for n in kin[dimension][index] if n < index][-1:]
        after = [n for n in kin[dimension][index] if n > index][:1]
        other = min(before + after, key=lambda n: (line_totals[n], abs(n - index), -n))
        joined = _joined((row_groups, column_groups)[dimension], index, other)
        if dimension == 0:
            row_groups = joined
        else:
            column_groups = joined
        yield row_groups, column_groups


# --- the adversary -----------------------------------------------------------------------


def determined(
    values: list[list[int]],
    marks: list[list[Mark]],
    threshold: int,
    *,
    known: Known | None = None,
    linked: Linked | None = None,
) -> list[tuple[int, int]]:
    """Every small entry that the page pins to a single value (empty when the page is safe).

    What the page would pin elsewhere is reported at the entries of this table nearest it:
    a small sum of ``known`` columns at the first of their totals, a small entry of the
    ``linked`` table at the grand total (the one figure the two tables share).
    """
    last_row, last_column = len(values) - 1, len(values[0]) - 1

    def own(position: tuple[int, int]) -> Callable[[int], bool]:
        return lambda value: _consistent(values, marks, threshold, fixed=(position, value), known=known, linked=linked)

    def other(position: tuple[int, int]) -> Callable[[int], bool]:
        return lambda value: _consistent(values, marks, threshold, linked=linked, fixed_linked=(position, value))

    small = range(1, threshold)
    exposed = [position for position in _small_entries(marks) if not _two_values(own(position), small)]
    if known is not None and known.small and known.columns:
        columns = known.columns
        if not _two_values(
            lambda value: _consistent(values, marks, threshold, known=Known(columns, value, value)),
            range(known.low, known.high + 1),
        ):
            exposed.append((last_row, min(columns)))
    if linked is not None and any(not _two_values(other(position), small) for position in _small_entries(linked.marks)):
        exposed.append((last_row, last_column))
    return exposed


def _small_entries(marks: Sequence[Sequence[Mark]]) -> list[tuple[int, int]]:
    return [(r, c) for r, row in enumerate(marks) for c, mark in enumerate(row) if mark is Mark.SMALL]


def _two_values(consistent: Callable[[int], bool], candidates: range) -> bool:
    """Whether at least two of the candidate values are consistent with the page."""
    found = 0
    for value in candidates:
        if consistent(value):
            found += 1
            if found == 2:
                return True
    return False


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
    fixed: tuple[tuple[int, int], int] | None = None,
    known: Known | None = None,
    linked: Linked | None = None,
    fixed_linked: tuple[tuple[int, int], int] | None = None,
) -> bool:
    """Whether some table of non-negative counts agrees with the page and with ``fixed``.

    Nodes: a node per row (the totals row last) and per column (the totals column last).
    An inner cell (r, c) is flow row r → column c; a row total is flow totals-column → row;
    a column total is flow column → totals-row; the grand total is totals-row →
    totals-column. The page is consistent exactly when this circulation, with each entry
    between its bounds, exists. A sum of column totals known from elsewhere is one more
    node: those columns' totals flow through it, within its bounds, to the totals row.

    A ``linked`` table is a second circulation beside the first, its ``columns``' totals
    flowing through a node of their own. The two are spliced so that those totals plus the
    offset must equal this table's grand total: the grand total carries the offset as
    before, and the rest of it swaps heads with the linked sum (this table's totals row
    feeds the other's, the linked sum feeds this table's totals column). The only edges
    between the two circulations are then those two, so they carry the same flow.
    """
    edges, grand = _table_edges(values, marks, threshold, fixed=fixed, through=known.columns if known else frozenset())
    if known is not None and known.columns:
        edges.append(("known", grand[0], known.low, known.high))
    if linked is None:
        return _circulation_exists([*edges, grand])
    other, other_grand = _table_edges(
        [list(row) for row in linked.values],
        [list(row) for row in linked.marks],
        threshold,
        fixed=fixed_linked,
        prefix="linked-",
        through=linked.columns,
    )
    totals_row, totals_column, low, high = grand
    return _circulation_exists(
        [
            *edges,
            *other,
            other_grand,
            (totals_row, totals_column, linked.offset, linked.offset),
            ("linked-known", totals_column, max(0, low - linked.offset), high - linked.offset),
            (totals_row, other_grand[0], 0, _UNBOUNDED),
        ]
    )


Edge = tuple[str, str, int, int]


def _table_edges(
    values: list[list[int]],
    marks: list[list[Mark]],
    threshold: int,
    *,
    fixed: tuple[tuple[int, int], int] | None,
    prefix: str = "",
    through: frozenset[int] = frozenset(),
) -> tuple[list[Edge], Edge]:
    """The circulation's edges for one table, and apart from them its grand total's. The
    totals of the ``through`` columns flow to the node ``{prefix}known`` (the caller says
    where it leads) instead of the totals row."""
    height, width = len(values), len(values[0])
    last_row, last_column = height - 1, width - 1
    edges: list[Edge] = []
    grand: Edge | None = None
    for r in range(height):
        for c in range(width):
            low, high = _bounds(values[r][c], marks[r][c], threshold)
            if fixed is not None and (r, c) == fixed[0]:
                low = high = fixed[1]
            row, column = f"{prefix}r{r}", f"{prefix}c{c}"
            if (r, c) == (last_row, last_column):
                grand = (row, column, low, high)
            elif r == last_row and c in through:  # a column total in a known sum
                edges.append((column, f"{prefix}known", low, high))
            elif r == last_row or c == last_column:  # a row or column total
                edges.append((column, row, low, high))
            else:
                edges.append((row, column, low, high))
    assert grand is not None  # noqa: S101 (narrowing for the type checker)
    return edges, grand


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
