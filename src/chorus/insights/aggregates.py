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

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Organization
from chorus.cases.machine import MEASURE_KINDS, Pathway, Role
from chorus.cases.models import Case, Decision, Item, Measure
from chorus.insights.disclosure import Mark, Published, Table, publish
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
APPEAL_OUTCOMES = (
    ("not_appealed", _("Not appealed")),
    ("pending", _("Appeal under way")),
    ("stands", _("Appealed, decision stands")),
    ("reversed", _("Appealed, reversed")),
)
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
    build: Callable[[Organization, datetime], tuple[list[str], list[str], list[list[int]]]]


def _grid(pairs: Iterable[tuple[str, str]], rows: list[str], columns: list[str]) -> list[list[int]]:
    counts = Counter(pairs)
    return [[counts[(row, column)] for column in columns] for row in rows]


def _labels(choices: Iterable[tuple[str, object]]) -> tuple[list[str], dict[str, str]]:
    pairs = list(choices)
    return [code for code, _label in pairs], {code: str(label) for code, label in pairs}


# Self-initiated accountability names no one who was harmed: it is not an experience reported.
PATHWAYS = _labels(choice for choice in Pathway.choices if choice[0] != Pathway.SELF)


def _cases(organization: Organization, as_of: datetime) -> list[Case]:
    return list(Case.objects.filter(organization=organization, opened_at__lt=as_of).exclude(pathway=Pathway.SELF))


def _registered(organization: Organization, as_of: datetime) -> tuple[list[str], list[str], list[list[int]]]:
    rows = list(
        Record.objects.filter(organization=organization, created_at__lt=as_of)
        .exclude(registered_category="")
        .values_list("registered_category", "registered_period")
    )
    categories, names = _labels(Category.choices)
    periods = sorted({period for _, period in rows})
    return [names[code] for code in categories], periods, _grid(rows, categories, periods)


def _opened(organization: Organization, as_of: datetime) -> tuple[list[str], list[str], list[list[int]]]:
    cases = _cases(organization, as_of)
    pathways, names = PATHWAYS
    quarters = sorted({quarter_label(case.opened_at) for case in cases})
    pairs = [(case.pathway, quarter_label(case.opened_at)) for case in cases]
    return [names[code] for code in pathways], quarters, _grid(pairs, pathways, quarters)


def _first_response(organization: Organization, as_of: datetime) -> tuple[list[str], list[str], list[list[int]]]:
    cases = _cases(organization, as_of)
    ids = [case.pk for case in cases]
    first_item = dict(
        Item.objects.filter(case_id__in=ids, created_at__lt=as_of)
        .exclude(author__isnull=False, author__role__in=[r for r in Role if r not in RESPONDING_ROLES])
        .values_list("case_id")
        .annotate(first=Min("created_at"))
    )
    first_measure = dict(
        Measure.objects.filter(case_id__in=ids, decided_at__lt=as_of)
        .values_list("case_id")
        .annotate(first=Min("decided_at"))
    )

    def bucket(case: Case) -> str:
        moments = [m for m in (first_item.get(case.pk), first_measure.get(case.pk)) if m is not None]
        if not moments:
            return "none"
        waited = min(moments) - case.opened_at
        return "2d" if waited <= timedelta(days=2) else "7d" if waited <= timedelta(days=7) else "later"

    pathways, names = PATHWAYS
    columns, column_names = _labels(FIRST_RESPONSE)
    pairs = [(case.pathway, bucket(case)) for case in cases]
    return [names[p] for p in pathways], [column_names[c] for c in columns], _grid(pairs, pathways, columns)


def _measures(organization: Organization, as_of: datetime) -> tuple[list[str], list[str], list[list[int]]]:
    measures = Measure.objects.filter(
        case__organization=organization, kind=Measure.Kind.SUPPORTIVE, requested_at__lt=as_of
    ).exclude(case__pathway=Pathway.SELF)

    def outcome(measure: Measure) -> str:
        done = measure.done_at if measure.done_at and measure.done_at < as_of else None
        if measure.status == Measure.Status.DECLINED:
            return "declined"
        if done is not None:
            return "late" if measure.due_at and done > measure.due_at else "on_time"
        return "overdue" if measure.due_at and measure.due_at < as_of else "open"

    kinds, names = _labels(MEASURE_KINDS)
    columns, column_names = _labels(MEASURE_OUTCOMES)
    pairs = [(measure.category or "other", outcome(measure)) for measure in measures]
    return [names[k] for k in kinds], [column_names[c] for c in columns], _grid(pairs, kinds, columns)


def _final_findings(case_ids: list[object], as_of: datetime) -> dict[object, bool]:
    """Per decided case: whether any allegation was finally found (the appeal's finding wins)."""
    by_allegation: dict[tuple[object, object], tuple[str, bool]] = {}
    for decision in Decision.objects.filter(case_id__in=case_ids, decided_at__lt=as_of).order_by("decided_at"):
        by_allegation[(decision.case_id, decision.allegation_id)] = (decision.stage, decision.upheld)
    found: dict[object, bool] = {}
    for (case_id, _allegation), (_stage, upheld) in by_allegation.items():
        found[case_id] = found.get(case_id, False) or upheld
    return found


def _outcomes(organization: Organization, as_of: datetime) -> tuple[list[str], list[str], list[list[int]]]:
    cases = _cases(organization, as_of)
    findings = _final_findings([case.pk for case in cases], as_of)

    def outcome(case: Case) -> str:
        if case.state == "withdrawn" and case.closed_at and case.closed_at < as_of:
            return "withdrawn"
        if case.pk in findings:
            return "upheld" if findings[case.pk] else "not_upheld"
        if case.closed_at and case.closed_at < as_of:
            return "closed"
        return "ongoing"

    pathways, names = PATHWAYS
    columns, column_names = _labels(OUTCOMES)
    pairs = [(case.pathway, outcome(case)) for case in cases]
    return [names[p] for p in pathways], [column_names[c] for c in columns], _grid(pairs, pathways, columns)


def appeal_outcome(case: Case, as_of: datetime) -> str | None:
    """Where a decided formal case stands with respect to appeal (None: not decided yet)."""
    stages = {(d.allegation_id, d.stage): d.upheld for d in case.decisions.all() if d.decided_at < as_of}
    if not stages:
        return None
    appeal = getattr(case, "appeal", None)
    if appeal is None or appeal.filed_at >= as_of:
        return "not_appealed"
    if not any(stage == "appeal" for _, stage in stages):
        return "pending"
    reversed_ = any(
        stage == "appeal" and stages.get((allegation, "panel")) not in (None, upheld)
        for (allegation, stage), upheld in stages.items()
    )
    return "reversed" if reversed_ else "stands"


def _appeals(organization: Organization, as_of: datetime) -> tuple[list[str], list[str], list[list[int]]]:
    cases = Case.objects.filter(organization=organization, pathway=Pathway.FORMAL, opened_at__lt=as_of)
    pairs = []
    for case in cases.select_related("appeal").prefetch_related("decisions"):
        outcome = appeal_outcome(case, as_of)
        if outcome is not None:
            first = min(d.decided_at for d in case.decisions.all())
            pairs.append((str(first.astimezone(UTC).year), outcome))
    years = sorted({year for year, _ in pairs})
    columns, column_names = _labels(APPEAL_OUTCOMES)
    return years, [column_names[c] for c in columns], _grid(pairs, years, columns)


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
    ),
    Spec(
        "appeals",
        _("Decisions and appeals"),
        _("Formal cases decided, by the year of the first decision, and what became of any appeal."),
        _("Year decided"),
        "columns",
        _appeals,
    ),
)


@dataclass(frozen=True)
class Insight:
    spec: Spec
    published: Published
    rows: list[str]
    columns: list[str]

    def figure(self, row: int, column: int) -> str:
        """What the page shows for one entry (totals are the last row and column)."""
        if self.published.marks[row][column] is Mark.WITHHELD:
            return str(_("withheld"))
        return self.published.label(row, column)

    def grid(self) -> list[tuple[str, list[str]]]:
        """(row label, shown figures with the row total last), the totals row last."""
        labels = [*self.rows, str(_("Total"))]
        width = len(self.columns) + 1
        return [(label, [self.figure(r, c) for c in range(width)]) for r, label in enumerate(labels)]

    @property
    def empty(self) -> bool:
        return not self.rows or not self.columns or self.published.values[-1][-1] == 0


def noise_key() -> bytes:
    return settings.SECRET_KEY.encode() + b"|insights-noise"


def insights(organization: Organization, *, as_of: datetime | None = None) -> list[Insight]:
    """Every table, published (small counts hidden, complements withheld, noise if set)."""
    as_of = as_of or snapshot()
    epsilon = settings.CHORUS_INSIGHTS_EPSILON or None
    result = []
    for spec in SPECS:
        rows, columns, counts = spec.build(organization, as_of)
        if not rows or not columns:  # nothing counted yet: one empty cell
            rows, columns, counts = [], [], [[0]]
        table = Table(
            key=f"{organization.pk}|{spec.key}|{as_of.isoformat()}",
            rows=tuple(rows) or ("",),
            columns=tuple(columns) or ("",),
            counts=tuple(tuple(row) for row in counts),
        )
        published = publish(table, threshold=settings.CHORUS_INSIGHTS_THRESHOLD, epsilon=epsilon, key=noise_key())
        result.append(Insight(spec=spec, published=published, rows=rows, columns=columns))
    return result
