"""Pages of a request for repair: his request and his facilitator's review (inside the
self-initiated case), the advocates' list and ask, and the person concerned's ask — which
says nothing until she chooses to hear more (``services.repair``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required
from chorus.cases.access import get_case_for_member, member_and_vault
from chorus.cases.forms_repair import RepairAnswerForm, RepairAskForm, RepairRequestForm, RepairReviewForm
from chorus.cases.machine import Role
from chorus.cases.models import RepairRequest
from chorus.cases.services import repair
from chorus.cases.services.core import CaseActor, CaseError
from chorus.records.access import require_advocate
from chorus.records.services.team import AccessRefused
from chorus.web.posting import refused_page

Status = RepairRequest.Status


def _case_page(
    request: HttpRequest,
    actor: CaseActor,
    *,
    form: RepairRequestForm | None = None,
    review: tuple[UUID, RepairReviewForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    rows: list[dict[str, Any]] = []
    for row in repair.repair_requests_of(actor):
        content = repair.repair_read(actor, row)
        bound = review[1] if review and review[0] == row.pk else RepairReviewForm()
        rows.append(
            {
                "request": row,
                "content": content,
                "told": repair.told(row),
                "words": repair.words_for_him(row, content),
                "review": bound if row.status == Status.WITH_FACILITATOR else None,
            }
        )
    his = actor.party(Role.SELF) is not None
    may_ask = his and not any(row["request"].closed_at is None or repair.passed_on(row["request"]) for row in rows)
    return render(
        request,
        "cases/repair.html",
        {
            "case": actor.case,
            "rows": rows,
            "his": his,
            "facilitator": actor.party(Role.FACILITATOR) is not None,
            "form": (form or RepairRequestForm(actor.member)) if may_ask else None,
        },
        status=status,
    )


@require_GET
@member_required
def case_repair(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _case_page(request, get_case_for_member(request, case_id))


@require_POST
@member_required
def case_repair_new(request: HttpRequest, case_id: UUID) -> HttpResponse:
    actor = get_case_for_member(request, case_id)
    repair.repair_requests_of(actor)  # 404 for anyone but him and his facilitator
    if actor.party(Role.SELF) is None:
        raise Http404
    form = RepairRequestForm(actor.member, request.POST)
    if form.is_valid():
        try:
            repair.repair_request(
                actor,
                concerning=form.cleaned_data["concerning"],
                name=form.cleaned_data["name"],
                offer=form.cleaned_data["offer"],
            )
        except CaseError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request, _("Your request is with your facilitator. Nothing reaches anyone else unless they pass it on.")
            )
            return redirect("case_repair", case_id=case_id)
    return _case_page(request, actor, form=form, status=400)


@require_POST
@member_required
def case_repair_review(request: HttpRequest, case_id: UUID, request_id: UUID) -> HttpResponse:
    actor = get_case_for_member(request, case_id)
    row = next((row for row in repair.repair_requests_of(actor) if row.pk == request_id), None)
    if row is None or actor.party(Role.FACILITATOR) is None:
        raise Http404
    form = RepairReviewForm(request.POST)
    if form.is_valid():
        try:
            repair.repair_review(actor, request=row, forward=form.cleaned_data["forward"] == "yes")
        except CaseError as refused:
            form.add_error(None, str(refused))
        else:
            if form.cleaned_data["forward"] == "yes":
                messages.success(
                    request, _("Passed to the advocates. They decide whether and how to ask the person concerned.")
                )
            else:
                messages.success(request, _("Not passed on. The member is told that you did not pass it on."))
            return redirect("case_repair", case_id=case_id)
    return _case_page(request, actor, review=(row.pk, form), status=400)


# ---- the advocates ----------------------------------------------------------------------


@require_GET
@member_required
def repair_team(request: HttpRequest) -> HttpResponse:
    reader = require_advocate(request)
    return render(request, "cases/repair_team.html", {"requests": repair.repair_requests_for_team(reader.member)})


@require_http_methods(["GET", "POST"])
@member_required
def repair_team_request(request: HttpRequest, request_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    try:
        row, content = repair.repair_for_team(reader, request_id)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    initial = {"recipient": content.concerning_member} if content.concerning_member else {}
    form = RepairAskForm(reader.member, request.POST or None, initial=initial)
    if request.method == "POST":
        try:
            if request.POST.get("close") == "yes":
                repair.repair_not_asked(reader, request=row)
                messages.success(request, _("Closed without asking. The member is told only that it is closed."))
                return redirect("repair_team")
            if form.is_valid():
                repair.repair_ask(reader, request=row, recipient=form.cleaned_data["recipient"])
                messages.success(request, _("Asked. They are told nothing more unless they choose to hear more."))
                return redirect("repair_team")
        except CaseError as refused:
            form.add_error(None, str(refused))
        status = 400
    else:
        status = 200
    return render(
        request, "cases/repair_team_request.html", {"row": row, "content": content, "form": form}, status=status
    )


# ---- the person concerned ---------------------------------------------------------------


@require_GET
@member_required
def repair_asked(request: HttpRequest) -> HttpResponse:
    member, _vault = member_and_vault(request)
    return render(request, "cases/repair_asked.html", {"asks": repair.repair_asks_for(member)})


@require_GET
@member_required
def repair_asked_one(request: HttpRequest, request_id: UUID) -> HttpResponse:
    """The first message: it says only that someone would like to offer something."""
    member, _vault = member_and_vault(request)
    row = repair.repair_ask_for(member, request_id)
    return render(request, "cases/repair_ask.html", {"row": row})


@require_http_methods(["GET", "POST"])
@member_required
def repair_asked_more(request: HttpRequest, request_id: UUID) -> HttpResponse:
    """She chose to hear more: what it is about, whom it is from, and her answer."""
    member, key = member_and_vault(request)
    row = repair.repair_ask_for(member, request_id)
    content = repair.repair_hear_more(member, key, row)
    form = RepairAnswerForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                case = repair.repair_answer(
                    member, key, request=row, answer=form.cleaned_data["answer"], note=form.cleaned_data["note"]
                )
            except CaseError as refused:
                form.add_error(None, str(refused))
            else:
                if case is not None:
                    messages.success(
                        request,
                        _("A restorative process is opened for you. You steer it, and you can stop at any time."),
                    )
                    return redirect("case_detail", case_id=case.pk)
                messages.success(request, _("Your answer is recorded. They are told only what you allowed."))
                return redirect("repair_asked")
        return render(request, "cases/repair_more.html", {"row": row, "content": content, "form": form}, status=400)
    return render(request, "cases/repair_more.html", {"row": row, "content": content, "form": form})
