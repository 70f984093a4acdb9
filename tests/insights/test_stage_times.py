"""Time in each stage and the share within target: counted from the stages' dates as of the
quarter's start, published as one table with the same suppression as every table, and attacked
the same way, over generated organizations and targets (on the buckets' edges and between)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint  # type: ignore[import-untyped]

from chorus.accounts.models import Organization
from chorus.cases.machine import TARGETABLE
from chorus.cases.models import StagePeriod
from chorus.cases.services.stages import targets_set
from chorus.insights.aggregates import Insight, snapshot
from chorus.insights.charts import chart_bars
from chorus.insights.disclosure import Mark, Published, Table, publish
from chorus.insights.stage_times import Stay, published_table, shares, stage_times, table_counts
from tests.escrow.factory import client_for
from tests.insights.factory import LAST_QUARTER, past_cases
from tests.insights.test_disclosure import attack, recovered
from tests.insights.test_disclosure_attack import truthful
from tests.insights.test_disclosure_linked import _pinned
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _stays(
    organization: Organization, pathway: str, state: str, days: float, count: int, *, ongoing: bool = False
) -> None:
    for case in past_cases(organization, pathway, state, count):
        entered = LAST_QUARTER - timedelta(days=days + 1)
        StagePeriod.objects.create(
            case=case,
            pathway=pathway,
            state=state,
            entered_at=entered,
            left_at=None if ongoing else entered + timedelta(days=days),
        )


def _row(insight: Insight, label: str) -> list[str]:
    return dict(insight.grid())[label]


def test_it_counts_finished_stages_by_time_and_against_the_target(personas: Personas) -> None:
    organization = personas.organization
    _stays(organization, "formal", "filed", 3, 12)  # within the 7-day default
    _stays(organization, "formal", "filed", 12, 6)  # past it
    _stays(organization, "formal", "investigation", 20, 9)
    _stays(organization, "formal", "notice", 40, 7, ongoing=True)  # still open, past 14 days
    result = stage_times(organization)
    assert _row(result.time, "Formal process: Filed — Within target") == ["12", "0", "0", "0", "0", "12"]
    assert _row(result.time, "Formal process: Filed — Past target") == ["0", "6", "0", "0", "0", "6"]
    assert _row(result.time, "Formal process: Investigation — Within target")[1] == "9"  # 20 days of 42
    assert _row(result.time, "Formal process: Notice given — Past target") == ["0", "0", "0", "0", "7", "7"]
    assert "Formal process: Notice given — Within target" not in dict(result.time.grid())
    assert dict(result.shares)["Formal process: Filed"] == "67%"
    assert dict(result.shares)["Formal process: Notice given"] == "0%"


def test_the_organizations_targets_decide_what_is_within(personas: Personas) -> None:
    organization = personas.organization
    _stays(organization, "formal", "filed", 12, 6)
    targets_set(organization=organization, actor=personas.admin, targets={("formal", "filed"): 14})
    result = stage_times(organization)
    assert _row(result.time, "Formal process: Filed — Within target")[:2] == ["0", "6"]
    assert "Formal process: Filed — Past target" not in dict(result.time.grid())
    assert dict(result.shares)["Formal process: Filed"] == "100%"
    targets_set(organization=organization, actor=personas.admin, targets={("formal", "filed"): None})
    assert _row(stage_times(organization).time, "Formal process: Filed")[:2] == ["0", "6"]
    assert "Formal process: Filed" not in dict(stage_times(organization).shares)


def test_stays_after_the_quarter_began_are_not_counted(personas: Personas) -> None:
    organization = personas.organization
    case = past_cases(organization, "formal", "filed", 1)[0]
    StagePeriod.objects.create(case=case, pathway="formal", state="filed", entered_at=snapshot() + timedelta(hours=1))
    result = stage_times(organization)
    assert result.time.empty and result.shares == []


@pytest.mark.parametrize(
    "stays",
    [
        [("filed", 3, 2)],
        [("filed", 3, 1), ("filed", 12, 1), ("notice", 3, 6)],
        [("filed", 3, 7), ("filed", 12, 2), ("notice", 3, 3), ("notice", 20, 8), ("investigation", 100, 1)],
        [("filed", 3, 9), ("notice", 20, 4), ("investigation", 50, 5), ("report", 2, 6)],
    ],
)
def test_small_counts_cannot_be_worked_out_from_the_published_tables(
    personas: Personas, stays: list[tuple[str, float, int]]
) -> None:
    for state, days, count in stays:
        _stays(personas.organization, "formal", state, days, count)
    result = stage_times(personas.organization)
    published = result.time.published
    assert attack(published) == []
    truthful(published, [list(row) for row in published.table.counts])
    _shares_from_shown_figures(result.time, dict(result.shares))


def test_the_insights_page_shows_the_stage_tables(personas: Personas) -> None:
    _stays(personas.organization, "formal", "filed", 3, 12)
    client = client_for(personas.admin, personas.vault_keys["admin"])
    page = client.get("/insights/").content.decode()
    assert "Time in each stage" in page and "Formal process: Filed — Within target" in page
    assert 'id="stage-target-shares"' in page


def test_the_pdf_carries_the_stage_table_as_the_page_prints_it(personas: Personas) -> None:
    import io

    from pypdf import PdfReader

    _stays(personas.organization, "formal", "filed", 3, 12)
    _stays(personas.organization, "formal", "filed", 12, 2)  # a small count: never printed as 2
    _stays(personas.organization, "formal", "investigation", 20, 9)
    response = client_for(personas.admin, personas.vault_keys["admin"]).get("/insights/report.pdf")
    assert response.status_code == 200
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages).split())
    published = stage_times(personas.organization)
    assert "Time in each stage" in text and "Share within target" in text
    for label, figures in published.time.grid():
        assert f"{label} {' '.join(figures)}" in text, label
    shown = [figure for _label, figures in published.time.grid() for figure in figures]
    assert "2" not in shown  # the two stays past target are counted with the next row
    for label, share in published.shares:
        assert f"{label}: {share}" in text


def _shares_from_shown_figures(insight: Insight, given: dict[str, str]) -> None:
    """Each share is what the shown row totals of that stage's own rows give, else "—"."""
    grid = dict(insight.grid())
    for label, share in given.items():
        if label == "Total":
            continue
        figures = []
        for part in ("Within target", "Past target"):
            name = f"{label} — {part}"
            if name in grid:
                figures.append(grid[name][-1])
            else:  # combined with another row: no figure of its own; else empty: none on the page
                figures.append("combined" if any(name in row for row in grid) else "0")
        if share == "—":
            assert not all(figure.isdigit() for figure in figures) or figures == ["0", "0"], label
            continue
        assert all(figure.isdigit() for figure in figures), (label, figures)
        assert share == f"{round(100 * int(figures[0]) / (int(figures[0]) + int(figures[1])))}%"


def test_the_time_and_target_figures_give_no_small_count_back_read_together(personas: Personas) -> None:
    """Read as time by stage and within target by stage: 7- and 30-day targets fall on the
    buckets' edges, so "within target" is a sum of time buckets; shown apart, the two gave the
    restorative review's "8 to 30 days" (2) back. One table keeps every such sum its own."""
    organization = personas.organization
    for pathway, state, counts in (
        ("formal", "filed", (5, 8, 1, 8)),
        ("restorative", "review", (8, 2, 5, 0)),
        ("intake", "intake", (6, 4, 10, 8)),
    ):
        for days, count in zip((3, 20, 60, 100), counts, strict=True):
            if count:
                _stays(organization, pathway, state, days, count)
    result = stage_times(organization)
    published = result.time.published
    assert attack(published) == []
    _shares_from_shown_figures(result.time, dict(result.shares))


BUCKET_EDGES = (7, 30, 90)
STAGES = TARGETABLE[:4]
stays_strategy = st.lists(
    st.tuples(
        st.sampled_from(STAGES),
        st.sampled_from([1, 6, 7, 7.5, 8, 14, 29, 30, 31, 45, 90, 91, 200]),  # days, edges included
        st.booleans(),
    ),
    max_size=45,
)
targets_strategy = st.lists(
    st.one_of(st.none(), st.sampled_from(BUCKET_EDGES), st.integers(1, 120)), min_size=4, max_size=4
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(stays_strategy, targets_strategy, st.sampled_from([3, 5, 7]))
def test_no_organization_and_targets_let_the_stage_figures_give_a_small_count_back(
    generated: list[tuple[tuple[str, str], float, bool]], days: list[int | None], threshold: int
) -> None:
    """Whatever targets an administrator sets, on a bucket's edge or not: the integer program,
    fed the labels the page prints and told every target (so which cells must be zero), pins no
    "<T"; and every share is worked out from shown figures."""
    targets = dict(zip(STAGES, days, strict=True))
    stays: list[Stay] = [(stage, timedelta(days=spent), finished) for stage, spent, finished in generated]
    keys, counts = table_counts(stays, targets, STAGES)
    insight, kept = published_table(keys, counts, key="generated", threshold=threshold)
    published = insight.published
    truthful(published, [list(row) for row in published.table.counts])
    assert attack(published) == []
    known_zero = _told_the_targets(published, kept, targets)
    assert recovered(published.values, published.marks, threshold, known_zero) == []
    _shares_from_shown_figures(insight, dict(shares(insight, kept)))


ENDS = (7, 30, 90)  # the buckets' upper ends in days; the last bucket has none


def _cannot_hold(key: tuple[tuple[str, str], str], column: int, targets: dict[tuple[str, str], int | None]) -> bool:
    """Whether the target alone makes a row's entry zero: a within-target row's buckets past
    the target, a past-target row's buckets within it, the open column of a row that is not past."""
    stage, part = key
    target = targets[stage]
    if column == len(ENDS) + 1:  # still open past target
        return part != "past"
    if part == "all" or target is None:
        return False
    low = 0 if column == 0 else ENDS[column - 1]
    if part == "within":
        return low >= target
    return column < len(ENDS) and ENDS[column] <= target


def _told_the_targets(
    published: Published, kept: list[tuple[tuple[str, str], str]], targets: dict[tuple[str, str], int | None]
) -> tuple[list[tuple[int, int]], int, int] | None:
    """The entries a reader who knows the targets knows to be zero, as one known sum of 0."""
    if not kept:
        return None
    zeros = [
        (g, c)
        for g, group in enumerate(published.row_groups)
        for c, columns in enumerate(published.column_groups)
        if all(_cannot_hold(kept[row], column, targets) for row in group for column in columns)
    ]
    return (zeros, 0, 0) if zeros else None


def test_shown_as_two_tables_the_same_stays_gave_a_small_count_back() -> None:
    """Why time and target are one table: the report's stays, published as a time table and a
    within-target table each protected alone, let the integer program, told that a 7-day target
    is the first bucket and a 30-day one the first two, pin a "<5" the time table hides."""
    stages = (("formal", "filed"), ("restorative", "review"), ("intake", "intake"))
    time_counts = ((5, 8, 1, 8), (8, 2, 5, 0), (6, 4, 10, 8))
    ends = {("formal", "filed"): 1, ("restorative", "review"): 2, ("intake", "intake"): 1}  # buckets within
    target_counts = tuple(
        (sum(row[: ends[s]]), sum(row[ends[s] :])) for s, row in zip(stages, time_counts, strict=True)
    )
    names = tuple(f"{p}.{s}" for p, s in stages)
    time = publish(Table("time", names, ("7", "30", "90", "more"), time_counts), threshold=5)
    target = publish(Table("target", names, ("within", "past"), target_counts), threshold=5)
    assert time.row_groups == target.row_groups == ((0,), (1,), (2,))
    tables = [time, target]
    variables: dict[tuple[Any, ...], int] = {}
    for t, table in enumerate(tables):
        for r, row in enumerate(table.marks):
            for c, mark in enumerate(row):
                if mark is not Mark.SHOWN:
                    variables[(t, r, c)] = len(variables)
    equations, constants = [], []

    def equation(terms: list[tuple[int, int, int, int]]) -> None:
        line, constant = np.zeros(len(variables)), 0.0
        for t, r, c, sign in terms:
            if tables[t].marks[r][c] is Mark.SHOWN:
                constant -= sign * tables[t].values[r][c]
            else:
                line[variables[(t, r, c)]] += sign
        equations.append(line)
        constants.append(constant)

    for t, table in enumerate(tables):
        height, width = len(table.values), len(table.values[0])
        for r in range(height):
            equation([(t, r, c, 1) for c in range(width - 1)] + [(t, r, width - 1, -1)])
        for c in range(width):
            equation([(t, r, c, 1) for r in range(height - 1)] + [(t, height - 1, c, -1)])
    for r, stage in enumerate(stages):
        equation([(0, r, c, 1) for c in range(ends[stage])] + [(1, r, 0, -1)])  # within = those buckets
        equation([(0, r, 4, 1), (1, r, 2, -1)])  # the same stays
    low, high = np.zeros(len(variables)), np.full(len(variables), np.inf)
    for (t, r, c), index in variables.items():
        small = tables[t].marks[r][c] is Mark.SMALL
        low[index], high[index] = (1, 4) if small else (5, np.inf)
    constraint = LinearConstraint(np.array(equations), constants, constants)
    pinned = _pinned(tables, variables, constraint, Bounds(low, high))
    assert any(t == 0 for t, _r, _c in pinned)  # a "<5" the time table hides


def test_a_stage_table_shown_as_its_total_alone_does_not_say_which_rows_it_had(personas: Personas) -> None:
    """Stages nobody was in are left out of the table, so which rows it has depends on the
    counts. Shown as its total alone, it names none of them: one stay within target and one
    past it print exactly what two stays within target print."""
    _stays(personas.organization, "formal", "filed", 3, 1)
    _stays(personas.organization, "formal", "filed", 40, 1)
    _stays(personas.other_organization, "formal", "filed", 3, 2)
    printed = []
    for organization in (personas.organization, personas.other_organization):
        insight = stage_times(organization).time
        assert insight.published.total_only
        printed.append((insight.header, insight.grid(), chart_bars(insight), stage_times(organization).shares))
    assert printed[0] == printed[1] == ([], [("Total", ["<5"])], [], [])
