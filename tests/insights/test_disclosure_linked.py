"""Tables read together: the insights page shows three tables of the same cases by pathway
(cases opened by quarter, time to a first response, outcomes), so a pathway's total is in all
three. The attacker here is the integer program of ``test_disclosure`` (SciPy's HiGHS) over
all three tables at once, with each pathway's total one unknown they share."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]

from chorus.insights.disclosure import (
    Groups,
    Known,
    Linked,
    Mark,
    Published,
    Table,
    line_groups,
    publish,
    with_margins,
)
from tests.insights.test_disclosure import recovered

PATHWAYS = 4
COLUMNS = (3, 4, 5)  # quarters, first-response buckets, outcomes


def joint_attack(tables: list[Published], threshold: int) -> list[tuple[int, int, int]]:
    """(table, row, column) of every "<T" the tables, read together, pin to one value."""
    variables: dict[tuple[Any, ...], int] = {("pathway", p): p for p in range(PATHWAYS)}
    for t, table in enumerate(tables):
        for r, row in enumerate(table.marks):
            for c, mark in enumerate(row):
                if mark is not Mark.SHOWN:
                    variables[(t, r, c)] = len(variables)
    equations: list[np.ndarray] = []
    constants: list[float] = []

    def equation(terms: list[tuple[int, int, int, int]], pathways: tuple[int, ...] = ()) -> None:
        """sum(sign * entry) - sum(pathway totals) = 0, the shown entries moved to the right."""
        row, constant = np.zeros(len(variables)), 0.0
        for t, r, c, sign in terms:
            if tables[t].marks[r][c] is Mark.SHOWN:
                constant -= sign * tables[t].values[r][c]
            else:
                row[variables[(t, r, c)]] += sign
        for p in pathways:
            row[variables[("pathway", p)]] -= 1
        equations.append(row)
        constants.append(constant)

    for t, table in enumerate(tables):
        height, width = len(table.values), len(table.values[0])
        for r in range(height):
            equation([(t, r, c, 1) for c in range(width - 1)] + [(t, r, width - 1, -1)])
        for c in range(width):
            equation([(t, r, c, 1) for r in range(height - 1)] + [(t, height - 1, c, -1)])
        for g, group in enumerate(table.row_groups):  # a published row's total is its pathways' cases
            equation([(t, g, width - 1, 1)], group)
    low, high = np.zeros(len(variables)), np.full(len(variables), np.inf)
    for key, index in variables.items():
        if key[0] != "pathway":
            t, r, c = key
            small = tables[t].marks[r][c] is Mark.SMALL
            low[index], high[index] = (1, threshold - 1) if small else (threshold, np.inf)
    return _pinned(tables, variables, LinearConstraint(np.array(equations), constants, constants), Bounds(low, high))


def _pinned(
    tables: list[Published], variables: dict[tuple[Any, ...], int], constraint: LinearConstraint, bounds: Bounds
) -> list[tuple[int, int, int]]:
    pinned = []
    for key, index in variables.items():
        if key[0] == "pathway" or tables[key[0]].marks[key[1]][key[2]] is not Mark.SMALL:
            continue
        extremes = []
        for sign in (1, -1):
            objective = np.zeros(len(variables))
            objective[index] = sign
            result = milp(
                objective,
                constraints=constraint,
                integrality=np.ones(len(variables)),
                bounds=bounds,
            )
            assert result.success, result.message  # the true tables are a solution
            extremes.append(round(sign * result.fun))
        if extremes[0] == extremes[1]:
            pinned.append(key)
    return pinned


Case = tuple[int, int, int, int]  # pathway, quarter, first-response bucket, outcome


def published_together(cases: list[Case], threshold: int, *, shared: bool) -> list[Published]:
    totals = [sum(case[0] == p for case in cases) for p in range(PATHWAYS)]
    rows: Groups | None = line_groups(totals, threshold) if shared else None
    tables = []
    for position, width in enumerate(COLUMNS, start=1):
        counts = tuple(
            tuple(sum(case[0] == p and case[position] == c for case in cases) for c in range(width))
            for p in range(PATHWAYS)
        )
        table = Table(f"t{position}", tuple(f"p{p}" for p in range(PATHWAYS)), tuple(map(str, range(width))), counts)
        tables.append(publish(table, threshold=threshold, shared_rows=rows))
    return tables


def test_published_one_by_one_the_tables_give_small_counts_back_together() -> None:
    """Why the rows are shared: each table alone passes its audit, yet together they leak
    (a table may withhold a pathway's total that another shows)."""
    leaked = 0
    for seed in range(25):
        generator = random.Random(seed)
        quarters, buckets, outcomes = COLUMNS
        cases = [
            (
                generator.choices(range(PATHWAYS), [1, 6, 3, 2])[0],
                generator.randrange(quarters),
                generator.randrange(buckets),
                generator.randrange(outcomes),
            )
            for _ in range(generator.randint(8, 60))
        ]
        threshold = generator.choice([3, 4, 5])
        leaked += bool(joint_attack(published_together(cases, threshold, shared=False), threshold))
    assert leaked > 0


cases_strategy = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 1, 1, 2, 2, 3]),
        st.integers(0, COLUMNS[0] - 1),
        st.integers(0, COLUMNS[1] - 1),
        st.integers(0, COLUMNS[2] - 1),
    ),
    min_size=0,
    max_size=40,
)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(cases_strategy, st.sampled_from([3, 4, 5, 7, 10]))
def test_with_shared_rows_the_tables_read_together_give_nothing_back(cases: list[Case], threshold: int) -> None:
    tables = published_together(cases, threshold, shared=True)
    assert joint_attack(tables, threshold) == []
    shared = line_groups([sum(case[0] == p for case in cases) for p in range(PATHWAYS)], threshold)
    for table in tables:
        # A table may combine shared groups further (its row totals are then sums of figures
        # every table shows), never split one; and it never withholds a row total.
        assert all(any(set(group) <= set(row) for row in table.row_groups) for group in shared)
        assert all(row[-1] is not Mark.WITHHELD for row in table.marks)


def test_a_small_pathway_is_grouped_with_its_neighbour_in_every_table() -> None:
    assert line_groups([0, 12, 3, 9], 5) == ((0,), (1,), (2, 3))
    assert line_groups([0, 12, 3, 0, 0, 1], 5) == ((0,), (1, 2, 3, 4, 5))
    # Every case in one row, or all rows under 5 together: one group, whatever each row holds.
    assert line_groups([0, 0, 3, 0], 5) == ((0, 1, 2, 3),)
    assert line_groups([1, 0, 1, 2], 5) == ((0, 1, 2, 3),)
    assert line_groups([0, 7, 0, 6], 5) == ((0,), (1,), (2,), (3,))


def test_publish_refuses_rows_that_cannot_be_shared_so() -> None:
    table = Table("t", ("a", "b"), ("x",), ((3,), (9,)))
    with pytest.raises(ValueError, match="cannot be shared"):
        publish(table, threshold=5, shared_rows=((0,), (1,)))


# --- findings and the decisions total --------------------------------------------------------

FINDINGS = frozenset({3, 4})  # outcomes: ongoing, closed, withdrawn, responsible, not responsible


def findings_attack(published: Published, low: int, high: int) -> list[tuple[int, int]]:
    """The attack of ``test_disclosure``, also told what the findings' totals add up to."""
    groups = [g for g, group in enumerate(published.column_groups) if set(group) <= FINDINGS]
    if any(set(group) & FINDINGS for g, group in enumerate(published.column_groups) if g not in groups):
        groups = []  # only the grand total is left: no finding on the page to tie it to
    last_row = len(published.values) - 1
    known = ([(last_row, g) for g in groups], low, high) if groups else None
    return recovered(published.values, published.marks, published.threshold, known)


def test_the_decisions_total_would_pin_two_small_findings_the_outcomes_table_hides() -> None:
    """Formal: 4 ongoing, 5 closed, 12 withdrawn, 3 found responsible, 1 not; support: 7, 0,
    6, 0, 4. The two finding columns are shown together (the first one's total is small):
    "<5" in each row. Alone the table protects them; the decisions table's total, 8, says
    they are 4 and 4. Published knowing that total, the table is shown as its total alone."""
    counts = ((4, 5, 12, 3, 1), (7, 0, 6, 0, 4))
    table = Table("outcomes", ("formal", "support"), ("o", "c", "w", "r", "n"), counts)
    alone = publish(table, threshold=5)
    assert alone.column_groups == ((0,), (1,), (2,), (3, 4))
    assert [alone.label(r, 3) for r in range(2)] == ["<5", "<5"]
    assert recovered(alone.values, alone.marks, 5) == []
    assert findings_attack(alone, 8, 8) == [(0, 3), (1, 3)]
    told = publish(table, threshold=5, known=Known(FINDINGS, 8, 8))
    assert told.total_only and findings_attack(told, 8, 8) == []


outcomes_tables = st.tuples(
    st.integers(1, 4).flatmap(
        lambda height: st.lists(
            st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 6, 12]), min_size=5, max_size=5),
            min_size=height,
            max_size=height,
        )
    ),
    st.integers(0, 2),
    st.sampled_from([3, 5, 7]),
)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(outcomes_tables)
def test_told_the_decisions_total_no_outcomes_table_gives_a_finding_back(
    example: tuple[list[list[int]], int, int],
) -> None:
    counts, withdrawn, threshold = example
    findings = sum(row[3] + row[4] for row in counts)
    decided = findings + withdrawn
    if decided == 0 or decided >= threshold:
        low = high = findings
    else:
        low, high = max(0, 1 - withdrawn), threshold - 1 - withdrawn
    rows = tuple(f"p{r}" for r in range(len(counts)))
    table = Table("outcomes", rows, ("o", "c", "w", "r", "n"), tuple(tuple(row) for row in counts))
    published = publish(table, threshold=threshold, known=Known(FINDINGS, low, high))
    assert findings_attack(published, low, high) == []
    assert recovered(published.values, published.marks, threshold) == []


# --- the decisions table, read with the outcomes table ----------------------------------------

Entry = tuple[str, int, int]  # table, row, column


def decisions_attack(outcomes: Published, decisions: Published, withdrawn: int) -> list[Entry]:
    """Every "<T" of either table that the two pages pin, read together: each table's rows and
    columns add up, and the outcomes table's findings plus the cases withdrawn after a
    decision (taken as known) are the decisions table's total."""
    pages = {"outcomes": outcomes, "decisions": decisions}
    threshold = outcomes.threshold
    hidden = [
        (name, r, c)
        for name, page in pages.items()
        for r, row in enumerate(page.marks)
        for c, mark in enumerate(row)
        if mark is not Mark.SHOWN
    ]
    index = {entry: i for i, entry in enumerate(hidden)}
    equations: list[np.ndarray] = []
    constants: list[float] = []

    def equation(terms: list[tuple[Entry, int]], constant: float = 0.0) -> None:
        """sum(sign * entry) = constant, the shown entries moved to the right."""
        row = np.zeros(len(hidden))
        for (name, r, c), sign in terms:
            if (name, r, c) in index:
                row[index[(name, r, c)]] += sign
            else:
                constant -= sign * pages[name].values[r][c]
        equations.append(row)
        constants.append(constant)

    for name, page in pages.items():
        height, width = len(page.values), len(page.values[0])
        for r in range(height):
            equation([((name, r, c), 1) for c in range(width - 1)] + [((name, r, width - 1), -1)])
        for c in range(width):
            equation([((name, r, c), 1) for r in range(height - 1)] + [((name, height - 1, c), -1)])
    findings = [g for g, group in enumerate(outcomes.column_groups) if set(group) <= FINDINGS]
    if findings:
        last_row = len(outcomes.values) - 1
        last = (len(decisions.values) - 1, len(decisions.values[0]) - 1)
        equation([(("outcomes", last_row, g), 1) for g in findings] + [(("decisions", *last), -1)], -withdrawn)
    small = [entry for entry in hidden if pages[entry[0]].marks[entry[1]][entry[2]] is Mark.SMALL]
    low = [1 if entry in small else threshold for entry in hidden]
    high = [threshold - 1 if entry in small else np.inf for entry in hidden]
    constraint = LinearConstraint(np.array(equations), constants, constants)
    pinned = []
    for entry in small:
        extremes = []
        for sign in (1, -1):
            objective = np.zeros(len(hidden))
            objective[index[entry]] = sign
            result = milp(objective, constraints=constraint, integrality=np.ones(len(hidden)), bounds=Bounds(low, high))
            assert result.success, result.message  # the true tables are a solution
            extremes.append(round(sign * result.fun))
        if extremes[0] == extremes[1]:
            pinned.append(entry)
    return pinned


def outcomes_and_decisions(
    outcomes: list[list[int]], decisions: list[list[int]], withdrawn: int, threshold: int, *, linked: bool = True
) -> tuple[Published, Published]:
    """Both tables published as the insights page publishes them (``aggregates._findings``
    and ``aggregates._decisions_linked``), or, with ``linked=False``, as it did before: the
    decisions table on its own and the outcomes table told only the range of its total."""
    decided = sum(map(sum, decisions))
    findings = decided - withdrawn
    small = 0 < decided < threshold
    low, high = (max(0, 1 - withdrawn), threshold - 1 - withdrawn) if small else (findings, findings)
    table = Table("outcomes", tuple(f"p{r}" for r in range(len(outcomes))), ("o", "c", "w", "r", "n"),
                  tuple(map(tuple, outcomes)))  # fmt: skip
    told = publish(table, threshold=threshold, known=Known(FINDINGS, low, high, small=small and linked))
    ties = frozenset(g for g, group in enumerate(told.column_groups) if set(group) <= FINDINGS)
    years = Table("decisions", tuple(f"y{r}" for r in range(len(decisions))), ("n", "p", "s", "r"),
                  tuple(map(tuple, decisions)))  # fmt: skip
    tie = Linked(told.values, told.marks, ties, withdrawn) if linked and ties and decided else None
    return told, publish(years, threshold=threshold, linked=tie)


def _page(key: str, counts: list[list[int]], marks: str, threshold: int) -> Published:
    """A page as a publisher might print it, marks given row by row ("." shown, "<" small,
    "W" withheld), totals included."""
    values = with_margins(counts)
    kinds = {".": Mark.SHOWN, "<": Mark.SMALL, "W": Mark.WITHHELD}
    table = Table(key, tuple(map(str, range(len(counts)))), tuple(map(str, range(len(counts[0])))),
                  tuple(map(tuple, counts)))  # fmt: skip
    return Published(
        table=table,
        values=tuple(map(tuple, values)),
        marks=tuple(tuple(kinds[mark] for mark in row) for row in marks.split()),
        threshold=threshold,
        noisy=False,
        row_groups=tuple((r,) for r in range(len(counts))),
        column_groups=tuple((c,) for c in range(len(counts[0]))),
    )


def test_the_attack_reads_the_two_tables_as_one() -> None:
    """Why the two tables are audited as one, and that the joint attack can fail: formal,
    five ongoing, two found responsible, one not; three decisions, one not appealed, one
    under appeal, one that stands. Each page alone passes its own audit. Together, the
    outcomes table gives the findings' sum, 3 (8 - 5), the decisions table's three "<5" add
    up to it, so each is 1, and its "<5" total is 3."""
    outcomes = _page("outcomes", [[5, 0, 0, 2, 1], [10, 10, 0, 0, 0]], "...<<. ...... ...<<.", 5)
    decisions = _page("decisions", [[1, 1, 1, 0]], "<<<.< <<<.<", 5)
    assert recovered(outcomes.values, outcomes.marks, 5) == []
    assert recovered(decisions.values, decisions.marks, 5) == []
    pinned = [("decisions", r, c) for r in range(2) for c in (0, 1, 2, 4)]
    assert decisions_attack(outcomes, decisions, 0) == pinned
    published = outcomes_and_decisions([[5, 0, 0, 2, 1], [10, 10, 0, 0, 0]], [[1, 1, 1, 0]], 0, 5)
    assert decisions_attack(*published, 0) == []
    assert published[1].total_only  # three decisions, each under 5: the total alone


def test_publish_refuses_a_link_without_columns() -> None:
    table = Table("decisions", ("y",), ("n",), ((6,),))
    with pytest.raises(ValueError, match="no columns"):
        publish(table, threshold=5, linked=Linked(((6, 6), (6, 6)), ((Mark.SHOWN,) * 2,) * 2, frozenset(), 0))


decided_cases = st.lists(
    st.tuples(
        st.integers(0, 2),  # year of the first decision
        st.integers(0, 3),  # not appealed, under appeal, stands, reversed
        st.sampled_from(["r", "n", "n", "r", "w"]),  # finding, or withdrawn after the decision
    ),
    max_size=14,
)
other_cases = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=30)  # pathway, outcome


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(decided_cases, other_cases, st.sampled_from([3, 4, 5, 6, 7, 10]))
def test_read_together_the_outcomes_and_decisions_tables_pin_nothing(
    decided: list[tuple[int, int, str]], others: list[tuple[int, int]], threshold: int
) -> None:
    outcomes = [[0] * 5 for _ in range(3)]
    decisions = [[0] * 4 for _ in range(3)]
    for year, appeal, end in decided:
        decisions[year][appeal] += 1
        outcomes[0][{"w": 2, "r": 3, "n": 4}[end]] += 1  # formal cases are row 0
    for pathway, outcome in others:
        outcomes[pathway][outcome] += 1
    withdrawn = sum(end == "w" for _, _, end in decided)
    told, years = outcomes_and_decisions(outcomes, decisions, withdrawn, threshold)
    assert decisions_attack(told, years, withdrawn) == []
    assert recovered(years.values, years.marks, threshold) == []
