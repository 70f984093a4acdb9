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
from chorus.escrow.services import groups, matches
from chorus.escrow.services.entries import EscrowError
from chorus.escrow.services.matches import OpenedMatch
from chorus.records.access import Reader, require_advocate
from chorus.records.services.team import AccessRefused
from chorus.web.posting import message_posted, refused_page


def _opened(request: HttpRequest, match_id: UUID) -> tuple[Reader, OpenedMatch]:
    """The advocate and the match, opened (ledgered); raises AccessRefused without the team key."""
    reader = require_advocate(request)
    return reader, matches.match_open(reader, matches.match_for(reader, match_id))


@require_GET
@member_required
def match_list(request: HttpRequest) -> HttpResponse:
    reader = require_advocate(request)
    return render(request, "escrow/matches.html", {"matches": matches.matches_for(reader)})


@require_GET
@member_required
def match_detail(request: HttpRequest, match_id: UUID) -> HttpResponse:
    try:
        _match, opened = _opened(request, match_id)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    match = opened.match
    group = groups.group_of(match)
    invited = {member.name for member in groups.group_members(group)} if group else set()
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
    try:
        reader, opened = _opened(request, match_id)
        group = groups.group_invite(reader, opened, set(request.POST.getlist("invite")))
    except AccessRefused as refused:
        return refused_page(request, str(refused))
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
        if message_posted(
            request, form, lambda body: groups.message_from_team(reader, group, body), refusals=(EscrowError,)
        ):
            return redirect("team_group", group_id=group_id)
        thread = groups.messages_for_team(reader, group)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    return render(
        request,
        "escrow/team_group.html",
        {
            "group": group,
            "members": groups.group_members(group),
            "thread": thread,
            "form": form,
        },
    )


@require_POST
@member_required
def match_tell(request: HttpRequest, match_id: UUID) -> HttpResponse:
    try:
        reader, opened = _opened(request, match_id)
        matches.notice_send(reader, opened, request.POST.get("name", ""), request.POST.get("body", ""))
    except (AccessRefused, EscrowError) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Sent. They get an email that says only that there is a message."))
    return redirect("match_detail", match_id=match_id)
