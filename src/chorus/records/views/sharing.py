"""The survivor's choices about who reads what: sharing, revoking, seeing every access,
and messages with the advocate team."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.models import Member
from chorus.ledger.views import receipt_response
from chorus.records.access import Owner, record_for_owner
from chorus.records.fields import PART_NAMES
from chorus.records.forms import MessageForm, ShareForm
from chorus.records.models import Purpose
from chorus.records.services import messaging, sharing, writing
from chorus.records.services.writing import RecordError
from chorus.records.views.records import owner_required
from chorus.web.posting import message_posted

TEAM = "team"


@require_GET
@owner_required
def record_access_receipt(request: HttpRequest, owner: Owner, record_id: UUID, seq: int) -> HttpResponse:
    """A receipt (with its inclusion proof) for one access to the owner's record."""
    record = record_for_owner(owner, record_id)
    event = sharing.access_event(owner, record, seq)
    if event is None:
        raise Http404
    return receipt_response(event)


@require_http_methods(["GET", "POST"])
@owner_required
def record_share(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    contents = writing.record_contents(owner, record)
    advocates = sharing.grantees_for(owner.organization)
    form = ShareForm(
        request.POST or None,
        grantees=[(TEAM, _("The advocate team"))]
        + [(str(a.pk), _("%(name)s (advocate)") % {"name": a.display_name}) for a in advocates],
        versions=[
            (
                str(v.number),
                _("Version %(n)d, saved %(when)s")
                % {"n": v.number, "when": formats.date_format(v.saved_at, "DATETIME_FORMAT")},
            )
            for v in reversed(contents.versions)
        ],
        attachments=[(str(a.id), a.name) for a in contents.attachments],
        initial={
            "grantee": TEAM,
            "versions": [str(contents.versions[-1].number)] if contents.versions else [],
            "parts": [name for name in PART_NAMES if name != "title"],
            "attachments": [str(a.id) for a in contents.attachments],
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grantee: Member | None = None
        if data["grantee"] != TEAM:
            grantee = next((a for a in advocates if str(a.pk) == data["grantee"]), None)
        try:
            sharing.grant_create(
                owner,
                record,
                grantee=grantee,
                purpose=data["purpose"],
                versions=[int(n) for n in data["versions"]],
                parts=data["parts"],
                attachment_ids=[UUID(a) for a in data["attachments"]],
                expires_at=data["expires_on"],
            )
        except RecordError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Shared. You will see here every time someone reads it, and you can stop sharing at any time."),
            )
            return redirect("record_share", record_id=record.pk)
    return render(
        request,
        "records/share.html",
        {
            "form": form,
            "record": record,
            "contents": contents,
            "grants": record.grants.exclude(purpose=Purpose.ALLY).select_related("grantee"),
        },
    )


@require_http_methods(["GET", "POST"])
@owner_required
def grant_revoke(request: HttpRequest, owner: Owner, record_id: UUID, grant_id: UUID) -> HttpResponse:
    """Asked once more (GET), then done (POST)."""
    record = record_for_owner(owner, record_id)
    if request.method == "POST":
        sharing.grant_revoke(owner, record, grant_id)
        messages.success(
            request,
            _(
                "Sharing has stopped: nobody can open this share any more. "
                "What was already read cannot be unread; the list of accesses shows who read it and when."
            ),
        )
        return redirect("record_share", record_id=record.pk)
    grant = record.grants.exclude(purpose=Purpose.ALLY).select_related("grantee").filter(pk=grant_id).first()
    if grant is None or not grant.is_active():
        return redirect("record_share", record_id=record.pk)
    with_whom = (
        _("%(name)s (advocate)") % {"name": grant.grantee.display_name} if grant.grantee else _("the advocate team")
    )
    return render(
        request,
        "records/confirm.html",
        {
            "question": _("Stop sharing with %(whom)s?") % {"whom": with_whom},
            "explanation": [
                _("The key that opens this share is deleted, so nobody can read it again."),
                _("What was already read cannot be unread; “Who has seen it” shows every read."),
            ],
            "warning": _("To let them read it again, you would need to share it again."),
            "action": _("Stop sharing"),
            "back": _("Keep sharing and go back"),
            "back_url": reverse("record_share", args=[record.pk]),
        },
    )


@require_GET
@owner_required
def record_access(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    contents = writing.record_contents(owner, record)
    return render(
        request,
        "records/access.html",
        {"record": record, "contents": contents, "accesses": sharing.access_history(owner, record)},
    )


@require_http_methods(["GET", "POST"])
@owner_required
def record_messages(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    form = MessageForm(request.POST or None)
    if message_posted(
        request,
        form,
        lambda body: messaging.message_from_owner(owner, record, body),
        refusals=(RecordError,),
        sent=_("Sent to the advocate team."),
    ):
        return redirect("record_messages", record_id=record.pk)
    contents = writing.record_contents(owner, record)
    return render(
        request,
        "records/messages.html",
        {
            "record": record,
            "contents": contents,
            "form": form,
            "thread": messaging.messages_for_owner(owner, record),
            "owner": owner,
            "notices_on": bool(record.notify_sealed),
        },
    )


@require_POST
@owner_required
def record_notices(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    enabled = request.POST.get("enabled") == "on"
    try:
        messaging.notices_set(owner, record, enabled=enabled)
    except RecordError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("We will email you when there is a new message (the email says nothing else).")
            if enabled
            else _("No more email notices."),
        )
    return redirect("record_messages", record_id=record.pk)
