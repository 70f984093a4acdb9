"""The organization's figures, counted from what the database holds in the clear.

Only columns that are already plaintext are counted: a record's registered category and
period (which the survivor chose to register), a case's pathway, state and dates, a
measure's kind and dates, decisions and appeals. Nothing here decrypts anything.

Every figure is as of the start of the current quarter (``snapshot``): a table that
changed with each new case would let someone who watches it learn when one was opened
(a differencing attack), so the tables move four times a year.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import NamedTuple
from uuid import UUID

from django.conf import settings
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Organization
from chorus.cases.machine import MEASURE_KINDS, Pathway, Role
from chorus.cases.models import Appeal, Case, Decision, Item, Measure, RepairRequest
from chorus.insights.disclosure import (
    DisclosureError,
    Known,
    Linked,
    Mark,
    Published,
    Table,
    line_groups,
    publish,
)
from chorus.records.models import Category, Record

FIRST_RESPONSE = (
    ("2d", _("Within 2 days")),
    ("7d", _("3 to 7 days")),
    ("later", _("More than a week")),
    ("none", _("No response yet")),
)
MEASURE_OUTCOMES = (
    ("on_time", _("Done on time")),
    ("late", _("Done late")),
    ("overdue", _("Open, past due")),
    ("open", _("Open")),
    ("declined", _("Not agreed")),
)
OUTCOMES = (
    ("ongoing", _("Ongoing")),
    ("closed", _("Closed")),
    ("withdrawn", _("Withdrawn")),
    ("upheld", _("Finding: responsible")),
    ("not_upheld", _("Finding: not responsible")),
)
FINDINGS = frozenset(index for index, (code, _label) in enumerate(OUTCOMES) if code in ("upheld", "not_upheld"))
APPEAL_OUTCOMES = (
    ("not_appealed", _("Not appealed")),
    ("pending", _("Appeal under way")),
    ("stands", _("Appealed, decision stands")),
    ("reversed", _("Appealed, reversed")),
)
# Self-initiated plans, by what became of the plan's latest request for repair. Never asked
# and never answered are one row, as he sees them (``cases.services.repair.told``).
SELF_INITIATED = (
    ("no_request", _("Plan, no request for repair")),
    ("under_way", _("Request under way")),
    ("not_passed_on", _("Request not passed on")),
    ("closed", _("Request closed without an answer")),
    ("nothing", _("Answer: nothing wanted")),
    ("acknowledgement", _("Answer: an acknowledgement")),
    ("apology", _("Answer: an apology")),
    ("restorative", _("Answer: a restorative process")),
)
_REPAIR_ROWS = {
    "facilitator": "under_way",
    "advocates": "under_way",
    "asked": "under_way",
    "not_forwarded": "not_passed_on",
    "not_asked": "closed",
    "expired": "closed",
}
# The side of the organization whose first step counts as a response.
RESPONDING_ROLES = (Role.FACILITATOR, Role.INVESTIGATOR)


def snapshot(now: datetime | None = None) -> datetime:
    """The start of the current quarter (UTC): every table counts what existed before it."""
    now = (now or timezone.now()).astimezone(UTC)
    return datetime(now.year, 3 * ((now.month - 1) // 3) + 1, 1, tzinfo=UTC)


def quarter_label(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.year} Q{(moment.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Spec:
    """One table: what it counts, its labels, and which totals its chart draws."""

    key: str
    title: str | Promise
    description: str | Promise
    rows_label: str | Promise
    chart: str  # "rows": a bar per row total; "columns": a bar per column total
    build: Callable[[Source], tuple[list[str], list[str], list[list[int]]]]
    # Its rows are every case by pathway, like the other tables marked so: they are
    # published with the same row groups and row totals (``disclosure.line_groups``).
    shares_rows: bool = False
    # What another table tells a reader about this one's columns (without noise).
    known: Callable[[Source, int], Known] | None = None
    # Its grand total is another table's columns plus a known number; that table is
    # published first, and this one reading both (without noise).
    linked: tuple[str, Callable[[Source, Published], Linked | None]] | None = None


def _grid(pairs: Iterable[tuple[str, str]], rows: list[str], columns: list[str]) -> list[list[int]]:
    counts = Counter(pairs)
    return [[counts[(row, column)] for column in columns] for row in rows]


def _labels(choices: Iterable[tuple[str, object]]) -> tuple[list[str], dict[str, str]]:
    pairs = list(choices)
    return [code for code, _label in pairs], {code: str(label) for code, label in pairs}


# Self-initiated accountability names no one who was harmed: it is not an experience reported.
PATHWAYS = _labels(choice for choice in Pathway.choices if choice[0] != Pathway.SELF)


class CaseRow(NamedTuple):
    pk: UUID
    pathway: str
    state: str
    opened_at: datetime
    closed_at: datetime | None


class Source:
    """What the tables count, read once per look: plain rows, not model instances."""

    def __init__(self, organization: Organization, as_of: datetime) -> None:
        self.organization = organization
        self.as_of = as_of
        self.case_filter = Q(case__organization=organization, case__opened_at__lt=as_of) & ~Q(
            case__pathway=Pathway.SELF
        )

    @cached_property
    def cases(self) -> list[CaseRow]:
        rows = Case.objects.filter(organization=self.organization, opened_at__lt=self.as_of).exclude(
            pathway=Pathway.SELF
        )
        return [CaseRow(*row) for row in rows.values_list("pk", "pathway", "state", "opened_at", "closed_at")]

    @cached_property
    def decisions(self) -> dict[UUID, dict[tuple[int, str], tuple[bool, datetime]]]:
        """Per case: (allegation, stage) → (upheld, when), for decisions made before the snapshot."""
        found: dict[UUID, dict[tuple[int, str], tuple[bool, datetime]]] = {}
        rows = Decision.objects.filter(self.case_filter, decided_at__lt=self.as_of).values_list(
            "case_id", "allegation_id", "stage", "upheld", "decided_at"
        )
        for case_id, allegation, stage, upheld, at in rows:
            found.setdefault(case_id, {})[(allegation, stage)] = (upheld, at)
        return found

    @cached_property
    def appeals(self) -> set[UUID]:
        rows = Appeal.objects.filter(self.case_filter, filed_at__lt=self.as_of).values_list("case_id", flat=True)
        return set(rows)

    def appeal_outcome(self, case_id: UUID) -> str | None:
        """Where a decided case stands with respect to appeal (None: not decided yet)."""
        stages = self.decisions.get(case_id)
        if not stages:
            return None
        if case_id not in self.appeals:
            return "not_appealed"
        if not any(stage == "appeal" for _, stage in stages):
            return "pending"
        reversed_ = any(
            stage == "appeal" and stages.get((allegation, "panel"), (upheld, at))[0] != upheld
            for (allegation, stage), (upheld, at) in stages.items()
        )
        return "reversed" if reversed_ else "stands"

    @cached_property
    def decided_then_withdrawn(self) -> int:
        """Formal cases decided and then withdrawn: in the decisions table, not among the findings."""
        return sum(case.pk in self.decisions and _outcome(self, case) == "withdrawn" for case in self.cases)

    def finding(self, case_id: UUID) -> bool | None:
        """Whether any allegation was finally found (an appeal's finding replaces the panel's)."""
        stages = self.decisions.get(case_id)
        if not stages:
            return None
        final = {allegation: upheld for (allegation, stage), (upheld, _) in stages.items() if stage == "panel"}
        final.update({allegation: upheld for (allegation, stage), (upheld, _) in stages.items() if stage == "appeal"})
        return any(final.values())


Built = tuple[list[str], list[str], list[list[int]]]


def _registered(source: Source) -> Built:
    rows = list(
        Record.objects.filter(organization=source.organization, created_at__lt=source.as_of)
        .exclude(registered_category="")
        .values_list("registered_category", "registered_period")
    )
    categories, names = _labels(Category.choices)
    periods = sorted({period for _, period in rows})
    return [names[code] for code in categories], periods, _grid(rows, categories, periods)


def _opened(source: Source) -> Built:
    pathways, names = PATHWAYS
    pairs = [(case.pathway, quarter_label(case.opened_at)) for case in source.cases]
    quarters = sorted({quarter for _, quarter in pairs})
    return [names[code] for code in pathways], quarters, _grid(pairs, pathways, quarters)


def _first_response(source: Source) -> Built:
    first_item = dict(
        Item.objects.filter(source.case_filter, created_at__lt=source.as_of)
        .exclude(author__isnull=False, author__role__in=[r for r in Role if r not in RESPONDING_ROLES])
        .values_list("case_id")
        .annotate(first=Min("created_at"))
    )
    first_measure = dict(
        Measure.objects.filter(source.case_filter, decided_at__lt=source.as_of)
        .values_list("case_id")
        .annotate(first=Min("decided_at"))
    )

    def bucket(case: CaseRow) -> str:
        moments = [m for m in (first_item.get(case.pk), first_measure.get(case.pk)) if m is not None]
        if not moments:
            return "none"
        waited = min(moments) - case.opened_at
        return "2d" if waited <= timedelta(days=2) else "7d" if waited <= timedelta(days=7) else "later"

    pathways, names = PATHWAYS
    columns, column_names = _labels(FIRST_RESPONSE)
    pairs = [(case.pathway, bucket(case)) for case in source.cases]
    return [names[p] for p in pathways], [column_names[c] for c in columns], _grid(pairs, pathways, columns)


def _measures(source: Source) -> Built:
    as_of = source.as_of
    rows = Measure.objects.filter(source.case_filter, kind=Measure.Kind.SUPPORTIVE, requested_at__lt=as_of)

    def outcome(status: str, due_at: datetime | None, done_at: datetime | None) -> str:
        if status == Measure.Status.DECLINED:
            return "declined"
        if done_at is not None and done_at < as_of:
            return "late" if due_at and done_at > due_at else "on_time"
        return "overdue" if due_at and due_at < as_of else "open"

    kinds, names = _labels(MEASURE_KINDS)
    columns, column_names = _labels(MEASURE_OUTCOMES)
    pairs = [
        (category or "other", outcome(status, due_at, done_at))
        for category, status, due_at, done_at in rows.values_list("category", "status", "due_at", "done_at")
    ]
    return [names[k] for k in kinds], [column_names[c] for c in columns], _grid(pairs, kinds, columns)


def _outcome(source: Source, case: CaseRow) -> str:
    ended = case.closed_at is not None and case.closed_at < source.as_of
    if case.state == "withdrawn" and ended:
        return "withdrawn"
    finding = source.finding(case.pk)
    if finding is not None:
        return "upheld" if finding else "not_upheld"
    return "closed" if ended else "ongoing"


def _outcomes(source: Source) -> Built:
    pathways, names = PATHWAYS
    columns, column_names = _labels(OUTCOMES)
    pairs = [(case.pathway, _outcome(source, case)) for case in source.cases]
    return [names[p] for p in pathways], [column_names[c] for c in columns], _grid(pairs, pathways, columns)


def _findings(source: Source, threshold: int) -> Known:
    """What the decisions table tells a reader about the outcomes table's findings.

    Every formal case decided is in the decisions table (its grand total) and, unless it was
    withdrawn after the decision, in one of the outcomes table's two finding columns. The
    number withdrawn so is taken as known to the reader (it is not published, but someone
    close to the process may know it): the findings then add up to the decisions total less
    that number, exactly when the total is shown, within the range "<5" leaves otherwise.
    """
    decided, withdrawn = len(source.decisions), source.decided_then_withdrawn
    if decided == 0 or decided >= threshold:
        return Known(FINDINGS, decided - withdrawn, decided - withdrawn)
    return Known(FINDINGS, max(0, 1 - withdrawn), threshold - 1 - withdrawn, small=True)


def _decisions_linked(source: Source, outcomes: Published) -> Linked | None:
    """The decisions table's total is the outcomes table's findings plus the cases withdrawn
    after a decision: the decisions table is published reading both pages at once."""
    findings = frozenset(g for g, group in enumerate(outcomes.column_groups) if set(group) <= FINDINGS)
    if not findings or not source.decisions:  # the outcomes table shows its grand total alone, or none decided
        return None
    return Linked(outcomes.values, outcomes.marks, findings, source.decided_then_withdrawn)


def _appeals(source: Source) -> Built:
    pairs = []
    for case_id, stages in source.decisions.items():
        outcome = source.appeal_outcome(case_id)
        if outcome is not None:
            first = min(at for _, at in stages.values())
            pairs.append((str(first.astimezone(UTC).year), outcome))
    years = sorted({year for year, _ in pairs})
    columns, column_names = _labels(APPEAL_OUTCOMES)
    return years, [column_names[c] for c in columns], _grid(pairs, years, columns)


def _self_initiated(source: Source) -> Built:
    """Each self-initiated plan once, by the year it was started and what became of its
    latest request for repair (counted from plain columns: status and answer)."""
    plans = Case.objects.filter(
        organization=source.organization, opened_at__lt=source.as_of, pathway=Pathway.SELF
    ).values_list("pk", "opened_at")
    latest: dict[UUID, str] = {}
    for case_id, status, answer in (
        RepairRequest.objects.filter(case__organization=source.organization, requested_at__lt=source.as_of)
        .order_by("requested_at", "id")
        .values_list("case_id", "status", "answer")
    ):
        latest[case_id] = answer if status == RepairRequest.Status.ANSWERED else _REPAIR_ROWS[status]
    pairs = [(latest.get(case_id, "no_request"), str(opened_at.astimezone(UTC).year)) for case_id, opened_at in plans]
    rows, row_names = _labels(SELF_INITIATED)
    years = sorted({year for _, year in pairs})
    return [row_names[r] for r in rows], years, _grid(pairs, rows, years)


SPECS: tuple[Spec, ...] = (
    Spec(
        "registered",
        _("Experiences registered"),
        _("Records whose authors chose to register a category and a period, by when it happened."),
        _("What happened"),
        "rows",
        _registered,
    ),
    Spec(
        "opened",
        _("Experiences brought to a process"),
        _("Cases opened, by the pathway the survivor chose and the quarter the case was opened."),
        _("Pathway"),
        "columns",
        _opened,
        shares_rows=True,
    ),
    Spec(
        "first_response",
        _("Time to a first response"),
        _(
            "From a case's opening to the first step the organization took in it "
            "(a message from the advocates, a facilitator or investigator, or a decision on a measure)."
        ),
        _("Pathway"),
        "columns",
        _first_response,
        shares_rows=True,
    ),
    Spec(
        "measures",
        _("Supportive measures"),
        _("Measures survivors asked for, by kind, and whether they were carried out by their due date."),
        _("Measure"),
        "columns",
        _measures,
    ),
    Spec(
        "outcomes",
        _("Outcomes"),
        _("Where each case stands, by pathway. A formal finding counts the final decision (after any appeal)."),
        _("Pathway"),
        "columns",
        _outcomes,
        shares_rows=True,
        known=_findings,
    ),
    Spec(
        "appeals",
        _("Decisions and appeals"),
        _("Formal cases decided, by the year of the first decision, and what became of any appeal."),
        _("Year decided"),
        "columns",
        _appeals,
        linked=("outcomes", _decisions_linked),
    ),
    Spec(
        "self_initiated",
        _("Self-initiated accountability"),
        _(
            "Accountability plans members started for themselves, by the year started, and what became of "
            "any request for repair they made. Never asked and never answered are counted together."
        ),
        _("Plan and request for repair"),
        "rows",
        _self_initiated,
    ),
)


@dataclass(frozen=True)
class Insight:
    """A published table with its labels: ``rows`` and ``columns`` name the published rows
    and columns, which are the table's own unless some had to be combined (see ``note``)."""

    spec: Spec
    published: Published
    rows: list[str]
    columns: list[str]

    def figure(self, row: int, column: int) -> str:
        """What the page shows for one entry (totals are the last row and column)."""
        if self.published.marks[row][column] is Mark.WITHHELD:
            return str(_("withheld"))
        return self.published.label(row, column)

    @property
    def header(self) -> list[str]:
        """The columns the page draws before the totals column (none when all were combined)."""
        return [] if self.published.columns_collapsed else self.columns

    def grid(self) -> list[tuple[str, list[str]]]:
        """(row label, shown figures with the row total last), the totals row last.

        A dimension combined into one group is left out: its single row or column would only
        repeat the totals.
        """
        labels = [*self.rows, str(_("Total"))]
        width = len(self.columns) + 1
        columns = [width - 1] if self.published.columns_collapsed else list(range(width))
        rows = [len(labels) - 1] if self.published.rows_collapsed else list(range(len(labels)))
        return [(labels[r], [self.figure(r, c) for c in columns]) for r in rows]

    @property
    def note(self) -> str:
        """Why the table is coarser than its categories, in a sentence ("" when it is not)."""
        threshold = self.published.threshold
        if self.published.total_only:
            return _(
                "Only the total is shown: split by category or by period, these figures could let someone "
                "work out a count under %(threshold)s."
            ) % {"threshold": threshold}
        published = self.published
        joined = (published.rows_merged and not published.rows_collapsed) or (
            published.columns_merged and not published.columns_collapsed
        )
        if joined:  # a label on the page shows the "+"
            return _(
                "Some categories are combined (joined by “+”): a category with a total under %(threshold)s "
                "is counted with the next one, so that its counts cannot be worked out."
            ) % {"threshold": threshold}
        if published.columns_collapsed:  # every column counted as one: the grid keeps the totals column
            return _(
                "Each line shows only its total: split further, these figures could let someone work out a count "
                "under %(threshold)s."
            ) % {"threshold": threshold}
        if published.rows_collapsed:  # every row counted as one: the grid keeps the totals row
            return _(
                "Only the totals line is shown: split further, these figures could let someone work out a count "
                "under %(threshold)s."
            ) % {"threshold": threshold}
        return ""

    @property
    def empty(self) -> bool:
        return not self.rows or not self.columns or self.published.values[-1][-1] == 0


def _group_labels(names: list[str], groups: tuple[tuple[int, ...], ...]) -> list[str]:
    """A published row or column's label: its own name, its names joined by "+", or "All"."""
    if len(groups) == 1 and len(names) > 1:
        return [str(_("All"))]
    return [" + ".join(names[index] for index in group) for group in groups]


def noise_key() -> bytes:
    return settings.SECRET_KEY.encode() + b"|insights-noise"


def insights(organization: Organization, *, as_of: datetime | None = None) -> list[Insight]:
    """Every table, published (small lines counted with their neighbours, small counts
    hidden, complements withheld, or the grand total alone where that is not enough; noise
    if set)."""
    as_of = as_of or snapshot()
    threshold = settings.CHORUS_INSIGHTS_THRESHOLD
    epsilon = settings.CHORUS_INSIGHTS_EPSILON or None
    source = Source(organization, as_of)
    built = [(spec, *spec.build(source)) for spec in SPECS]
    sharing = [counts for spec, _rows, _columns, counts in built if spec.shares_rows]
    shared = None if epsilon else _shared_rows(sharing, threshold)
    done: dict[str, Insight] = {}
    for spec, rows, columns, counts in built:
        linked = None
        if spec.linked and not epsilon:
            other, tie = spec.linked
            linked = tie(source, done[other].published)
        done[spec.key] = _published(
            spec, rows, columns, counts, key=f"{organization.pk}|{spec.key}|{as_of.isoformat()}",
            shared_rows=shared if spec.shares_rows else None,
            known=spec.known(source, threshold) if spec.known and not epsilon else None,
            linked=linked,
        )  # fmt: skip
    return list(done.values())


def _published(
    spec: Spec,
    rows: list[str],
    columns: list[str],
    counts: list[list[int]],
    *,
    key: str,
    shared_rows: tuple[tuple[int, ...], ...] | None,
    known: Known | None,
    linked: Linked | None = None,
) -> Insight:
    if not rows or not columns:  # nothing counted yet: one empty cell
        table = Table(key=key, rows=("",), columns=("",), counts=((0,),))
        shared_rows = known = linked = None
    else:
        table = Table(key=key, rows=tuple(rows), columns=tuple(columns), counts=tuple(tuple(row) for row in counts))
    published = publish(
        table,
        threshold=settings.CHORUS_INSIGHTS_THRESHOLD,
        epsilon=settings.CHORUS_INSIGHTS_EPSILON or None,
        key=noise_key(),
        shared_rows=shared_rows,
        known=known,
        linked=linked,
    )
    if not rows or not columns:
        return Insight(spec=spec, published=published, rows=[], columns=[])
    return Insight(
        spec=spec,
        published=published,
        rows=_group_labels(rows, published.row_groups),
        columns=_group_labels(columns, published.column_groups),
    )


def _shared_rows(tables: list[list[list[int]]], threshold: int) -> tuple[tuple[int, ...], ...] | None:
    """The row groups of the tables that count every case by pathway.

    Without noise, each of them shows a pathway's total exactly, and they must show the same
    figure: a total one table withholds and another shows gives the first one's hidden
    counts back. With noise the tables' totals differ (each sums its own noisy cells), and
    each is published on its own.
    """
    totals = {tuple(sum(row) for row in counts) for counts in tables if counts}
    if len(totals) != 1:  # every case has a quarter, a first-response bucket and an outcome
        raise DisclosureError(f"the tables that count cases by pathway disagree on their totals: {sorted(totals)}")
    return line_groups(next(iter(totals)), threshold)
