"""The survivor's side: writing, history, files, registering, export and destruction.

Named members (vault open) and anonymous reporters (receipt opened) use the same pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID, uuid4

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.records.access import Owner, VaultLocked, owner_from_request, record_for_owner, record_owned
from chorus.records.forms import RecordForm, RegisterForm
from chorus.records.models import Category, Record
from chorus.records.services import export, writing
from chorus.records.services.writing import RecordError
from chorus.retention.services.clock import record_opened
from chorus.web.views import error_page


def owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pass the record owner to the view; send others to sign in (or to reopen the vault)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]  # no story in error reports
        try:
            owner = owner_from_request(request)
        except VaultLocked:
            return render(request, "records/locked.html", status=200)
        if owner is None:
            return redirect_to_login(request.get_full_path())
        return view(request, owner, *args, **kwargs)

    return wrapper


def download(data: bytes, *, name: str, mime: str) -> HttpResponse:
    response = HttpResponse(data, content_type=mime)
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    response["Content-Disposition"] = f'attachment; filename="{ascii_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@owner_required
def records(request: HttpRequest, owner: Owner) -> HttpResponse:
    return render(request, "records/records.html", {"records": writing.records_of(owner), "owner": owner})


def _new_record_token(owner: Owner) -> str:
    """The id a new-record page will create its record under, signed for this owner only."""
    return signing.dumps(str(uuid4()), salt=f"chorus.records.new:{owner.tag.hex()}")


def _new_record_id(owner: Owner, token: str | None) -> UUID:
    try:
        return UUID(signing.loads(token or "", salt=f"chorus.records.new:{owner.tag.hex()}"))
    except (signing.BadSignature, ValueError, TypeError):
        return uuid4()  # a page from before a key change: it still saves, as a record of its own


@require_http_methods(["GET", "POST"])
@owner_required
def record_new(request: HttpRequest, owner: Owner) -> HttpResponse:
    """An empty editor: no record exists until there is something to keep (the first
    draft with words in it, or "Save" with words or a file)."""
    if request.method == "POST":
        record_id = _new_record_id(owner, request.POST.get("record"))
        record = record_owned(owner, record_id)
        if record is not None:  # the page's autosave created it: this is an ordinary save
            return record_edit(request, record_id=record.pk)
        form = RecordForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data.get("attachment")
            too_large = getattr(request, "chorus_upload_too_large", False)
            if not writing.has_content(form.parts()) and upload is None and not too_large:
                form.add_error(None, _("There is nothing to save yet. Write something or attach a file, then save."))
            else:
                try:
                    with transaction.atomic():
                        record = writing.record_begin(owner, record_id)
                        file_error = _save(request, owner, record, form)
                        if file_error is not None and not writing.has_content(form.parts()):
                            # Only a refused file: nothing to keep, so no record either.
                            transaction.set_rollback(True)
                except RecordError as refused:
                    form.add_error(None, str(refused))
                else:
                    if file_error is None:
                        return redirect("record_edit", record_id=record.pk)
                    if writing.has_content(form.parts()):
                        return _editor(request, owner, record, form, file_error=file_error)
                    form.add_error("attachment", file_error)
        token = request.POST.get("record") or _new_record_token(owner)
    else:
        form = RecordForm()
        token = _new_record_token(owner)
    return render(request, "records/edit.html", {"form": form, "new_record_token": token})


@require_POST
@owner_required
def record_new_draft(request: HttpRequest, owner: Owner) -> HttpResponse:
    """Autosave from a new-record page: the first draft with words in it creates the
    record; the answer tells the page where the record now lives."""
    form = RecordForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"saved": False, "error": _("Some part is too long to keep.")}, status=400)
    record_id = _new_record_id(owner, request.POST.get("record"))
    record = record_owned(owner, record_id)
    if record is None and not writing.has_content(form.parts()):
        return JsonResponse({"saved": False})
    try:
        record = record or writing.record_begin(owner, record_id)
    except RecordError as refused:
        return JsonResponse({"saved": False, "error": str(refused)}, status=400)
    saved_at = writing.draft_save(owner, record, form.parts())
    record_opened(owner, record)  # so its owner can be warned before an unused draft is deleted
    return JsonResponse(
        {
            "saved": True,
            "saved_at": saved_at.isoformat(),
            "record_url": reverse("record_edit", args=[record.pk]),
            "draft_url": reverse("record_draft", args=[record.pk]),
        }
    )


def _save(request: HttpRequest, owner: Owner, record: Record, form: RecordForm) -> str | None:
    """Save the text, then the file; the file's refusal (if any) for the page."""
    # The text is saved first, so a refused file never costs what was written.
    version = writing.record_save(owner, record, form.parts())
    if version is not None:
        messages.success(request, _("Saved as version %(number)d. Only you can read it.") % {"number": version.number})
    upload = form.cleaned_data.get("attachment")
    if getattr(request, "chorus_upload_too_large", False):
        return writing.too_large_message()
    if upload is None:
        if version is None:
            messages.info(request, _("Nothing had changed since your last save."))
        return None
    try:
        added = writing.attachment_add(owner, record, name=upload.name or "", data=upload.read())
    except RecordError as refused:
        return str(refused)
    message = _("“%(name)s” is attached.") % {"name": added.name}
    if added.removed:
        message += " " + _("Removed before storing: %(removed)s.") % {"removed": "; ".join(added.removed)}
    messages.success(request, message)
    return None


@require_http_methods(["GET", "POST"])
@owner_required
def record_edit(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    record_opened(owner, record)  # opening it keeps it: its retention clock starts again
    file_error = None
    contents = None
    if request.method == "POST":
        form = RecordForm(request.POST, request.FILES)
        if form.is_valid():
            file_error = _save(request, owner, record, form)
            if file_error is None:
                return redirect("record_edit", record_id=record.pk)
    else:
        contents = writing.record_contents(owner, record)
        form = RecordForm(initial=contents.working)
    return _editor(request, owner, record, form, file_error=file_error, contents=contents)


def _editor(
    request: HttpRequest,
    owner: Owner,
    record: Record,
    form: RecordForm,
    *,
    file_error: str | None,
    contents: writing.RecordContents | None = None,
) -> HttpResponse:
    contents = contents or writing.record_contents(owner, record)
    return render(
        request,
        "records/edit.html",
        {
            "form": form,
            "contents": contents,
            "record": record,
            "file_error": file_error,
            "restored_draft": request.method == "GET" and contents.draft is not None,
        },
    )


@require_POST
@owner_required
def record_draft(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    """Autosave from the page's script: the text as typed, kept encrypted until saved."""
    record = record_for_owner(owner, record_id)
    form = RecordForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"saved": False, "error": _("Some part is too long to keep.")}, status=400)
    saved_at = writing.draft_save(owner, record, form.parts())
    return JsonResponse({"saved": True, "saved_at": saved_at.isoformat()})


@require_GET
@owner_required
def record_history(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    contents = writing.record_contents(owner, record)
    return render(request, "records/history.html", {"contents": contents, "record": record})


@require_GET
@owner_required
def record_attachment(request: HttpRequest, owner: Owner, record_id: UUID, attachment_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    try:
        info, data = writing.attachment_open(owner, record, attachment_id)
    except RecordError as missing:
        return error_page(request, 404, _("This file is not here."), str(missing))
    return download(data, name=info.name, mime=info.mime)


@require_http_methods(["GET", "POST"])
@owner_required
def record_attachment_remove(request: HttpRequest, owner: Owner, record_id: UUID, attachment_id: UUID) -> HttpResponse:
    """Asked once more (GET), then done (POST): a slip of the finger never costs a file."""
    record = record_for_owner(owner, record_id)
    if request.method == "POST":
        writing.attachment_remove(owner, record, attachment_id)
        messages.success(request, _("The file was removed from your record."))
        return redirect("record_edit", record_id=record.pk)
    try:
        info = writing.attachment_describe(owner, record, attachment_id)
    except RecordError as missing:
        return error_page(request, 404, _("This file is not here."), str(missing))
    return render(
        request,
        "records/confirm.html",
        {
            "question": _("Remove “%(name)s” from this record?") % {"name": info.name},
            "explanation": [
                _("The file and the key that opens it are deleted. Your words and your other files stay."),
                _("If you shared this file, nobody can open it any more; what was already opened cannot be unopened."),
            ],
            "warning": _("A removed file cannot be brought back. Download it first if you may want it later."),
            "action": _("Remove the file"),
            "back": _("Keep it and go back to the record"),
            "back_url": reverse("record_edit", args=[record.pk]),
        },
    )


@require_http_methods(["GET", "POST"])
@owner_required
def record_register(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    form = RegisterForm(
        request.POST or None, initial={"category": record.registered_category, "period": record.registered_period}
    )
    if request.method == "POST":
        if "withdraw" in request.POST:
            writing.record_register(owner, record, category="", period="")
            messages.success(request, _("This experience is no longer counted."))
            return redirect("record_edit", record_id=record.pk)
        if form.is_valid():
            try:
                writing.record_register(
                    owner, record, category=form.cleaned_data["category"], period=form.cleaned_data["period"]
                )
            except RecordError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(
                    request, _("Registered. Thank you — it counts, and nothing you wrote left your record.")
                )
                return redirect("record_edit", record_id=record.pk)
    return render(
        request,
        "records/register.html",
        {
            "form": form,
            "record": record,
            "category_label": Category(record.registered_category).label if record.registered_category else "",
        },
    )


@require_GET
@owner_required
def record_export(request: HttpRequest, owner: Owner, record_id: UUID, kind: str) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    if kind not in ("zip", "pdf"):
        raise Http404
    if kind == "zip":
        return download(
            export.export_zip(owner, record), name=f"chorus-record-{str(record.pk)[:8]}.zip", mime="application/zip"
        )
    return download(
        export.export_pdf(owner, record), name=f"chorus-record-{str(record.pk)[:8]}.pdf", mime="application/pdf"
    )


@require_http_methods(["GET", "POST"])
@owner_required
def record_destroy(request: HttpRequest, owner: Owner, record_id: UUID) -> HttpResponse:
    record = record_for_owner(owner, record_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "destroy":
            messages.error(request, _("Tick the box to confirm; nothing was destroyed."))
            return redirect("record_destroy", record_id=record.pk)
        writing.record_destroy(owner, record)
        messages.success(request, _("The record, its versions, files, shares and messages are destroyed."))
        return redirect("records")
    contents = writing.record_contents(owner, record)
    return render(request, "records/destroy.html", {"contents": contents, "record": record})
