"""The advocates' matches: the list, opening one (ledgered), inviting, the group thread."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required
from chorus.escrow.forms import MessageForm
from chorus.escrow.models import Group
from chorus.escrow.services import groups, matches
from chorus.escrow.services.entries import EscrowError
from chorus.records.access import require_advocate
from chorus.records.services.team import AccessRefused


def _refused(request: HttpRequest, refused: AccessRefused) -> HttpResponse:
    return render(request, "records/refused.html", {"message": str(refused)}, status=403)


@require_GET
@member_required
def match_list(request: HttpRequest) -> HttpResponse:
    reader = require_advocate(request)
    return render(request, "escrow/matches.html", {"matches": matches.matches_for(reader)})


@require_GET
@member_required
def match_detail(request: HttpRequest, match_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    match = matches.match_for(reader, match_id)
    try:
        opened = matches.match_open(reader, match)
    except AccessRefused as refused:
        return _refused(request, refused)
    group = Group.objects.filter(match=match).first()
    invited = {member.name: member for member in groups.group_members(group)} if group else {}
    told = matches.told(match)
    return render(
        request,
        "escrow/match.html",
        {
            "opened": opened,
            "group": group,
            "invited": invited,
            "told": {entry.name for entry in opened.entries if entry.owner_tag in told},
        },
    )


@require_POST
@member_required
def match_invite(request: HttpRequest, match_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    match = matches.match_for(reader, match_id)
    try:
        opened = matches.match_open(reader, match)
        group = groups.group_invite(reader, opened, set(request.POST.getlist("invite")))
    except AccessRefused as refused:
        return _refused(request, refused)
    except EscrowError as refused:
        messages.error(request, str(refused))
        return redirect("match_detail", match_id=match_id)
    messages.success(request, _("Invited. Each survivor gets an email that says only that there is an invitation."))
    return redirect("team_group", group_id=group.pk)


@require_http_methods(["GET", "POST"])
@member_required
def team_group(request: HttpRequest, group_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    group = groups.group_for_team(reader, group_id)
    form = MessageForm(request.POST or None)
    try:
        if request.method == "POST" and form.is_valid():
            try:
                groups.message_from_team(reader, group, form.cleaned_data["body"])
            except EscrowError as refused:
                form.add_error("body", str(refused))
            else:
                return redirect("team_group", group_id=group_id)
        thread = groups.messages_for_team(reader, group)
    except AccessRefused as refused:
        return _refused(request, refused)
    return render(
        request,
        "escrow/team_group.html",
        {
            "group": group,
            "members": groups.group_members(group),
            "thread": thread,
            "form": form,
            "decisions": groups.DECISIONS,
        },
    )


@require_POST
@member_required
def match_tell(request: HttpRequest, match_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    match = matches.match_for(reader, match_id)
    try:
        opened = matches.match_open(reader, match)
        matches.notice_send(reader, opened, request.POST.get("name", ""), request.POST.get("body", ""))
    except AccessRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Sent. They get an email that says only that there is a message."))
    return redirect("match_detail", match_id=match_id)
