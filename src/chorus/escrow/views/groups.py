"""The matched survivors' group, seen by a member: join or decline, talk, decide."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chorus.escrow.forms import ChoiceForm, MessageForm
from chorus.escrow.services import groups
from chorus.escrow.services.entries import EscrowError, copy_setup
from chorus.escrow.views.entries import escrow_owner_required
from chorus.records.access import Owner
from chorus.web.posting import message_posted


@require_http_methods(["GET", "POST"])
@escrow_owner_required
def escrow_group(request: HttpRequest, owner: Owner, group_id: UUID) -> HttpResponse:
    me = groups.membership(owner, group_id)
    form = MessageForm(request.POST or None)
    if message_posted(request, form, lambda body: groups.message_from_member(owner, me, body), refusals=(EscrowError,)):
        return redirect("escrow_group", group_id=group_id)
    joined = me.joined_at is not None
    return render(
        request,
        "escrow/group.html",
        {
            "me": me,
            "group": me.group,
            "own_entry": groups.own_entry_in(owner, me.group),
            "setup": copy_setup(owner),
            "members": groups.group_members(me.group),
            "thread": groups.messages_for_member(owner, me) if joined else [],
            "form": form,
            "choice_form": ChoiceForm(initial={"choice": me.choice or None}),
        },
    )


@require_POST
@escrow_owner_required
def escrow_group_respond(request: HttpRequest, owner: Owner, group_id: UUID) -> HttpResponse:
    me = groups.membership(owner, group_id)
    join = request.POST.get("answer") == "join"
    groups.group_respond(owner, me, join=join)
    messages.success(
        request, _("Welcome to the group.") if join else _("You declined. Nobody in the group is told why.")
    )
    return redirect("escrow_group", group_id=group_id)


@require_POST
@escrow_owner_required
def escrow_group_choice(request: HttpRequest, owner: Owner, group_id: UUID) -> HttpResponse:
    me = groups.membership(owner, group_id)
    form = ChoiceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the answers."))
    else:
        try:
            outcome = groups.group_choose(owner, me, form.cleaned_data["choice"])
        except EscrowError as refused:
            messages.error(request, str(refused))
        else:
            if outcome:
                messages.success(
                    request, _("Your answer is recorded. Everyone who joined agrees: that is the group's decision.")
                )
            else:
                messages.success(request, _("Your answer is recorded. You can change it until the group has decided."))
    return redirect("escrow_group", group_id=group_id)
