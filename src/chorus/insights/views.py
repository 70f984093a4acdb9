"""Insight pages: the organization's tables and charts (and their PDF), the transparency
report, the commission's stories (the author's side and the commission's), the
self-assessment and the action points."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required, signed_in_member
from chorus.insights import forms as insight_forms
from chorus.insights.access import action_point_for, may_see_insights, require_commission, require_insights
from chorus.insights.aggregates import insights as insight_tables
from chorus.insights.aggregates import snapshot
from chorus.insights.charts import bar_chart_html
from chorus.insights.models import StoryKind
from chorus.insights.report import insights_pdf
from chorus.insights.services import actions, stories
from chorus.insights.services.actions import ActionError
from chorus.insights.services.stories import StoryError
from chorus.insights.stage_times import stage_times
from chorus.insights.transparency import transparency_report
from chorus.ledger.services import chain_for, published_checkpoint
from chorus.records.access import Owner
from chorus.records.services.rotation import team_key_visit
from chorus.records.services.team import COMMISSION, AccessRefused
from chorus.records.views.records import download, owner_required
from chorus.web.posting import refused_page


@require_GET
@member_required
def insights(request: HttpRequest) -> HttpResponse:
    member = require_insights(request)
    tables = insight_tables(member.organization)
    return render(
        request,
        "insights/insights.html",
        {
            "tables": [(insight, bar_chart_html(insight)) for insight in tables],
            "as_of": snapshot(),
            "threshold": settings.CHORUS_INSIGHTS_THRESHOLD,
            "noisy": bool(settings.CHORUS_INSIGHTS_EPSILON),
        },
    )


@require_GET
@member_required
def insights_report(request: HttpRequest) -> HttpResponse:
    member = require_insights(request)
    as_of = snapshot()
    data = insights_pdf(
        member.organization,
        insight_tables(member.organization, as_of=as_of),
        as_of=as_of,
        threshold=settings.CHORUS_INSIGHTS_THRESHOLD,
        stages=stage_times(member.organization, as_of=as_of),
    )
    return download(data, name=f"chorus-insights-{as_of.date().isoformat()}.pdf", mime="application/pdf")


@require_GET
@member_required
def transparency(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    report = transparency_report(member.organization)
    return render(
        request,
        "insights/transparency.html",
        {
            "report": report,
            **published_checkpoint(chain_for(member.organization_id)),
            "threshold": settings.CHORUS_INSIGHTS_THRESHOLD,
        },
    )


# --- the author's side of stories ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@owner_required
def my_stories(request: HttpRequest, owner: Owner) -> HttpResponse:
    form = insight_forms.StoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            story = stories.story_write(owner, text=form.cleaned_data["text"])
        except StoryError as refused:
            form.add_error("text", str(refused))
        else:
            messages.success(request, _("Saved. Read it back below; nobody else sees it until you show it."))
            return redirect("story", story_id=story.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "insights/stories.html", {"stories": stories.stories_of(owner), "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@owner_required
def story(request: HttpRequest, owner: Owner, story_id: UUID) -> HttpResponse:
    current = stories.story_of(owner, story_id)
    form = insight_forms.StoryForm(request.POST or None, initial={"text": current.text})
    if request.method == "POST" and form.is_valid():
        try:
            stories.story_write(owner, text=form.cleaned_data["text"], story_id=story_id)
        except StoryError as refused:
            form.add_error("text", str(refused))
        else:
            messages.success(request, _("Your changes are saved. Read them back below."))
            return redirect("story", story_id=story_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "insights/story.html", {"story": current, "form": form}, status=status)


@require_POST
@owner_required
def story_show(request: HttpRequest, owner: Owner, story_id: UUID) -> HttpResponse:
    try:
        stories.story_show(owner, story_id)
    except StoryError as refused:
        messages.error(request, str(refused))
    else:
        if stories.story_of(owner, story_id).kind == StoryKind.ACCOUNTABILITY:
            messages.success(request, _("Your story is shown, without your name. You can take it back at any time."))
        else:
            messages.success(request, _("The commission can now read this excerpt. You can take it back at any time."))
    return redirect("story", story_id=story_id)


@require_POST
@owner_required
def story_withdraw(request: HttpRequest, owner: Owner, story_id: UUID) -> HttpResponse:
    stories.story_withdraw(owner, story_id)
    messages.success(request, _("Taken back. The copy others read is deleted; yours stays here."))
    return redirect("story", story_id=story_id)


@require_POST
@owner_required
def story_delete(request: HttpRequest, owner: Owner, story_id: UUID) -> HttpResponse:
    kind = stories.story_of(owner, story_id).kind
    stories.story_delete(owner, story_id)
    messages.success(request, _("The excerpt is deleted."))
    return redirect("accountability_mine" if kind == StoryKind.ACCOUNTABILITY else "my_stories")


@require_GET
@member_required
def commission_stories(request: HttpRequest) -> HttpResponse:
    reader = require_commission(request)
    team_key_visit(reader, COMMISSION)
    try:
        texts = stories.stories_for_commission(reader)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    return render(request, "insights/commission.html", {"texts": texts})


# --- self-assessment and action points ---------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required
def assessment(request: HttpRequest) -> HttpResponse:
    member = require_insights(request)
    current = actions.current_answers(member.organization)
    form = insight_forms.AssessmentForm(request.POST or None, current=current)
    steering = actions.may_steer(member)
    if request.method == "POST":
        if not steering:
            return refused_page(request, _("Only administrators and the oversight body answer the self-assessment."))
        if form.is_valid():
            try:
                changed = actions.assessment_answer(member, answers=form.answers())
            except ActionError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("%(count)d answer(s) recorded.") % {"count": changed})
                return redirect("assessment")
    rows = [(question, current.get(question.code)) for question in actions.QUESTIONS]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "insights/assessment.html", {"form": form, "rows": rows, "steering": steering}, status=status
    )


@require_http_methods(["GET", "POST"])
@member_required
def action_points(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    initial = {"question": request.GET.get("question", "")}
    form = insight_forms.ActionPointForm(request.POST or None, organization=member.organization, initial=initial)
    steering = actions.may_steer(member)
    if request.method == "POST":
        if not steering:
            return refused_page(request, _("Only administrators and the oversight body set action points."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                point = actions.action_point_create(
                    member,
                    finding=data["finding"],
                    indicator=data["indicator"],
                    owner=data["owner"],
                    due_on=data["due_on"],
                    question=data["question"],
                )
            except ActionError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(
                    request, _("Action point %(number)d is set; its owner was told.") % {"number": point.number}
                )
                return redirect("action_point", number=point.number)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "insights/action_points.html",
        {
            "dashboard": actions.dashboard(member),
            "form": form if steering else None,
            "sees_all": may_see_insights(member),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@member_required
def action_point(request: HttpRequest, number: int) -> HttpResponse:
    member = signed_in_member(request)
    point = action_point_for(member, number)
    may_update = actions.may_update(member, point)
    form = insight_forms.ActionPointUpdateForm(request.POST or None, initial={"status": point.status})
    if request.method == "POST":
        if not may_update:
            return refused_page(request, _("Only the owner, administrators and the oversight body update this point."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.action_point_update(
                    member, point, status=data["status"], note=data["note"], due_on=data["due_on"]
                )
            except ActionError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("Recorded in the action point's history."))
                return redirect("action_point", number=number)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "insights/action_point.html",
        {
            "point": point,
            "history": point.reviews.select_related("by"),
            "form": form if may_update else None,
            "overdue": point.overdue(timezone.localdate()),
            "question": actions.BY_CODE.get(point.question),
        },
        status=status,
    )
