"""How long cases stay in each stage, and how often within the organization's target.

Counted from ``cases.StagePeriod`` (a case's stays in its stages: plaintext pathway, stage
and dates, nothing sealed) as of the start of the quarter (``aggregates.snapshot``), like
every other table, and published through ``disclosure.publish``: small counts hidden,
complements withheld, categories combined where that is not enough, noise if set. The share
within target is worked out only from figures the page shows, so it reveals nothing the
table does not.
"""

from __future__ import annotations

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
TIME_SPEC = Spec(
    "stage_time",
    gettext_lazy("Time in each stage"),
    gettext_lazy("Stages cases finished before the start of this quarter, by how long the case stayed in them."),
    gettext_lazy("Stage"),
    "rows",
    lambda _source: ([], [], []),  # built by ``stage_times``, not from the shared Source
)
TARGET_SPEC = Spec(
    "stage_target",
    gettext_lazy("Stages within the organization's target"),
    gettext_lazy(
        "Stages with a target time: finished within it, or past it (finished late, or still open past it at the "
        "start of this quarter)."
    ),
    gettext_lazy("Stage"),
    "rows",
    lambda _source: ([], [], []),  # built by ``stage_times``, not from the shared Source
)


@dataclass(frozen=True)
class StageTimes:
    time: Insight
    target: Insight
    shares: list[tuple[str, str]]  # (published row label, "83%" or "—")


def _label(pathway: str, state: str) -> str:
    return f"{Pathway(pathway).label}: {STATE_LABELS[state]}"


def _bucket(spent: timedelta) -> int:
    return next(index for index, (limit, _label) in enumerate(DURATIONS) if limit is None or spent <= limit)


def _counts(
    organization: Organization, as_of: datetime
) -> tuple[list[tuple[str, str]], list[list[int]], list[list[int]]]:
    """(stages counted, time-bucket counts per stage, [within, past] per stage)."""
    targets = targets_for(organization)
    stages = list(TARGETABLE)
    index = {key: number for number, key in enumerate(stages)}
    time = [[0] * len(DURATIONS) for _ in stages]
    target = [[0, 0] for _ in stages]
    periods = (
        StagePeriod.objects.filter(case__organization=organization, entered_at__lt=as_of)
        .exclude(case__pathway=Pathway.SELF)
        .values_list("pathway", "state", "entered_at", "left_at")
    )
    for pathway, state, entered_at, left_at in periods:
        row = index.get((pathway, state))
        if row is None:
            continue
        finished = left_at is not None and left_at < as_of
        spent = (left_at if left_at is not None and finished else as_of) - entered_at
        if finished:
            time[row][_bucket(spent)] += 1
        days = targets.get((pathway, state))
        if days is None:
            continue
        if spent > timedelta(days=days):
            target[row][1] += 1
        elif finished:
            target[row][0] += 1
    return stages, time, target


def _group_labels(names: list[str], groups: tuple[tuple[int, ...], ...]) -> list[str]:
    if len(groups) == 1 and len(names) > 1:
        return [_("All")]
    return [" + ".join(names[index] for index in group) for group in groups]


def _published(
    organization: Organization,
    spec: Spec,
    *,
    as_of: datetime,
    rows: list[str],
    columns: list[str],
    counts: list[list[int]],
) -> Insight:
    kept = [(row, line) for row, line in zip(rows, counts, strict=True) if any(line)]
    rows, counts = [row for row, _line in kept], [line for _row, line in kept]
    if not rows:
        rows, columns, counts = [], [], [[0]]
    table = Table(
        key=f"{organization.pk}|{spec.key}|{as_of.isoformat()}",
        rows=tuple(rows) or ("",),
        columns=tuple(columns) or ("",),
        counts=tuple(tuple(line) for line in counts),
    )
    epsilon = settings.CHORUS_INSIGHTS_EPSILON or None
    published = publish(table, threshold=settings.CHORUS_INSIGHTS_THRESHOLD, epsilon=epsilon, key=noise_key())
    if rows and columns:
        rows, columns = _group_labels(rows, published.row_groups), _group_labels(columns, published.column_groups)
    return Insight(spec=spec, published=published, rows=rows, columns=columns)


def _shares(target: Insight) -> list[tuple[str, str]]:
    """Per published row: the share within target, from shown figures only."""
    if target.empty or target.published.columns_collapsed:
        return []
    published = target.published
    within_column = 0  # two columns: merged, they collapse into one (handled above)
    shares = []
    for row, label in enumerate([*target.rows, _("Total")]):
        if published.rows_collapsed and row < len(target.rows):
            continue
        within, total = published.shown(row, within_column), published.shown(row, len(published.values[0]) - 1)
        share = f"{round(100 * within / total)}%" if within is not None and total else "—"
        shares.append((label, share))
    return shares


def stage_times(organization: Organization, *, as_of: datetime | None = None) -> StageTimes:
    as_of = as_of or snapshot()
    stages, time, target = _counts(organization, as_of)
    labels = [_label(pathway, state) for pathway, state in stages]
    durations = [str(label) for _limit, label in DURATIONS]
    time_insight = _published(organization, TIME_SPEC, as_of=as_of, rows=labels, columns=durations, counts=time)
    target_insight = _published(
        organization,
        TARGET_SPEC,
        as_of=as_of,
        rows=labels,
        columns=[_("Within target"), _("Past target")],
        counts=target,
    )
    return StageTimes(time=time_insight, target=target_insight, shares=_shares(target_insight))
