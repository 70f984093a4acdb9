"""Published tables, attacked by an adversary who knows everything the page shows.

The adversary here is independent of the code under test: an integer linear program
(SciPy's HiGHS) that minimises and maximises each hidden small count subject to every
row, column and total the page shows, every "<5" lying in 1..4, and every "withheld"
figure being at least 5. A small count is recovered when its minimum equals its maximum.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]

from chorus.insights.disclosure import Mark, Published, Table, publish, with_margins

THRESHOLD = 5


def recovered(
    values: list[list[int]] | tuple[tuple[int, ...], ...],
    marks: list[list[Mark]] | tuple[tuple[Mark, ...], ...],
    threshold: int = THRESHOLD,
    known: tuple[list[tuple[int, int]], int, int] | None = None,
) -> list[tuple[int, int]]:
    """Every small entry the page pins to one value, by integer programming.

    Only the figures of shown entries are read; a hidden entry is known only by its mark.
    ``known``: entries whose sum the adversary also knows to lie between two bounds.
    """
    height, width = len(values), len(values[0])
    hidden = [(r, c) for r in range(height) for c in range(width) if marks[r][c] is not Mark.SHOWN]
    index = {position: i for i, position in enumerate(hidden)}
    lines = [[(r, c) for c in range(width - 1)] + [(r, width - 1)] for r in range(height)]
    lines += [[(r, c) for r in range(height - 1)] + [(height - 1, c)] for c in range(width)]

    def linear(terms: list[tuple[tuple[int, int], int]]) -> tuple[np.ndarray, int]:
        """Coefficients of the hidden entries, and the sum of the shown ones, in sum(sign * entry)."""
        coefficients, constant = np.zeros(len(hidden)), 0
        for position, sign in terms:
            if position in index:
                coefficients[index[position]] += sign
            else:
                constant += sign * values[position[0]][position[1]]
        return coefficients, constant

    rows, lower, upper = [], [], []
    for line in lines:
        *parts, total = line
        coefficients, constant = linear([*((p, 1) for p in parts), (total, -1)])
        if coefficients.any():
            rows.append(coefficients)
            lower.append(-constant)
            upper.append(-constant)
    if known is not None:
        positions, at_least, at_most = known
        coefficients, constant = linear([(position, 1) for position in positions])
        rows.append(coefficients)
        lower.append(at_least - constant)
        upper.append(at_most - constant)
    low = [1 if marks[r][c] is Mark.SMALL else threshold for r, c in hidden]
    high = [threshold - 1 if marks[r][c] is Mark.SMALL else np.inf for r, c in hidden]
    constraints = [LinearConstraint(np.array(rows), lower, upper)] if rows else []
    found = []
    for position in hidden:
        if marks[position[0]][position[1]] is not Mark.SMALL:
            continue
        objective = np.zeros(len(hidden))
        objective[index[position]] = 1
        extremes = []
        for sign in (1, -1):
            result = milp(
                sign * objective,
                constraints=constraints,
                integrality=np.ones(len(hidden)),
                bounds=Bounds(low, high),
            )
            assert result.success, result.message  # the true table is always a solution
            extremes.append(round(sign * result.fun))
        if extremes[0] == extremes[1]:
            found.append(position)
    return found


def attack(published: Published) -> list[tuple[int, int]]:
    """The integer program, fed only the labels the page prints ("12", "<5", "withheld")."""
    labels = [[published.label(r, c) for c in range(len(published.values[0]))] for r in range(len(published.values))]
    small, withheld = f"<{published.threshold}", "withheld"
    marks = [
        [Mark.SMALL if label == small else Mark.WITHHELD if label == withheld else Mark.SHOWN for label in row]
        for row in labels
    ]
    figures = [[int(label) if label not in (small, withheld) else 0 for label in row] for row in labels]
    return recovered(figures, marks, published.threshold)


def _published(counts: list[list[int]], threshold: int = THRESHOLD) -> Published:
    rows = tuple(f"r{i}" for i in range(len(counts)))
    columns = tuple(f"c{i}" for i in range(len(counts[0])))
    return publish(Table("t", rows, columns, tuple(tuple(row) for row in counts)), threshold=threshold)


def test_it_shows_counts_under_five_as_less_than_five() -> None:
    published = _published([[3, 10, 12], [8, 9, 20], [15, 2, 7]])
    assert published.label(0, 0) == "<5"
    assert published.label(2, 1) == "<5"
    assert published.label(1, 2) == "20"
    assert published.shown(0, 0) is None


def test_the_adversary_recovers_a_cell_when_only_small_cells_are_hidden() -> None:
    """Without complementary suppression, a row total gives the small cell back."""
    values = with_margins([[3, 10, 12], [8, 9, 20], [15, 6, 7]])
    primary_only = [[Mark.SMALL if 0 < v < THRESHOLD else Mark.SHOWN for v in row] for row in values]
    assert recovered(values, primary_only) == [(0, 0)]


def test_it_withholds_enough_that_no_small_cell_can_be_recovered() -> None:
    published = _published([[3, 10, 12], [8, 9, 20], [15, 6, 7]])
    marks = [list(row) for row in published.marks]
    assert sum(mark is Mark.WITHHELD for row in marks for mark in row) >= 3  # a row, a column, and one to close them
    assert recovered(published.values, marks) == []


ADVERSARIAL = [
    # One small cell alone in its row and column.
    [[1, 20, 30], [40, 50, 60]],
    # A small row total: the whole row is small.
    [[1, 2, 0], [30, 40, 50], [6, 7, 8]],
    # A column of small counts whose total is large.
    [[4, 30], [4, 30], [4, 30], [4, 30]],
    # Everything small.
    [[1, 1], [1, 2]],
    # One row, one column.
    [[3]],
    [[3, 9, 9, 9]],
    # Zeros everywhere except a small and a large count in the same line.
    [[0, 0, 3], [0, 0, 20], [0, 0, 0]],
    # Two small cells that would only protect each other if they could vary independently.
    [[1, 1, 40], [30, 30, 30]],
]


@pytest.mark.parametrize("counts", ADVERSARIAL)
def test_no_adversarial_table_gives_a_small_cell_back(counts: list[list[int]]) -> None:
    published = _published(counts)
    assert recovered(published.values, [list(row) for row in published.marks]) == []
    for r, row in enumerate(published.values):
        for c, value in enumerate(row):
            if 0 < value < THRESHOLD:
                assert published.marks[r][c] is not Mark.SHOWN, f"{value} at {(r, c)} is shown"


tables = st.integers(1, 4).flatmap(
    lambda height: st.integers(1, 5).flatmap(
        lambda width: st.lists(
            st.lists(st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 9, 14, 40]), min_size=width, max_size=width),
            min_size=height,
            max_size=height,
        )
    )
)


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_generated_table_gives_a_small_cell_back(counts: list[list[int]]) -> None:
    published = _published(counts)
    assert attack(published) == []
    if not published.merged:
        assert published.values == tuple(tuple(row) for row in with_margins(counts))  # the figures are the true ones


def test_noise_is_the_same_on_every_look_and_keeps_the_table_consistent() -> None:
    table = Table("noise", ("a", "b"), ("x", "y", "z"), ((12, 30, 7), (9, 0, 22)))
    first = publish(table, epsilon=0.5, key=b"k" * 32)
    again = publish(table, epsilon=0.5, key=b"k" * 32)
    other_key = publish(table, epsilon=0.5, key=b"j" * 32)
    assert first.values == again.values
    assert first.values != other_key.values
    values = [list(row) for row in first.values]
    assert values == with_margins([row[:-1] for row in values[:-1]])
    assert first.noisy


def test_noise_has_the_scale_epsilon_asks_for() -> None:
    counts = tuple(tuple(50 for _ in range(20)) for _ in range(20))
    rows, columns = tuple(str(i) for i in range(20)), tuple(str(i) for i in range(20))
    for epsilon in (0.5, 2.0):
        values = publish(Table("scale", rows, columns, counts), epsilon=epsilon, key=b"s" * 32).values
        errors = [abs(values[r][c] - 50) for r in range(20) for c in range(20)]
        mean = sum(errors) / len(errors)
        assert 0.6 / epsilon < mean + 0.3 < 1.6 / epsilon + 0.6, (epsilon, mean)  # Laplace: E|X| = 1/epsilon


def test_it_refuses_a_table_that_does_not_match_its_labels() -> None:
    with pytest.raises(ValueError, match="labels"):
        Table("bad", ("a",), ("x", "y"), ((1,),))
    with pytest.raises(ValueError, match="negative"):
        Table("bad", ("a",), ("x",), ((-1,),))
