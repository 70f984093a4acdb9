"""The advocate side: what survivors shared with the team, reading it (ledgered), replying."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chorus.accounts.access import member_required
from chorus.records.access import (
    conversation_for_reader,
    grant_for_reader,
    grants_visible_to,
    require_advocate,
)
from chorus.records.forms import MessageForm
from chorus.records.models import Conversation
from chorus.records.services import messaging, sharing
from chorus.records.services.rotation import team_key_visit
from chorus.records.services.team import AccessRefused
from chorus.records.services.writing import RecordError
from chorus.records.views.records import download
from chorus.web.posting import message_posted, refused_page


@require_GET
@member_required
def inbox(request: HttpRequest) -> HttpResponse:
    reader = require_advocate(request)
    passed_on = team_key_visit(reader)
    if passed_on:
        messages.info(request, _("You passed the team key on to %(count)d new advocate(s).") % {"count": passed_on})
    grants = [grant for grant in grants_visible_to(reader.member).select_related("grantee") if grant.is_active()]
    conversations = (
        Conversation.objects.filter(record__organization=reader.member.organization)
        .select_related("record")
        .annotate(last_message_at=Max("messages__sent_at"))
        .order_by("-last_message_at")
    )
    return render(request, "records/inbox.html", {"grants": grants, "conversations": conversations})


def _refused(request: HttpRequest, refused: AccessRefused) -> HttpResponse:
    return refused_page(request, str(refused))


@require_GET
@member_required
def shared_record(request: HttpRequest, grant_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    grant = grant_for_reader(reader, grant_id)
    try:
        shared = sharing.grant_open(reader, grant)
    except AccessRefused as refused:
        return _refused(request, refused)
    return render(request, "records/shared.html", {"shared": shared, "grant": grant})


@require_GET
@member_required
def shared_attachment(request: HttpRequest, grant_id: UUID, attachment_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    grant = grant_for_reader(reader, grant_id)
    try:
        info, data = sharing.grant_attachment(reader, grant, attachment_id)
    except AccessRefused as refused:
        return _refused(request, refused)
    return download(data, name=info.name, mime=info.mime)


@require_http_methods(["GET", "POST"])
@member_required
def team_conversation(request: HttpRequest, record_id: UUID) -> HttpResponse:
    reader = require_advocate(request)
    conversation = conversation_for_reader(reader, record_id)
    form = MessageForm(request.POST or None)
    try:
        if message_posted(
            request,
            form,
            lambda body: messaging.message_from_team(reader, conversation, body),
            refusals=(RecordError,),
            sent=_("Sent. The survivor sees it next time they look."),
        ):
            return redirect("team_conversation", record_id=record_id)
        thread = messaging.messages_for_team(reader, conversation)
    except AccessRefused as refused:
        return _refused(request, refused)
    return render(
        request,
        "records/conversation.html",
        {"thread": thread, "form": form, "conversation": conversation, "anonymous": conversation.record.anonymous},
    )
