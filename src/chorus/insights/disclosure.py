"""Publishing a table of counts so that nobody can work out a small one.

Pure Python, no Django. A table is published with its row totals, column totals and grand
total. Every count from 1 to ``threshold - 1`` — an inner cell or a total — is shown as
"<threshold" (primary suppression). That alone is not enough: a row total minus the shown
cells gives the hidden one back. So more entries are withheld (complementary suppression),
and the page is published only if an adversary who knows everything it shows — every shown
number, that each "<5" lies between 1 and 4, that each "withheld" entry is at least 5, and
that rows and columns add up — cannot pin any small entry to one value; else the table is
published as its grand total alone.

Every label means what the page says it means: "<5" is always 1 to 4, "withheld" is
always at least 5 (only an entry of at least the threshold is ever withheld, never a zero
or a small count), and a shown figure is the figure.

That adversary is not a heuristic: :func:`determined` asks, for each small entry and each
value it could take, whether some table consistent with the page has that value. A table
of counts with its margins is a circulation in a bipartite graph (rows → columns → totals),
so "is there a consistent table" is a feasible-circulation problem, answered exactly by a
maximum flow.

The method is public, so the adversary also knows how the page was made. Every choice is
therefore read off what the page shows anyway, never off a figure it hides:

1. **Lines** (:func:`line_groups`): a row or column whose total is small holds nothing but
   small counts and zeros; it is counted with the next non-empty one, until no line's total
   is small. The page shows each group's total, and the rule only asks which totals are
   small or empty.
2. **What is withheld** (:func:`complements`): from each entry's kind — zero, small, or at
   least the threshold (shown or withheld, the page says it is at least T) — and its place.
3. **Detail at all** (:func:`detail_allowed`): from which cells reach the threshold and the
   grand total, both on a detailed page.
4. **The audit**: a detailed page whose audit finds a pinned entry is published as its grand
   total alone. The audit reads only the page.

Two tables that give the same labels get the same groups and the same entries withheld, so
the tables a detailed page could have come from are exactly those its labels allow: the
audit's adversary, who reads the labels, is the adversary who also knows the rule. There is
nothing between the detailed table and its grand total: a table combined further only
because its own categories could not be protected would tell that they could not, and so
narrow down the counts it hides (the tests found such pins under the greedy method this
replaces). The grand total alone is always safe to print (a number, or "<T", which leaves
T - 1 ≥ 2 values); what its being alone says — that the detail was not allowed or pinned
something — is spread over every table with that total, and the tests count every table of
small shapes to check that it pins nothing either.

:func:`publish` ends with the audit: it raises :class:`DisclosureError` rather than return
a table in which :func:`determined` finds anything, or a label that is not true.

Tables on one page are tied by equations (a pathway's cases in three tables; formal
findings and decisions): ``shared_rows``, ``known`` and ``linked`` give the audit those
equations, so what it checks is what a reader of the whole page knows.

Optional Laplace noise (:func:`noisy`) is added to the inner cells before suppression; the
totals are the sums of the noisy cells, so the published table stays consistent. The noise
is drawn deterministically from a key and the true count, so reloading a page gives the
same figures and averaging many looks within a quarter learns nothing new. The table's key
names the quarter, so a past quarter's cell gets fresh noise each quarter: averaged over
quarters, it tends to the true count (a known limit). With noise, the labels describe the
noisy figures, as the page says.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import deque
from collections.abc import Callable, Sequence
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
    published row and column stands for: one each, unless some were counted together.
    ``alone``: the table is published as its grand total alone (its detail was not allowed,
    or would have pinned a count); then not even the name of a single row or column is shown,
    since which rows a table has can depend on its counts (the time in each stage leaves out
    stages nobody was in).
    """

    table: Table
    values: tuple[tuple[int, ...], ...]  # the (possibly noisy) figures, totals included
    marks: tuple[tuple[Mark, ...], ...]
    threshold: int
    noisy: bool
    row_groups: Groups
    column_groups: Groups
    alone: bool = False

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
        """Every row counted as one (or the total alone): only the totals row says anything."""
        return len(self.row_groups) == 1 and (self.rows_merged or self.alone)

    @property
    def columns_collapsed(self) -> bool:
        return len(self.column_groups) == 1 and (self.columns_merged or self.alone)

    @property
    def total_only(self) -> bool:
        """Only the grand total is published."""
        return self.alone or (self.merged and len(self.row_groups) == 1 and len(self.column_groups) == 1)

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
    """The table with small lines counted with their neighbours, small entries hidden and
    others withheld beside them, or, when that page would still pin a small count, its grand
    total alone; audited before it is returned.

    ``shared_rows``: the table's rows are the same as other published tables' (the same
    cases by pathway), grouped as :func:`line_groups` says for all of them, and their totals
    are never withheld: every such table then shows each row total as the same exact figure,
    so reading the tables together tells an adversary nothing that each table alone does not.

    ``known``: some of the table's columns add up to a figure another table shows (formal
    findings, and the decisions table's total). The adversary is given that equation too,
    and columns are only grouped with columns on the same side of it (the grand total
    alone, the last resort, says nothing the other table does not).

    ``linked``: the table's grand total is another published table's columns plus a known
    number (the decisions table and the outcomes table's findings). Every check reads both
    pages at once: if neither table's small entries can be pinned it is shown in detail,
    else as its grand total alone, which is always safe because the other table was
    published knowing it (``Known.small``).
    """
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"the threshold must be at least {MIN_THRESHOLD}: '<2' would say the count is 1")
    counts = noisy(table, epsilon=epsilon, key=key) if epsilon else [list(row) for row in table.counts]
    if shared_rows is not None and line_groups([sum(row) for row in counts], threshold) != shared_rows:
        raise ValueError(f"table {table.key!r}: its rows cannot be shared as {shared_rows}")
    keep_row_totals = shared_rows is not None
    if known and (not known.columns or max(known.columns) - min(known.columns) + 1 != len(known.columns)):
        raise ValueError(f"table {table.key!r}: a known sum must be of neighbouring columns")
    if known and linked:
        raise ValueError(f"table {table.key!r}: a table is tied to one other table at most")
    if linked and not linked.columns:
        raise ValueError(f"table {table.key!r}: the linked table has no columns to tie to")
    def page(row_groups: Groups, column_groups: Groups) -> tuple[list[list[int]], Known | None, list[list[Mark]] | None]:
        values = with_margins(merge(counts, row_groups, column_groups))
        on_page = _known_on_page(known, column_groups)
        return values, on_page, suppress(values, threshold, keep_row_totals=keep_row_totals, known=on_page, linked=linked)

    row_groups, column_groups = _detail(counts, threshold, rows=shared_rows, known=known) or ((), ())
    marks, alone = None, False
    if row_groups:
        values, on_page, marks = page(row_groups, column_groups)
    if marks is None:  # the grand total alone: always protected (a number, or "<T")
        row_groups, column_groups, alone = (tuple(range(len(counts))),), (tuple(range(len(counts[0]))),), True
        values, on_page, marks = page(row_groups, column_groups)
        assert marks is not None  # noqa: S101 (narrowing; audit() below checks the page anyway)
    audit(values, marks, threshold, key=table.key, keep_row_totals=keep_row_totals, known=on_page, linked=linked)
    return Published(
        table=table,
        values=tuple(tuple(row) for row in values),
        marks=tuple(tuple(row) for row in marks),
        threshold=threshold,
        noisy=bool(epsilon),
        row_groups=row_groups,
        column_groups=column_groups,
        alone=alone,
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
    """Small entries marked and complements withheld by :func:`complements`; None when the
    page that gives still pins a small entry (the table is then published as its total)."""
    marks = complements(primary(values, threshold), values, keep_row_totals=keep_row_totals)
    if determined(values, marks, threshold, known=known, linked=linked):
        return None
    return marks


def complements(marks: list[list[Mark]], values: list[list[int]], *, keep_row_totals: bool = False) -> list[list[Mark]]:
    """The entries withheld beside the small ones, chosen from what the page shows anyway.

    The choice reads only each entry's kind — zero, small (shown as "<T") or at least the
    threshold (shown, or withheld: either way the page says it is at least T) — and its
    place, never a figure. So every table the page is consistent with gets the same entries
    withheld, and someone who knows this rule learns nothing from which ones were.

    Until nothing changes, in every line (a row or a column, with its total; the totals row
    and column too) that hides something: if it has a small entry and fewer than two withheld,
    or only one hidden entry, the first entry of the line that may be withheld is — inner
    cells before totals, then in reading order. Two withheld beside a small entry, not one:
    a single withheld figure is often close to what the line's total leaves for it, and so
    pins its neighbours (over generated tables, one in ten was then published as its total
    alone; with two, about one in a hundred). Only a figure of at least the threshold may be
    withheld: never a zero, never the grand total, and never a row total other tables show
    (``keep_row_totals``).
    """
    marks = [list(row) for row in marks]
    height, width = len(marks), len(marks[0])
    last_row, last_column = height - 1, width - 1

    def may_withhold(r: int, c: int) -> bool:
        if marks[r][c] is not Mark.SHOWN or values[r][c] == 0 or (r, c) == (last_row, last_column):
            return False
        return not (keep_row_totals and c == last_column)

    lines = [[(r, c) for c in range(width)] for r in range(height)]
    lines += [[(r, c) for r in range(height)] for c in range(width)]
    changed = True
    while changed:
        changed = False
        for line in lines:
            kinds = [marks[r][c] for r, c in line]
            beside_small = Mark.SMALL in kinds and kinds.count(Mark.WITHHELD) < 2
            one_hidden = sum(kind is not Mark.SHOWN for kind in kinds) == 1
            if not (beside_small or one_hidden):
                continue
            options = [(r, c) for r, c in line if may_withhold(r, c)]
            if options:
                r, c = min(options, key=lambda place: ((place[0] == last_row) + (place[1] == last_column), place))
                marks[r][c] = Mark.WITHHELD
                changed = True
    return marks


# --- coarser tables ----------------------------------------------------------------------


def merge(counts: Sequence[Sequence[int]], row_groups: Groups, column_groups: Groups) -> list[list[int]]:
    """The table whose rows and columns are the sums over each group."""
    return [[sum(counts[r][c] for r in rows for c in columns) for columns in column_groups] for rows in row_groups]


def line_groups(totals: Sequence[int], threshold: int, start: Groups | None = None) -> Groups:
    """How a table's rows (or its columns) are grouped before it is published: until no
    group's total is a small count, the first such group (in the table's order) is joined
    with the next non-empty group after it — or, for the last one, before it — and the empty
    ones between. If all of them together add up to a small count, they are one group.

    The rule reads only which totals are small and which are empty, never a figure, and the
    published table shows each group's total, which is 0 or at least the threshold (or, for
    one group of everything, the grand total). Someone who knows the rule learns which
    groups began with a small line; since empty lines are joined along with the others, a
    group's lines keep two values or more each. A small line is where small counts pile up
    (its every cell is small or empty), and joining neighbours keeps an ordered category
    (quarters, years) a range. Lines that add up to a small count are one group whatever
    they hold: grouping only the non-empty ones would say which were, and two lines of one
    each, seen to be both non-empty, under a total of 2, would be given back.

    Rows several tables share (the cases by pathway) are grouped by this same rule on their
    common totals, so every table shows the same exact figure for each group, and no table's
    unknowns are another table's: the tables can be audited one by one.

    ``start``: groups made before (neighbouring lines, in order), grouped further as lines are.
    """
    if 0 < sum(totals) < threshold:
        return (tuple(range(len(totals))),)
    groups: Groups = start or tuple((r,) for r in range(len(totals)))
    while True:
        sums = [sum(totals[r] for r in group) for group in groups]
        small = [index for index, total in enumerate(sums) if 0 < total < threshold]
        if not small:
            return groups
        index = small[0]
        # The others add up to at least the threshold less this small total: one is non-empty.
        after = [n for n in range(index + 1, len(sums)) if sums[n] > 0][:1]
        before = [n for n in range(index) if sums[n] > 0][-1:]
        groups = _joined(groups, index, (after + before)[0])


def _column_groups(totals: Sequence[int], threshold: int, known: Known | None) -> Groups:
    """:func:`line_groups` of the columns, with a ``known`` sum of some of them in mind.

    When the other table shows that sum exactly, within each run of neighbouring columns on
    the same side of it (a group across it would no longer add up to it). When it shows it
    as "<T", the sum's columns start as one group with the column before them (or after,
    when they come first), so no column on the page adds up to it: the reader knows the sum
    is small, and a page grouped or cut down according to which of its own figures are small
    could then give it back (a grand total of 8 shown alone, because the findings and the
    other outcomes both add up to less than 5, says that each is 4).
    """
    every = tuple((c,) for c in range(len(totals)))
    if known is None or not known.columns:
        return line_groups(totals, threshold)
    if known.small:
        first, last = min(known.columns), max(known.columns)
        hidden = _joined(every, first, last)  # the sum's columns, now one group at ``first``
        if len(hidden) > 1:
            hidden = _joined(hidden, first - 1, first) if first > 0 else _joined(hidden, first, first + 1)
        return line_groups(totals, threshold, start=hidden)
    groups: list[tuple[int, ...]] = []
    begin = 0
    for column in range(1, len(totals) + 1):
        if column == len(totals) or (column in known.columns) != (begin in known.columns):
            run = line_groups(totals[begin:column], threshold)
            groups += [tuple(begin + i for i in group) for group in run]
            begin = column
    return tuple(groups)


def _joined(groups: Groups, index: int, other: int) -> Groups:
    """Groups ``index`` and ``other`` and every group between them, made one."""
    first, last = sorted((index, other))
    return (*groups[:first], tuple(i for group in groups[first : last + 1] for i in group), *groups[last + 1 :])


def _detail(
    counts: Sequence[Sequence[int]], threshold: int, *, rows: Groups | None, known: Known | None
) -> tuple[Groups, Groups] | None:
    """The table's groups of rows and columns (:func:`line_groups`; its rows as ``rows`` says
    when they are shared), or None when :func:`detail_allowed` says no detail at all.

    If that detail still pins a count, the table is its grand total alone, with nothing in
    between, and nothing chosen by whether a finer table could be protected: a table combined
    only because its own categories could not be protected tells someone who knows the rule
    that they could not, which narrows the hidden counts down. The grand total alone hides
    that among every table with the same total."""
    row_groups = rows or line_groups([sum(row) for row in counts], threshold)
    column_groups = _column_groups([sum(column) for column in zip(*counts, strict=True)], threshold, known)
    width = len(counts[0])
    # Rows shared with other tables: each group's total is printed there, whatever this page shows.
    known_lines = [(sum(sum(counts[r]) for r in group), len(group) * width) for group in rows or ()]
    merged = merge(counts, row_groups, column_groups)
    if detail_allowed(merged, threshold, cells=len(counts) * width, lines=known_lines):
        return row_groups, column_groups
    return None


def detail_allowed(
    counts: Sequence[Sequence[int]], threshold: int, *, cells: int, lines: Sequence[tuple[int, int]] = ()
) -> bool:
    """Whether a table (its lines grouped) may be shown in detail, by what its detail would
    show anyway; ``cells`` is the number of cells of the table before grouping.

    Not when no cell reaches the threshold, unless every cell is 0: such a table is all "<T"
    and zeros, says little, and its counts are often pinned by its totals. And not when the grand total is exactly
    what ``cells`` counts of T - 1 add up to: only one table of small counts has that total,
    so if it alone were shown as its total, the total would give it back; at that total no
    table is shown in detail. Likewise for each group of rows whose total the reader knows
    from other tables (``lines``: its total and its number of cells before grouping): if
    that total is what its cells at T - 1 add up to, its split is given back by the table's
    being shown as its total alone, so no table is shown in detail then. The rules read only
    what a detailed page prints or the reader knows anyway (which cells reach the threshold,
    the grand total, the shared rows' totals), so they tell nobody more than that.
    """
    total = sum(map(sum, counts))
    if total == 0:
        return True
    tight = [(total, cells), *lines]
    return any(count >= threshold for row in counts for count in row) and all(
        known != size * (threshold - 1) for known, size in tight if known
    )


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
