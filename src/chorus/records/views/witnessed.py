"""What I saw: the witness's pages, the advocates' and the page where she answers."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required, signed_in_member
from chorus.records.access import Owner, grant_for_reader, record_for_owner, require_advocate
from chorus.records.services import sharing, witnessed
from chorus.records.services.team import AccessRefused
from chorus.records.services.witnessed import WitnessError
from chorus.records.views.records import owner_required
from chorus.records.witnessed_forms import AnswerForm, NamingForm, WitnessedForm
from chorus.web.posting import refused_page


@require_http_methods(["GET", "POST"])
@owner_required
def witnessed_new(request: HttpRequest, owner: Owner) -> HttpResponse:
    form = WitnessedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = witnessed.witnessed_create(owner, values=form.parts())
        except WitnessError as refused:
            form.add_error("what", str(refused))
        else:
            try:
                witnessed.witnessed_name(
                    owner, record, email=form.cleaned_data["email"], contact_allowed=form.contact_allowed()
                )
            except WitnessError as refused:
                messages.error(request, _("Your account is saved. %(reason)s") % {"reason": refused})
            else:
                messages.success(request, _("Your account is saved. Only you can read it."))
            return redirect("witnessed", record_id=record.pk)
    return render(request, "records/witnessed_new.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@owner_required
def witnessed_page(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    witnessed.account_for_owner(owner, record)  # 404 for a record of one's own experience
    status = witnessed.witnessed_status(owner, record)
    form = NamingForm(request.POST or None, initial={"contact": "yes" if status.contact_allowed else "no"})
    if request.method == "POST" and form.is_valid():
        try:
            witnessed.witnessed_name(
                owner, record, email=form.cleaned_data["email"], contact_allowed=form.contact_allowed()
            )
        except WitnessError as refused:
            form.add_error("email", str(refused))
        else:
            messages.success(request, _("Your choice is saved."))
            return redirect("witnessed", record_id=record.pk)
    from chorus.records.services.writing import record_contents

    return render(
        request,
        "records/witnessed.html",
        {"record": record, "account": record_contents(owner, record).latest, "status": status, "form": form},
        status=400 if form.errors else 200,
    )


# ---- her side ----------------------------------------------------------------------------


def _case_choices(request: HttpRequest) -> list[tuple[str, str]]:
    member = signed_in_member(request)
    return [
        (
            str(case.pk),
            case.reference
            or _("Your case opened %(date)s") % {"date": formats.date_format(case.opened_at, "DATE_FORMAT")},
        )
        for case in witnessed.cases_of(member)
    ]


@require_GET
@member_required
def witnessed_questions(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    cases = _case_choices(request)
    questions = [
        (question, AnswerForm(cases=cases, prefix=str(question.id))) for question in witnessed.questions_for(member)
    ]
    return render(request, "records/witnessed_questions.html", {"questions": questions, "has_cases": bool(cases)})


@require_POST
@member_required
def witnessed_answer(request: HttpRequest, question_id: UUID) -> HttpResponse:
    member = signed_in_member(request)
    witnessed.question_for(member, question_id)  # 404 for anyone she is not
    form = AnswerForm(request.POST, cases=_case_choices(request), prefix=str(question_id))
    if not form.is_valid():
        messages.error(request, _("Please choose yes or no."))
        return redirect("witnessed_questions")
    yes = form.cleaned_data["answer"] == "yes"
    chosen = form.cleaned_data.get("case") or None
    try:
        witnessed.witnessed_answer(member, question_id, yes=yes, case_id=UUID(chosen) if chosen else None)
    except WitnessError as refused:
        messages.error(request, str(refused))
        return redirect("witnessed_questions")
    if yes and chosen:
        messages.success(request, _("Thank you. An advocate will add it to your case, and you will find it there."))
    elif yes:
        messages.success(request, _("Thank you. You have no open case; an advocate can talk with you about one."))
    else:
        messages.success(request, _("Thank you. Nothing will be added. The person who wrote it is told only that."))
    return redirect("witnessed_questions")


# ---- the advocates' side -----------------------------------------------------------------


@require_GET
@member_required
def witnessed_inbox(request: HttpRequest) -> HttpResponse:
    reader = require_advocate(request)
    return render(request, "records/witnessed_inbox.html", {"accounts": witnessed.witnessed_grants(reader)})


@require_GET
@member_required
def witnessed_shared(request: HttpRequest, grant_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    grant = grant_for_reader(reader, grant_id)
    account = witnessed.account_for_grant(grant)
    try:
        shared = sharing.grant_open(reader, grant)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    return render(
        request,
        "records/witnessed_shared.html",
        {"grant": grant, "shared": shared, "account": account},
    )


@require_POST
@member_required
def witnessed_ask(request: HttpRequest, grant_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    grant = grant_for_reader(reader, grant_id)
    witnessed.account_for_grant(grant)
    try:
        witnessed.witnessed_ask(reader, grant)
    except WitnessError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("She is asked. Her answer will show here."))
    return redirect("witnessed_shared", grant_id=grant.pk)


@require_POST
@member_required
def witnessed_add(request: HttpRequest, grant_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    grant = grant_for_reader(reader, grant_id)
    witnessed.account_for_grant(grant)
    try:
        case = witnessed.witnessed_add_to_case(reader, grant)
    except (WitnessError, AccessRefused) as refused:
        messages.error(request, str(refused))
        return redirect("witnessed_shared", grant_id=grant.pk)
    messages.success(request, _("The account is in her case file."))
    return redirect("case_detail", case_id=case.pk)
