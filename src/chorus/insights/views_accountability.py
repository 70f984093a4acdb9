"""Stories of accountability: the author's page, the readers' page and the administrators'
choice of readers. The author's single-story pages are the stories' own (``views.story``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chorus.accounts.access import member_required, require_role, signed_in_member
from chorus.insights.forms import AccountabilityReadersForm, AccountabilityStoryForm
from chorus.insights.models import StoryKind
from chorus.insights.services import stories
from chorus.insights.services.stories import StoryError
from chorus.records.access import Owner
from chorus.records.views.records import owner_required


@require_http_methods(["GET", "POST"])
@owner_required
def accountability_mine(request: HttpRequest, owner: Owner) -> HttpResponse:
    form = AccountabilityStoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            story = stories.story_write(owner, text=form.cleaned_data["text"], kind=StoryKind.ACCOUNTABILITY)
        except StoryError as refused:
            form.add_error("text", str(refused))
        else:
            messages.success(request, _("Saved. Read it back below; nobody else sees it until you show it."))
            return redirect("story", story_id=story.pk)
    return render(
        request,
        "insights/accountability_mine.html",
        {
            "stories": stories.stories_of(owner, StoryKind.ACCOUNTABILITY),
            "form": form,
            "may_read": owner.member is not None and stories.may_read_accountability(owner.member),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@member_required
def accountability_stories(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    if not stories.may_read_accountability(member):
        raise PermissionDenied
    return render(
        request, "insights/accountability_stories.html", {"texts": stories.accountability_stories_for(member)}
    )


@require_http_methods(["GET", "POST"])
@member_required
def accountability_readers(request: HttpRequest) -> HttpResponse:
    admin = require_role(request, "admin")
    form = AccountabilityReadersForm(
        request.POST or None, initial={"readers": stories.accountability_readers(admin.organization_id)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            stories.accountability_readers_set(admin, readers=form.cleaned_data["readers"])
        except StoryError as refused:
            form.add_error("readers", str(refused))
        else:
            messages.success(request, _("Saved. The change is written to the ledger."))
            return redirect("accountability_readers")
    return render(
        request,
        "insights/accountability_readers.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
