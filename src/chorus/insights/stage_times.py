"""How long cases stay in each stage, and how often within the organization's target.

Counted from ``cases.StagePeriod`` (a case's stays in its stages: plaintext pathway, stage
and dates, nothing sealed) as of the start of the quarter (``aggregates.snapshot``), like
every other table, and published through ``disclosure.publish``: small counts hidden,
complements withheld, small lines counted with their neighbours, or the grand total alone
where that is not enough; noise if set.

Time and target are one table, published once: a stage with a target has a row for the
stays within it and a row for those past it (finished late, or still open past it), each
by how long they took. Two tables of the same stays, each protected alone, give small
counts back read together (a 7- or 30-day target falls on a bucket's edge, so "within
target" is a sum of the time table's cells); in one table every relation between the
figures is the table's own, which its audit covers, whatever target the organization sets.
The share within target is worked out only from figures the table shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.accounts.models import Organization
from chorus.cases.machine import STATE_LABELS, TARGETABLE, Pathway
from chorus.cases.models import StagePeriod
from chorus.cases.services.stages import targets_for
from chorus.insights.aggregates import Insight, Spec, noise_key, snapshot
from chorus.insights.disclosure import Table, publish

DURATIONS = (
    (timedelta(days=7), gettext_lazy("Up to 7 days")),
    (timedelta(days=30), gettext_lazy("8 to 30 days")),
    (timedelta(days=90), gettext_lazy("31 to 90 days")),
    (None, gettext_lazy("More than 90 days")),
)
OPEN_PAST = gettext_lazy("Still open past target")
TIME_SPEC = Spec(
    "stage_time",
    gettext_lazy("Time in each stage"),
    gettext_lazy(
        "Stages cases finished before the start of this quarter, by how long the case stayed in them and whether "
        "that was within the organization's target; and stages still open past their target then."
    ),
    gettext_lazy("Stage"),
    "rows",
    lambda _source: ([], [], []),  # built by ``stage_times``, not from the shared Source
)

Stage = tuple[str, str]  # (pathway, state)
RowKey = tuple[Stage, str]  # part: "all" (no target), "within" or "past"
Stay = tuple[Stage, timedelta, bool]  # stage, time spent (to the snapshot if open), finished


@dataclass(frozen=True)
class StageTimes:
    time: Insight
    shares: list[tuple[str, str]]  # (stage label, "83%" or "—"), then the total


def _label(pathway: str, state: str) -> str:
    return f"{Pathway(pathway).label}: {STATE_LABELS[state]}"


def _row_label(key: RowKey) -> str:
    (pathway, state), part = key
    stage = _label(pathway, state)
    if part == "all":
        return stage
    return f"{stage} — {_('Within target') if part == 'within' else _('Past target')}"


def _bucket(spent: timedelta) -> int:
    return next(index for index, (limit, _label) in enumerate(DURATIONS) if limit is None or spent <= limit)


def table_counts(
    stays: Iterable[Stay], targets: dict[Stage, int | None], stages: Iterable[Stage] = TARGETABLE
) -> tuple[list[RowKey], list[list[int]]]:
    """The rows (a stage without a target: one; with one: within, then past) and their counts:
    finished stays by duration, then the stays still open past the target."""
    keys: list[RowKey] = []
    for stage in stages:
        keys += [(stage, "all")] if targets.get(stage) is None else [(stage, "within"), (stage, "past")]
    index = {key: number for number, key in enumerate(keys)}
    counts = [[0] * (len(DURATIONS) + 1) for _ in keys]
    for stage, spent, finished in stays:
        days = targets.get(stage)
        part = "all" if days is None else "past" if spent > timedelta(days=days) else "within"
        row = index.get((stage, part))
        if row is None:
            continue
        if finished:
            counts[row][_bucket(spent)] += 1
        elif part == "past":
            counts[row][len(DURATIONS)] += 1
    return keys, counts


def _stays(organization: Organization, as_of: datetime) -> list[Stay]:
    periods = (
        StagePeriod.objects.filter(case__organization=organization, entered_at__lt=as_of)
        .exclude(case__pathway=Pathway.SELF)
        .values_list("pathway", "state", "entered_at", "left_at")
    )
    stays = []
    for pathway, state, entered_at, left_at in periods:
        end = left_at if left_at is not None and left_at < as_of else None
        stays.append(((pathway, state), (end or as_of) - entered_at, end is not None))
    return stays


def _group_labels(names: list[str], groups: tuple[tuple[int, ...], ...]) -> list[str]:
    if len(groups) == 1 and len(names) > 1:
        return [_("All")]
    return [" + ".join(names[index] for index in group) for group in groups]


def published_table(
    keys: list[RowKey],
    counts: list[list[int]],
    *,
    key: str,
    threshold: int,
    epsilon: float | None = None,
    noise: bytes = b"",
) -> tuple[Insight, list[RowKey]]:
    """The table published (empty rows left out), and the row keys it kept."""
    kept = [(row, line) for row, line in zip(keys, counts, strict=True) if any(line)]
    keys, counts = [row for row, _line in kept], [line for _row, line in kept]
    rows = [_row_label(row) for row in keys]
    columns = [str(label) for _limit, label in DURATIONS] + [str(OPEN_PAST)]
    if not rows:
        rows, columns, counts = [], [], [[0]]
    table = Table(
        key=key,
        rows=tuple(rows) or ("",),
        columns=tuple(columns) or ("",),
        counts=tuple(tuple(line) for line in counts),
    )
    published = publish(table, threshold=threshold, epsilon=epsilon, key=noise)
    if rows and columns:
        rows, columns = _group_labels(rows, published.row_groups), _group_labels(columns, published.column_groups)
    return Insight(spec=TIME_SPEC, published=published, rows=rows, columns=columns), keys


def shares(insight: Insight, keys: list[RowKey]) -> list[tuple[str, str]]:
    """Per stage with a target, and over them all: the share within target, worked out only
    from row totals the table shows for that stage's own rows ("—" otherwise)."""
    published = insight.published
    if insight.empty or published.rows_collapsed:
        return []
    last = len(published.values[0]) - 1
    alone: dict[RowKey, int | None] = {}  # a kept row published on its own: its total if shown
    for group_index, group in enumerate(published.row_groups):
        if len(group) == 1:
            alone[keys[group[0]]] = published.shown(group_index, last)
    stages = list(dict.fromkeys(stage for stage, part in keys if part != "all"))
    result, within_all, total_all, whole = [], 0, 0, True

    def figure(key: RowKey) -> int | None:
        if key not in keys:
            return 0  # no such stay: the row is not on the page
        return alone.get(key)

    for stage in stages:
        within, past = figure((stage, "within")), figure((stage, "past"))
        if within is None or past is None or not within + past:
            result.append((_label(*stage), "—"))
            whole = False
            continue
        within_all, total_all = within_all + within, total_all + within + past
        result.append((_label(*stage), f"{round(100 * within / (within + past))}%"))
    if stages:
        share = f"{round(100 * within_all / total_all)}%" if whole and total_all else "—"
        result.append((_("Total"), share))
    return result


def stage_times(organization: Organization, *, as_of: datetime | None = None) -> StageTimes:
    as_of = as_of or snapshot()
    keys, counts = table_counts(_stays(organization, as_of), targets_for(organization))
    insight, kept = published_table(
        keys,
        counts,
        key=f"{organization.pk}|{TIME_SPEC.key}|{as_of.isoformat()}",
        threshold=settings.CHORUS_INSIGHTS_THRESHOLD,
        epsilon=settings.CHORUS_INSIGHTS_EPSILON or None,
        noise=noise_key(),
    )
    return StageTimes(time=insight, shares=shares(insight, kept))
