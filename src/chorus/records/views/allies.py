"""Asking someone you trust to step in: the survivor's pages (under her record) and the
pages of the person she asked. Only those two reach a request; everyone else gets 404."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required
from chorus.records.access import (
    Owner,
    Reader,
    ally_request_for_ally,
    ally_request_for_owner,
    ally_requests_to,
    record_for_owner,
    require_member_vault,
)
from chorus.records.forms import AllyAnswerForm, AllyAskForm, AllyNoteForm
from chorus.records.models import AllyRequest, AllyState
from chorus.records.services import allies, writing
from chorus.records.services.allies import AllyGone
from chorus.records.services.team import AccessRefused
from chorus.records.services.writing import RecordError
from chorus.records.views.records import download, owner_required
from chorus.web.posting import refused_page

# ---- the survivor's side -------------------------------------------------------------


@require_GET
@owner_required
def record_allies(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    contents = writing.record_contents(owner, record)
    return render(
        request,
        "records/allies.html",
        {
            "record": record,
            "contents": contents,
            "owner": owner,
            "requests": allies.ally_requests_for(owner, record),
        },
    )


@require_http_methods(["GET", "POST"])
@owner_required
def ally_ask(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    if owner.member is None:
        return redirect("record_allies", record_id=record.pk)
    contents = writing.record_contents(owner, record)
    candidates = allies.ally_candidates(owner)
    form = AllyAskForm(
        request.POST or None,
        allies=[(str(member.pk), member.display_name) for member in candidates],
        versions=[
            (
                str(v.number),
                _("Version %(n)d, saved %(when)s")
                % {"n": v.number, "when": formats.date_format(v.saved_at, "DATETIME_FORMAT")},
            )
            for v in reversed(contents.versions)
        ],
        attachments=[(str(a.id), a.name) for a in contents.attachments],
        # The newest version, and no part: she ticks each part she gives.
        initial={"versions": [str(contents.versions[-1].number)] if contents.versions else []},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ally = next(member for member in candidates if str(member.pk) == data["ally"])
        try:
            asked = allies.ally_ask(
                owner,
                record,
                ally=ally,
                ask=data["ask"],
                words=data["words"],
                versions=[int(n) for n in data["versions"]],
                parts=data["parts"],
                attachment_ids=[UUID(a) for a in data["attachments"]],
            )
        except RecordError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Asked. %(name)s is told something is waiting for them, and nothing else.")
                % {"name": ally.display_name},
            )
            return redirect("ally_request", record_id=record.pk, request_id=asked.pk)
    return render(request, "records/ally_ask.html", {"form": form, "record": record, "contents": contents})


@require_GET
@owner_required
def ally_request(request: HttpRequest, owner: Owner, record_id: UUID, request_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    found = ally_request_for_owner(owner, record, request_id)
    try:
        view = allies.ally_view_for_owner(owner, found)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    return render(
        request,
        "records/ally_request.html",
        {"record": record, "view": view, "ally": found.grant.grantee, "live": found.state in allies.LIVE},
    )


@require_http_methods(["GET", "POST"])
@owner_required
def ally_stop(request: HttpRequest, owner: Owner, record_id: UUID, request_id: UUID) -> HttpResponse:
    """Asked once more (GET), then done (POST)."""
    record = record_for_owner(owner, record_id)
    found = ally_request_for_owner(owner, record, request_id)
    back = reverse("ally_request", args=[record.pk, found.pk])
    if request.method == "POST":
        if allies.ally_stop(owner, record, found):
            messages.success(
                request,
                _("Stopped. They can no longer open what you shared or the notes; they are told only that it ended."),
            )
        return redirect(back)
    if found.state not in allies.LIVE:
        return redirect(back)
    name = found.grant.grantee.display_name if found.grant.grantee else _("them")
    return render(
        request,
        "records/confirm.html",
        {
            "question": _("Stop asking %(name)s to step in?") % {"name": name},
            "explanation": [
                _("The key that opens what you shared with them is deleted, and so is their key to the notes."),
                _(
                    "You keep their reports. What they already read cannot be unread; “Who has seen it” shows every read."
                ),
            ],
            "warning": _("To involve them again, you would need to ask again."),
            "action": _("Stop it"),
            "back": _("Keep going and go back"),
            "back_url": back,
        },
    )


# ---- the side of the person asked ------------------------------------------------------


@require_GET
@member_required
def ally_list(request: HttpRequest) -> HttpResponse:
    reader = require_member_vault(request)
    return render(request, "records/ally_list.html", {"requests": list(ally_requests_to(reader.member))})


@require_GET
@member_required
def ally_detail(request: HttpRequest, request_id: UUID) -> HttpResponse:
    reader = require_member_vault(request)
    found = ally_request_for_ally(reader, request_id)
    if found.state not in allies.LIVE:
        return render(request, "records/ally_ended.html", {"found": found})
    try:
        view = allies.ally_view_for_ally(reader, found)
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    return render(request, "records/ally_detail.html", {"view": view, "form": AllyAnswerForm()})


@require_POST
@member_required
def ally_answer(request: HttpRequest, request_id: UUID) -> HttpResponse:
    reader = require_member_vault(request)
    found = ally_request_for_ally(reader, request_id)
    form = AllyAnswerForm(request.POST)
    if found.state != AllyState.ASKED:
        return redirect("ally_detail", request_id=found.pk)  # answered already, or ended
    if not form.is_valid():
        try:
            view = allies.ally_view_for_ally(reader, found)
        except AccessRefused as refused:
            return refused_page(request, str(refused))
        return render(request, "records/ally_detail.html", {"view": view, "form": form}, status=400)
    accept = form.cleaned_data["answer"] == "accept"
    try:
        allies.ally_answer(reader, found, accept=accept)
    except (RecordError, AccessRefused) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Thank you. She can see that you said yes.")
            if accept
            else _("You said no. Only she is told, and what she shared is taken back."),
        )
    if accept:
        return redirect("ally_detail", request_id=found.pk)
    return redirect("ally_list")


def _accepted(reader_request: HttpRequest, request_id: UUID) -> tuple[Reader, AllyRequest]:
    reader = require_member_vault(reader_request)
    found = ally_request_for_ally(reader, request_id)
    if found.state != AllyState.ACCEPTED:
        raise Http404  # before an answer, or once ended: nothing of it opens
    return reader, found


@require_GET
@member_required
def ally_shared(request: HttpRequest, request_id: UUID) -> HttpResponse:
    reader, found = _accepted(request, request_id)
    try:
        shared = allies.ally_shared(reader, found)
    except AllyGone as error:
        raise Http404 from error
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    return render(request, "records/ally_shared.html", {"shared": shared, "found": found})


@require_GET
@member_required
def ally_file(request: HttpRequest, request_id: UUID, attachment_id: UUID) -> HttpResponse:
    reader, found = _accepted(request, request_id)
    try:
        info, data = allies.ally_file(reader, found, attachment_id)
    except AllyGone as error:
        raise Http404 from error
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    return download(data, name=info.name, mime=info.mime)


@require_http_methods(["GET", "POST"])
@member_required
def ally_notes(request: HttpRequest, request_id: UUID) -> HttpResponse:
    reader, found = _accepted(request, request_id)
    form = AllyNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = form.cleaned_data["kind"] == "report"
        try:
            allies.ally_write(reader, found, body=form.cleaned_data["body"], report=report)
        except AllyGone as error:
            raise Http404 from error
        except RecordError as refused:
            form.add_error("body", str(refused))
        else:
            messages.success(
                request, _("Sent to her. She is told there is news.") if report else _("Note kept for the two of you.")
            )
            return redirect("ally_notes", request_id=found.pk)
    try:
        view = allies.ally_view_for_ally(reader, found)
    except AllyGone as error:
        raise Http404 from error
    except AccessRefused as refused:
        return refused_page(request, str(refused))
    status = 400 if request.method == "POST" else 200
    return render(request, "records/ally_notes.html", {"view": view, "form": form}, status=status)
