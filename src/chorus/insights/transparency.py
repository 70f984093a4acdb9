"""The transparency report every member can see: what the processes did, and how often
someone tried to change a decision outside the appeal path.

Figures about cases are as of the start of the quarter, and a figure under the threshold
is shown as "<5", as in every other table: "one case was appealed this week" next to a
colleague's hearing would say whose. The count of refused attempts to change a decision
is different: it is about those who hold power over the process, not about anyone who
reported, so it is exact and up to date. It counts real attempts: each person once per
deciding step and case, and only on cases of this organization (the ledger may hold older
events about case ids that never existed; they are not counted).

The figures that the insights tables also hold are read off those tables as published, never
counted again: "Cases opened" is the grand total of the cases-opened table, and "Formal
cases decided", "Decisions appealed" and "Decisions reversed on appeal" come from the
decisions-and-appeals table (its grand total, and its columns). Counted afresh, they would
be extra equations next to the published table: "reversed" shown exactly beside a table that
withholds its "reversed" column total would give that total back, and an exact number of
decisions appealed beside three "<5" columns could pin them. Read off the table, they tell
nobody anything the table does not: a figure the table does not show on its own ("Decisions
appealed" when it cannot be added up from shown figures) is "not shown".

No figure is counted afresh beside the tables: the number of cases that ended, which once
stood here, is in no table and would bound the outcomes table's columns from outside its
audit, so it is not published.

Preparation before power: for each role that investigates, decides or facilitates, the share
of the members holding it who hold current preparation for it. Who holds those roles is
public to members (the "Who holds power" page), so an exact share of a small group is a
count about named people: "2 of 3 panel members" leaves each of three people one in three
likely to be the one unprepared, and 0% or 100% tells each one's status. So a share is shown
only when at least the insights threshold (5) hold the role, and then rounded down to a
multiple of 10% (at least 10%, at most 90%) unless it is exactly all or none. All and none
are shown as they are: at that size they are a fact about the organization's duty, which
members are owed, rather than about any one person. Below the threshold it says "not shown".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Organization
from chorus.accounts.roles import ROLE_LABELS
from chorus.cases.models import Case
from chorus.insights.aggregates import APPEAL_OUTCOMES, Insight, insights, snapshot
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for
from chorus.preparation.services.training import shares

REFUSED_ACTION = "case.decision_change_refused"


@dataclass(frozen=True)
class Figure:
    label: str | Promise
    shown: str  # a number, "<5", "withheld" or "not shown", as the page prints it


@dataclass(frozen=True)
class Transparency:
    as_of: datetime
    figures: list[Figure]
    refused_changes: int
    noisy: bool
    preparation: list[Figure] = field(default_factory=list)


def transparency_report(organization: Organization, *, as_of: datetime | None = None) -> Transparency:
    as_of = as_of or snapshot()
    tables = {insight.spec.key: insight for insight in insights(organization, as_of=as_of)}
    opened, appeals = tables["opened"], tables["appeals"]
    figures = [
        Figure(_("Cases opened"), _grand_total(opened)),
        Figure(_("Formal cases decided"), _grand_total(appeals)),
        Figure(_("Decisions appealed"), _sum_of_columns(appeals, APPEALED)),
        Figure(_("Decisions reversed on appeal"), _sum_of_columns(appeals, REVERSED)),
    ]
    return Transparency(
        as_of=as_of,
        figures=figures,
        refused_changes=refused_changes(organization),
        noisy=any(insight.published.noisy for insight in tables.values()),
        preparation=preparation_shares(organization),
    )


def prepared_share(holders: int, prepared: int, threshold: int) -> str:
    """How the page prints the share of ``holders`` with current preparation (see above)."""
    if holders == 0:
        return str(_("nobody holds this role"))
    if holders < threshold:
        return str(_("not shown"))
    if prepared == holders:
        return str(_("all (100%)"))
    if prepared == 0:
        return str(_("none (0%)"))
    tens = min(max(prepared * 10 // holders, 1), 9) * 10
    return str(_("about %(percent)d%%") % {"percent": tens})


def preparation_shares(organization: Organization) -> list[Figure]:
    threshold = settings.CHORUS_INSIGHTS_THRESHOLD
    return [
        Figure(ROLE_LABELS[share.role], prepared_share(share.holders, share.prepared, threshold))
        for share in shares(organization)
    ]


# Columns of the decisions-and-appeals table (``aggregates.APPEAL_OUTCOMES``).
APPEAL_COLUMNS = [code for code, _label in APPEAL_OUTCOMES]
APPEALED = frozenset(APPEAL_COLUMNS.index(code) for code in ("pending", "stands", "reversed"))
REVERSED = frozenset({APPEAL_COLUMNS.index("reversed")})


def _grand_total(insight: Insight) -> str:
    published = insight.published
    return insight.figure(len(published.values) - 1, len(published.values[0]) - 1)


def _sum_of_columns(insight: Insight, columns: frozenset[int]) -> str:
    """The total of some of a published table's columns, if the table itself shows it.

    Shown when the columns are whole published columns whose totals are all shown (their
    sum), or all shown as zero but one (that one's label: the same unknown), or when the
    other columns' total and the grand total are shown (their difference). Otherwise
    "not shown": printing it would add an equation the table leaves out.
    """
    published = insight.published
    if not insight.rows:  # nothing counted yet
        return "0"
    last_row, last_column = len(published.values) - 1, len(published.values[0]) - 1
    inside = [g for g, group in enumerate(published.column_groups) if set(group) <= columns]
    outside = [g for g, group in enumerate(published.column_groups) if not set(group) & columns]
    if len(inside) + len(outside) == len(published.column_groups):  # the columns are whole groups
        hidden = [g for g in inside if published.shown(last_row, g) is None]
        shown = sum(published.shown(last_row, g) or 0 for g in inside)
        if not hidden:
            return str(shown)
        if len(hidden) == 1 and shown == 0:
            return insight.figure(last_row, hidden[0])
        others = [published.shown(last_row, g) for g in outside]
        grand = published.shown(last_row, last_column)
        if grand is not None and None not in others:
            difference = grand - sum(figure or 0 for figure in others)
            # Grouped columns' totals are 0 or at least the threshold; a small difference would
            # still be printed as the table prints a small count, never as itself.
            return f"<{published.threshold}" if 0 < difference < published.threshold else str(difference)
    return str(_("not shown"))


def _case_id(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def refused_changes(organization: Organization) -> int:
    """Refused attempts to set or change a decision: one per (person, step, case), for cases
    of this organization. Each member's refused attempts are rate-limited where they are
    made (``cases.services.act``), so the events read here stay few."""
    attempts = {
        (actor, _case_id(refs.get("case")), refs.get("action"))
        for actor, refs in LedgerEvent.objects.filter(
            chain=chain_for(organization.pk), action=REFUSED_ACTION
        ).values_list("actor", "refs")
    }
    named = {case_id for _actor, case_id, _step in attempts if case_id is not None}
    real = set(Case.objects.filter(organization=organization, pk__in=named).values_list("pk", flat=True))
    return sum(case_id in real for _actor, case_id, _step in attempts)
