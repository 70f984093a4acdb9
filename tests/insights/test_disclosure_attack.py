"""Published tables attacked from the outside, at every threshold the settings accept.

The attacker is the integer program of ``test_disclosure`` (SciPy's HiGHS, not the
product's maximum-flow audit), fed only the labels a page prints. For every small entry it
minimises and maximises the entry over all tables consistent with those labels; a pinned
entry is one whose minimum equals its maximum. The tables are the shapes where a greedy
suppression runs out of room: lines of small counts with a small total, tables that are
all small, single rows and columns, mostly zeros.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chorus.insights import disclosure
from chorus.insights.disclosure import DisclosureError, Mark, Published, Table, publish, with_margins
from tests.insights.test_disclosure import _published, attack

THRESHOLDS = range(3, 11)  # CHORUS_INSIGHTS_THRESHOLD accepts 3 and up; 10 is already coarse


def truthful(published: Published, counts: list[list[int]]) -> None:
    """Every label means what the page says, measured against the true (merged) table."""
    merged = [
        [sum(counts[r][c] for r in rows for c in columns) for columns in published.column_groups]
        for rows in published.row_groups
    ]
    assert [list(row) for row in published.values] == with_margins(merged)
    assert sorted(r for group in published.row_groups for r in group) == list(range(len(counts)))
    assert sorted(c for group in published.column_groups for c in group) == list(range(len(counts[0])))
    assert published.marks[-1][-1] is not Mark.WITHHELD  # the figure other pages show too
    threshold = published.threshold
    for r, row in enumerate(published.values):
        for c, value in enumerate(row):
            label = published.label(r, c)
            if label == f"<{threshold}":
                assert 1 <= value < threshold, (label, value)
            elif label == "withheld":
                assert value >= threshold, (label, value)  # never a zero, never a small count
            else:
                assert int(label) == value and not 0 < value < threshold, (label, value)


def small_line(threshold: int, length: int) -> st.SearchStrategy[list[int]]:
    """A line of counts, each 1 or more, whose total is itself under the threshold."""
    length = min(length, threshold - 1)
    return st.lists(st.integers(1, threshold - 1), min_size=length, max_size=length).filter(
        lambda line: sum(line) < threshold
    )


@st.composite
def tables(draw: Any) -> tuple[list[list[int]], int]:
    threshold = draw(st.sampled_from(THRESHOLDS))
    height, width = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    small = st.integers(1, threshold - 1)
    large = st.integers(threshold, 3 * threshold) | st.integers(40, 60)
    cell = draw(
        st.sampled_from(
            [
                st.just(0) | small | large,  # mixed
                st.integers(0, threshold - 1),  # all small
                st.sampled_from([0, 0, 0, 0, 0, 1, threshold - 1, threshold, 50]),  # mostly zeros
            ]
        )
    )
    counts = [[draw(cell) for _ in range(width)] for _ in range(height)]
    if draw(st.booleans()):  # a row or column of small counts with a small total
        if draw(st.booleans()):
            r = draw(st.integers(0, height - 1))
            line = draw(small_line(threshold, width))
            counts[r] = line + [0] * (width - len(line))
        else:
            c = draw(st.integers(0, width - 1))
            line = draw(small_line(threshold, height))
            for r in range(height):
                counts[r][c] = line[r] if r < len(line) else 0
    return counts, threshold


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
@example(([[1, 50], [1, 50], [1, 50], [1, 50]], 5))
@example(([[1, 1], [1, 1]], 3))
@example(([[1, 1, 1, 1], [30, 30, 30, 30]], 5))
@example(([[2, 1], [1, 0], [0, 1]], 3))
def test_no_published_table_gives_a_small_count_back(table: tuple[list[list[int]], int]) -> None:
    counts, threshold = table
    published = _published(counts, threshold)
    assert attack(published) == []
    truthful(published, counts)


ISSUE_SHAPES = [
    # Four "<5" entries with a "<5" total: each must be 1 unless the table is coarsened.
    ([[1, 50], [1, 50], [1, 50], [1, 50]], 5),
    ([[1, 1], [1, 1]], 3),
    ([[1, 1, 1, 1]], 5),
    ([[1], [1], [1], [1]], 5),
    ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], 4),
    ([[2, 2], [2, 2], [2, 2]], 10),
    ([[0, 0, 0], [0, 1, 0], [0, 0, 0]], 3),
    ([[3]], 3),
]


@pytest.mark.parametrize(("counts", "threshold"), ISSUE_SHAPES)
def test_the_shapes_that_leaked_give_nothing_back(counts: list[list[int]], threshold: int) -> None:
    published = _published(counts, threshold)
    assert attack(published) == []
    truthful(published, counts)


def test_a_column_of_ones_under_a_small_total_is_merged_into_its_neighbour() -> None:
    published = _published([[1, 50], [1, 50], [1, 50], [1, 50]], 5)
    assert published.column_groups == ((0, 1),) and published.row_groups == ((0,), (1,), (2,), (3,))
    assert published.columns_collapsed and not published.total_only
    assert [published.label(r, 1) for r in range(5)] == ["51", "51", "51", "51", "204"]


def test_a_table_that_no_split_protects_is_published_as_its_grand_total() -> None:
    published = _published([[1, 1], [1, 1]], 3)
    assert published.merged
    # Whatever is left shows neither a "withheld" zero nor a "<3" the page pins.
    assert attack(published) == []
    everything = _published([[1, 0], [0, 1]], 3)
    assert everything.total_only
    assert everything.label(1, 1) == "<3"


def test_a_table_that_needs_no_help_is_published_as_it_is() -> None:
    published = _published([[12, 30, 7], [9, 0, 22]], 5)
    assert not published.merged and published.row_groups == ((0,), (1,))
    assert all(mark is Mark.SHOWN for row in published.marks for mark in row)


def test_zeros_are_shown_as_zeros_and_never_withheld() -> None:
    published = _published([[0, 0, 3], [0, 0, 20], [0, 0, 0]], 5)
    for r, row in enumerate(published.values):
        for c, value in enumerate(row):
            if value == 0:
                assert published.label(r, c) == "0"


def test_publish_refuses_a_table_its_audit_finds_a_small_count_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the suppression step regressed to hiding only the small entries, publish() would
    notice before anything reached a page."""
    monkeypatch.setattr(disclosure, "suppress", lambda values, threshold, **_: disclosure.primary(values, threshold))
    with pytest.raises(DisclosureError, match="pins the small entries"):
        _published([[3, 10, 12], [8, 9, 20], [15, 6, 7]], 5)


def test_publish_refuses_a_label_that_is_not_true(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old fallback, withholding everything, zeros included, is caught by the audit."""

    def withhold_everything(values: list[list[int]], threshold: int, **_: bool) -> list[list[Mark]]:
        return [[Mark.SMALL if 0 < v < threshold else Mark.WITHHELD for v in row] for row in values]

    monkeypatch.setattr(disclosure, "suppress", withhold_everything)
    with pytest.raises(DisclosureError, match="not true"):
        _published([[0, 10], [10, 10]], 5)


def test_publish_refuses_to_withhold_the_grand_total(monkeypatch: pytest.MonkeyPatch) -> None:
    def withhold_the_grand_total(values: list[list[int]], threshold: int, **_: bool) -> list[list[Mark]]:
        marks = disclosure.primary(values, threshold)
        marks[-1][-1] = Mark.WITHHELD
        return marks

    monkeypatch.setattr(disclosure, "suppress", withhold_the_grand_total)
    with pytest.raises(DisclosureError, match="grand total"):
        _published([[10, 10], [10, 10]], 5)


def test_a_threshold_under_three_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        _published([[1, 2]], 2)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from([0.5, 1.0, 5.0]))
def test_noisy_tables_give_nothing_back_either(table: tuple[list[list[int]], int], epsilon: float) -> None:
    """With noise the labels describe the noisy figures; those are protected the same way."""
    counts, threshold = table
    rows = tuple(f"r{i}" for i in range(len(counts)))
    columns = tuple(f"c{i}" for i in range(len(counts[0])))
    source = Table("noisy", rows, columns, tuple(tuple(row) for row in counts))
    published = publish(source, threshold=threshold, epsilon=epsilon, key=b"k" * 32)
    assert published.noisy
    assert attack(published) == []
    truthful(published, disclosure.noisy(source, epsilon=epsilon, key=b"k" * 32))
