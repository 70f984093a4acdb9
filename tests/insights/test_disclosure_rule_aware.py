"""The attacker who knows how ``publish()`` works (the code is open): not only what a page
shows, but which tables would have been published as that same page.

For every table of a small shape up to a total, publish it, and group the tables by the page
they give (its groups of rows and columns, and every label). A reader of a page knows the
true table is one of its group. A small count of the true table — a cell or a row, column
or grand total from 1 to T - 1, whether the page shows it or not — is pinned when it has
the same value in every table of the group. Counting every table of the shape is exact: no
solver, no sampling; the groups are only cut short at the largest total counted, which can
only make a page look more revealing than it is.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator

import pytest

from chorus.insights import disclosure
from chorus.insights.disclosure import Known, Mark, Published, Table, line_groups, publish, with_margins

Counts = tuple[tuple[int, ...], ...]


def tables(height: int, width: int, most: int) -> Iterator[Counts]:
    """Every table of the shape whose counts add up to at most ``most``."""
    cells = height * width
    for total in range(most + 1):
        # Compositions of ``total`` into ``cells`` parts, as bars between stars.
        for bars in itertools.combinations(range(total + cells - 1), cells - 1):
            edges = (-1, *bars, total + cells - 1)
            flat = [edges[i + 1] - edges[i] - 1 for i in range(cells)]
            yield tuple(tuple(flat[r * width : (r + 1) * width]) for r in range(height))


def page(published: Published) -> tuple[object, ...]:
    labels = tuple(
        tuple(published.label(r, c) for c in range(len(published.values[0]))) for r in range(len(published.values))
    )
    return published.row_groups, published.column_groups, labels


Grids = list[list[list[int]]]
Pin = tuple[Counts, tuple[int, int]]


def _single(grids: Grids, threshold: int) -> set[Pin]:
    """(table, entry of its grid with totals) for every small count with one value across ``grids``."""
    return {
        (tuple(tuple(line[:-1]) for line in grid[:-1]), (r, c))
        for grid in grids
        for r, row in enumerate(grid)
        for c, value in enumerate(row)
        if 0 < value < threshold and all(other[r][c] == value for other in grids)
    }


def _pins(pages: dict[tuple[object, ...], Grids], given: dict[tuple[object, ...], Grids], threshold: int) -> list[Pin]:
    """What the pages pin, less what the reader knows without them (``given``: the tables
    grouped by what other pages print)."""
    known = set().union(*(_single(grids, threshold) for grids in given.values()))
    return sorted(set().union(*(_single(grids, threshold) for grids in pages.values())) - known)


def pinned(height: int, width: int, most: int, threshold: int, *, shared: bool = False) -> list[Pin]:
    """Every small count a page pins; ``shared``: published as the tables of cases by pathway
    are, whose row groups' totals other tables print (so the reader knows them, and what they
    pin alone — the grand total, say — is not this page's doing)."""
    pages: dict[tuple[object, ...], Grids] = defaultdict(list)
    given: dict[tuple[object, ...], Grids] = defaultdict(list)
    for counts in tables(height, width, most):
        table = Table("t", tuple(map(str, range(height))), tuple(map(str, range(width))), counts)
        totals = tuple(sum(row) for row in counts)
        rows = line_groups(totals, threshold) if shared else None
        known_rows = tuple(sum(totals[r] for r in group) for group in rows) if rows else ()
        published = publish(table, threshold=threshold, shared_rows=rows)
        pages[(*page(published), rows, known_rows)].append(with_margins(counts))
        given[(rows, known_rows)].append(with_margins(counts))
    return _pins(pages, given if shared else {}, threshold)


SHAPES = [
    # height, width, largest total, threshold
    (1, 3, 16, 5),
    (1, 4, 12, 5),
    (1, 5, 9, 5),
    (2, 2, 14, 5),
    (2, 3, 9, 5),
    (3, 2, 8, 5),
    (1, 3, 12, 4),
    (2, 2, 12, 4),
    (2, 3, 8, 3),
    (1, 4, 10, 3),
    (3, 3, 6, 3),
    (1, 2, 18, 6),
    (2, 3, 12, 5),
    (2, 4, 9, 4),
    (3, 3, 8, 3),
    (1, 6, 12, 5),
]


@pytest.mark.parametrize(("height", "width", "most", "threshold"), SHAPES)
def test_knowing_the_rule_pins_no_small_count(height: int, width: int, most: int, threshold: int) -> None:
    assert pinned(height, width, most, threshold) == []


SHARED_SHAPES = [(2, 2, 16, 5), (3, 2, 12, 4), (4, 2, 8, 4), (3, 3, 7, 3)]


@pytest.mark.parametrize(("height", "width", "most", "threshold"), SHARED_SHAPES)
def test_knowing_the_rule_pins_no_small_count_in_tables_that_share_their_rows(
    height: int, width: int, most: int, threshold: int
) -> None:
    assert pinned(height, width, most, threshold, shared=True) == []


def test_a_shared_row_whose_split_its_total_gives_away_keeps_the_table_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why a shared row's total counts in ``detail_allowed``: the reader knows a row of two
    cells adds up to 8 (other tables print it). If the table were shown as its total alone
    only when no cell reached 5, that would say the row is 4 and 4."""
    original = disclosure.detail_allowed

    def blind_to_rows(counts: Counts, threshold: int, *, cells: int, lines: object = ()) -> bool:
        return original(counts, threshold, cells=cells)

    monkeypatch.setattr(disclosure, "detail_allowed", blind_to_rows)
    assert (((1, 4), (4, 4)), (1, 0)) in pinned(2, 2, 16, 5, shared=True)


def pinned_knowing_a_sum(height: int, width: int, most: int, threshold: int, columns: frozenset[int]) -> list[Pin]:
    """``pinned``, for a table some of whose columns add up to a figure another page shows
    (the outcomes table's findings, which the decisions table's total gives): exactly, or as
    "<T". The reader knows that figure too, and the grand total; counts those two alone pin
    (the other columns' total is the one less the other) are left out: no page of this table
    hides them."""
    pages: dict[tuple[object, ...], Grids] = defaultdict(list)
    given: dict[tuple[object, ...], Grids] = defaultdict(list)
    for counts in tables(height, width, most):
        total = sum(counts[r][c] for r in range(height) for c in columns)
        small = 0 < total < threshold
        low, high = (1, threshold - 1) if small else (total, total)
        table = Table("t", tuple(map(str, range(height))), tuple(map(str, range(width))), counts)
        published = publish(table, threshold=threshold, known=Known(columns, low, high, small=small))
        grand = sum(map(sum, counts))
        pages[(*page(published), low, high)].append(with_margins(counts))
        given[(grand if grand >= threshold else "<T", low, high)].append(with_margins(counts))
    return _pins(pages, given, threshold)


KNOWN_SHAPES = [
    (1, 4, 12, 5, {2, 3}),
    (1, 4, 12, 5, {0, 1}),
    (2, 3, 9, 5, {1, 2}),
    (2, 4, 8, 4, {2, 3}),
    (1, 5, 10, 3, {3, 4}),
    (2, 3, 8, 3, {1, 2}),
]


@pytest.mark.parametrize(("height", "width", "most", "threshold", "columns"), KNOWN_SHAPES)
def test_knowing_the_rule_and_a_sum_another_page_shows_pins_no_small_count(
    height: int, width: int, most: int, threshold: int, columns: set[int]
) -> None:
    assert pinned_knowing_a_sum(height, width, most, threshold, frozenset(columns)) == []


def test_grouping_a_small_sum_by_its_own_figures_pins_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why a sum the other page shows as "<T" is grouped with a column beside it: grouped by
    its own figures instead, the page (or its grand total alone) tells which of them were
    small, and with the sum known to be under T that pins counts."""
    original = disclosure._column_groups

    def as_if_exact(totals: list[int], threshold: int, known: Known | None) -> disclosure.Groups:
        exact = Known(known.columns, known.low, known.high) if known else None
        return original(totals, threshold, exact)

    monkeypatch.setattr(disclosure, "_column_groups", as_if_exact)
    assert pinned_knowing_a_sum(2, 3, 9, 5, frozenset({1, 2}))


def _suppress_by_figures(
    values: list[list[int]],
    threshold: int,
    *,
    keep_row_totals: bool = False,
    known: disclosure.Known | None = None,
    linked: disclosure.Linked | None = None,
) -> list[list[Mark]] | None:
    """Withholding as such tables are often protected elsewhere: after each audit, the
    smallest figure beside a pinned entry, until nothing is pinned. Each page then passes
    the audit, but which figures are withheld depends on figures the page hides."""
    marks = disclosure.primary(values, threshold)
    last = (len(values) - 1, len(values[0]) - 1)
    while exposed := disclosure.determined(values, marks, threshold):
        row, column = exposed[0]
        options = [
            (values[r][c], r, c)
            for r in range(len(values))
            for c in range(len(values[0]))
            if (r == row or c == column) and marks[r][c] is Mark.SHOWN and values[r][c] > 0 and (r, c) != last
        ]
        if not options:
            return None
        _, r, c = min(options)
        marks[r][c] = Mark.WITHHELD
    return marks


def test_withholding_chosen_by_hidden_figures_pins_counts_the_page_protects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the rule reads no figure, and that this test can fail: with the figures choosing
    what to withhold, every page still passes the audit, yet knowing the rule pins counts."""
    monkeypatch.setattr(disclosure, "suppress", _suppress_by_figures)
    found = pinned(2, 2, 14, 5)
    assert found
    counts, _entry = found[0]
    published = publish(Table("t", ("0", "1"), ("0", "1"), counts), threshold=5)
    values, marks = [list(row) for row in published.values], [list(row) for row in published.marks]
    assert disclosure.determined(values, marks, 5) == []  # the page alone pins nothing
