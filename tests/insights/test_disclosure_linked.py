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

from chorus.insights.disclosure import Groups, Known, Mark, Published, Table, publish, shared_row_groups
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
    rows: Groups | None = shared_row_groups(totals, threshold) if shared else None
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
    """Why the rows are shared: each table alone passes its audit, yet together they leak."""
    generator = random.Random(3)
    leaked = 0
    for _ in range(20):
        quarters, buckets, outcomes = COLUMNS
        cases = [
            (
                generator.choices(range(PATHWAYS), [1, 6, 3, 2])[0],
                generator.randrange(quarters),
                generator.randrange(buckets),
                generator.randrange(outcomes),
            )
            for _ in range(generator.randint(8, 30))
        ]
        leaked += bool(joint_attack(published_together(cases, 5, shared=False), 5))
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
    shared = shared_row_groups([sum(case[0] == p for case in cases) for p in range(PATHWAYS)], threshold)
    for table in tables:
        # A table may combine shared groups further (its row totals are then sums of figures
        # every table shows), never split one; and it never withholds a row total.
        assert all(any(set(group) <= set(row) for row in table.row_groups) for group in shared)
        assert all(row[-1] is not Mark.WITHHELD for row in table.marks)


def test_a_small_pathway_is_grouped_with_its_neighbour_in_every_table() -> None:
    assert shared_row_groups([0, 12, 3, 9], 5) == ((0,), (1,), (2, 3))
    assert shared_row_groups([0, 12, 3, 0, 0, 1], 5) == ((0,), (1, 2, 3, 4, 5))
    assert shared_row_groups([0, 0, 3, 0], 5) == ((0,), (1,), (2,), (3,))  # every case is in one row
    assert shared_row_groups([0, 7, 0, 6], 5) == ((0,), (1,), (2,), (3,))


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
    """Formal: 6 ongoing, 4 found responsible, 4 not; support: 10 ongoing, 10 closed. Alone,
    the outcomes table protects the two 4s by withholding the 6; the decisions table's total
    of 8 gives them back, unless the outcomes table is published knowing it."""
    counts = ((6, 0, 0, 4, 4), (10, 10, 0, 0, 0))
    table = Table("outcomes", ("formal", "support"), ("o", "c", "w", "r", "n"), counts)
    alone = publish(table, threshold=5)
    assert recovered(alone.values, alone.marks, 5) == []
    assert findings_attack(alone, 8, 8) != []
    told = publish(table, threshold=5, known=Known(FINDINGS, 8, 8))
    assert findings_attack(told, 8, 8) == []
    assert told.column_groups == ((0,), (1,), (2,), (3, 4))  # the findings are shown together


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
