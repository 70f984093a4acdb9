"""Case pages: the list, opening a case, one case (what the person may read, and the steps
they may take), taking a step, joining by invitation, and the process-failure channel."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required, require_role
from chorus.accounts.services.sanctions import carrying_out_allowed, respondent_of, sanctions_carried_out
from chorus.cases import forms as case_forms
from chorus.cases.access import get_case_for_member, member_and_vault
from chorus.cases.machine import BY_NAME, SERIOUS, STATE_LABELS, Action, Pathway, Role
from chorus.cases.models import Case, Measure
from chorus.cases.services import act, core, formal, reminders, repair, reports, stages, story
from chorus.cases.services.core import (
    CaseActor,
    CaseError,
    DecisionRefused,
    party_member,
    party_members,
    party_shown_label,
)
from chorus.escrow.services import groups
from chorus.escrow.views.entries import escrow_owner_required
from chorus.records.access import Owner
from chorus.records.services.team import AccessRefused
from chorus.web.posting import refused_page


@require_GET
@member_required
def cases(request: HttpRequest) -> HttpResponse:
    member, _vault = member_and_vault(request)
    rows = Case.objects.filter(core.cases_query(member)).distinct().order_by("-opened_at")
    return render(
        request,
        "cases/cases.html",
        {
            "cases": [(case, STATE_LABELS[case.state], Pathway(case.pathway).label) for case in rows],
            "form": case_forms.CaseOpenForm(),
            "is_admin": member.has_role("admin"),
            "is_advocate": member.has_role("advocate"),
            "repair_waiting": repair.repair_asks_for(member).exists(),
        },
    )


@require_POST
@member_required
def case_new(request: HttpRequest) -> HttpResponse:
    member, key = member_and_vault(request)
    form = case_forms.CaseOpenForm(request.POST)
    if form.is_valid():
        try:
            case = core.case_open(
                member, key, summary=form.cleaned_data["summary"], pathway=form.cleaned_data["pathway"]
            )
        except CaseError as refused:
            form.add_error("summary", str(refused))
        else:
            messages.success(request, _("Your case is open. Only you and the advocates can read it."))
            return redirect("case_detail", case_id=case.pk)
    return render(request, "cases/cases.html", {"cases": [], "form": form}, status=400)


@require_http_methods(["GET", "POST"])
@member_required
def case_self(request: HttpRequest) -> HttpResponse:
    member, key = member_and_vault(request)
    form = case_forms.SelfCaseForm(member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = core.self_case_open(
                member, key, facilitator=form.cleaned_data["facilitator"], text=form.cleaned_data["text"]
            )
        except CaseError as refused:
            form.add_error("text", str(refused))
        else:
            messages.success(request, _("Your plan is started. Only you and your facilitator can read it."))
            return redirect("case_detail", case_id=case.pk)
    return render(request, "cases/self.html", {"form": form})


def _page(
    request: HttpRequest, actor: CaseActor, bound: dict[str, Form] | None = None, status: int = 200
) -> HttpResponse:
    bound = bound or {}
    case = actor.case
    core.case_rows_load(case)  # read once; the services filter them in Python
    party_members([party for party in case.parties.all() if party.role == Role.OWNER])  # named in several places
    try:
        items = core.items_for(actor)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    offered, unavailable = [], []
    for action in act.available(actor):
        why = case_forms.nothing_to_choose(actor, action)
        if why is None:
            offered.append(action)
        elif action.name not in bound:
            unavailable.append((action, why))
    primary, groups = story.plan_steps(actor, offered, unavailable)

    def form_for(action: Action) -> Form:
        return bound.get(action.name) or case_forms.action_form(actor, action)

    # A refused step that is not (or no longer) offered here has no form on the page to
    # carry its reason: say it at the top instead of dropping it.
    names = {action.name for action in offered}
    refusals = [error for name, form in bound.items() if name not in names for error in form.non_field_errors()]
    findings = formal.findings(case)
    parties = [party for party in case.parties.all() if party.joined_at is not None]
    for party in parties:
        party.label = party_shown_label(party)  # shown, never saved
    return render(
        request,
        "cases/case.html",
        {
            "case": case,
            "actor": actor,
            "roles": sorted(actor.roles),
            "state": STATE_LABELS[case.state],
            "pathway": Pathway(case.pathway).label,
            "steps": story.steps(case),
            "waiting": story.waiting_text(actor),
            "mine": story.waiting_mine(actor),
            "deadline": stages.next_deadline(case),
            "timeline": story.timeline(actor, items),
            "primary": (primary, form_for(primary)) if primary else None,
            "groups": [
                (group, [(action, form_for(action)) for action in group.actions], any(a.name in bound for a in group.actions))
                for group in groups
            ],
            "serious": SERIOUS,
            "refusals": refusals,
            "parties": parties,
            "pending": [party for party in case.parties.all() if party.joined_at is None],
            "measures": _measures(actor),
            "milestones": case.milestones.all(),
            "findings": findings,
            # Shown to the original panel's members (DESIGN.md "Cases").
            "reversed": actor.party(Role.PANEL) is not None and formal.reversed_on_appeal(findings),
            "reminders": reminders.reminders_for(actor.parties),
            # A complainant who withdrew while the case went on without them (``common.withdraw``).
            "withdrawn_at": next((p.withdrawn_at for p in actor.parties if p.withdrawn_at is not None), None),
        },
        status=status,
    )


@require_GET
@member_required
def case_detail(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _page(request, get_case_for_member(request, case_id))


@require_POST
@member_required
def case_act(request: HttpRequest, case_id: UUID, name: str) -> HttpResponse:
    action = BY_NAME.get(name)
    if action is None:
        raise Http404
    try:
        actor = get_case_for_member(request, case_id)
    except Http404:
        if name in act.DECISION_ACTIONS:  # e.g. leadership trying to set a decision: refused and ledgered
            member, _vault = member_and_vault(request)
            try:
                act.decision_change_refused(member, case_id, name)  # 404 unless a case of their organization
            except DecisionRefused as refused:
                return refused_page(request, str(refused))
            return refused_page(request, str(act.DECISION_REFUSED))
        raise
    form = case_forms.action_form(actor, action, request.POST)
    if not form.is_valid():
        return _page(request, actor, {name: form}, status=400)
    try:
        said = act.case_act(actor, name, case_forms.cleaned(form))
    except DecisionRefused as refused:
        return refused_page(request, str(refused))
    except CaseError as refused:
        form.add_error(None, str(refused))
        actor.case.refresh_from_db()  # the refused step's transaction was rolled back
        return _page(request, actor, {name: form}, status=400)
    messages.success(request, said or "Done.")
    return redirect("case_detail", case_id=case_id)


@require_http_methods(["GET", "POST"])
@member_required
def case_join(request: HttpRequest, token: str) -> HttpResponse:
    member, _vault = member_and_vault(request)
    if request.method == "POST":
        try:
            case = core.invitation_claim(member, token)
        except CaseError as refused:
            return render(request, "cases/join.html", {"error": str(refused)}, status=410)
        messages.success(request, _("You have joined the case."))
        return redirect("case_detail", case_id=case.pk)
    return render(request, "cases/join.html", {})


@require_POST
@escrow_owner_required
def group_case(request: HttpRequest, owner: Owner, group_id: UUID) -> HttpResponse:
    me = groups.membership(owner, group_id)
    try:
        case = core.group_case_join(owner, me)
    except CaseError as refused:
        messages.error(request, str(refused))
        return redirect("escrow_group", group_id=group_id)
    return redirect("case_detail", case_id=case.pk)


@require_http_methods(["GET", "POST"])
@member_required
def process_report_new(request: HttpRequest) -> HttpResponse:
    member, _vault = member_and_vault(request)
    form = case_forms.ProcessReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reports.process_report(
                member, text=form.cleaned_data["text"], case_reference=form.cleaned_data["case_reference"]
            )
        except CaseError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Sent to the oversight body. Nobody who acted in that case receives it."))
            return redirect("cases")
    return render(request, "cases/process_report.html", {"form": form})


@require_GET
@member_required
def process_reports(request: HttpRequest) -> HttpResponse:
    member = require_role(request, "oversight")
    _member, key = member_and_vault(request)
    return render(request, "cases/process_reports.html", {"reports": reports.process_reports_for(member, key)})


@require_http_methods(["GET", "POST"])
@member_required
def case_deadlines(request: HttpRequest) -> HttpResponse:
    """The organization's target time for each stage of each pathway (administrators)."""
    admin = require_role(request, "admin")
    form = case_forms.StageTargetsForm(stages.targets_for(admin.organization), request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = stages.targets_set(organization=admin.organization, actor=admin, targets=form.targets())
            except stages.TargetError as refused:
                form.add_error(None, str(refused))
            else:
                if changed:
                    messages.success(request, _("The targets are saved. Open cases are measured against them from now on."))
                else:
                    messages.success(request, _("Nothing changed."))
                return redirect("case_deadlines")
        return render(request, "cases/deadlines.html", {"form": form}, status=400)
    return render(request, "cases/deadlines.html", {"form": form})


def _measures(actor: CaseActor) -> list[Measure]:
    """The case's measures; a sanction or interim measure carries the membership changes that
    carry it out (``accounts.services.sanctions``): who proposed, who approved, when. Its
    owner, if an administrator, is offered the suspension or removal that carries it out
    while none waits or took effect."""
    case = actor.case
    measures = list(case.measures.all())
    carried = sanctions_carried_out(
        [measure for measure in measures if measure.kind in (Measure.Kind.SANCTION, Measure.Kind.INTERIM)]
    )
    owners: dict[object, str] = {}
    parties = {party.pk: party for party in case.parties.all()}
    for measure in measures:
        if measure.owner is not None and measure.owner_id not in owners:
            owner = party_member(parties.get(measure.owner.pk, measure.owner))
            owners[measure.owner_id] = owner.display_name if owner is not None else measure.owner.label
        measure.owner_name = owners.get(measure.owner_id, "")  # type: ignore[attr-defined]
        rows = carried.get(measure.pk, [])
        measure.carried_out = [  # type: ignore[attr-defined]
            (_("Removal from the organization") if row.kind == "remove" else _("Suspension"), row)
            for row in rows
        ]
        measure.carry_out = None  # type: ignore[attr-defined]
        settled = any(row.done or row.outcome == "" for row in rows)
        if not settled and carrying_out_allowed(measure, actor.member):
            respondent = respondent_of(measure)
            if respondent is not None and respondent.is_active:
                measure.carry_out = respondent  # type: ignore[attr-defined]
    return measures
