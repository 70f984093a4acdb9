"""A member's escrow: name someone, see what you named, withdraw; the organization's settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required, require_admin
from chorus.crypto.errors import MalformedInput
from chorus.custodian.wsgi import b64, unb64
from chorus.escrow import evaluation
from chorus.escrow.forms import ROWS, EntryForm, SealedEntryForm, SettingsForm
from chorus.escrow.holders import MAX_BATCH, CustodianUnavailable, RateLimited
from chorus.escrow.services import entries, groups, matches
from chorus.escrow.services.entries import UNREACHABLE, EscrowError
from chorus.records.access import Owner
from chorus.records.services.writing import records_of
from chorus.records.views.records import owner_required

HELD = gettext_lazy(
    "Your entry is sealed. Nobody can read it, or learn whom you named, unless other members name the same person too."
)


def escrow_owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like owner_required, for members only: a match counts distinct members."""

    @owner_required
    @wraps(view)
    def wrapper(request: HttpRequest, owner: Owner, *args: Any, **kwargs: Any) -> HttpResponse:
        if owner.member is None:
            return redirect_to_login(request.get_full_path())
        return view(request, owner, *args, **kwargs)

    return wrapper


@require_GET
@escrow_owner_required
def escrow(request: HttpRequest, owner: Owner) -> HttpResponse:
    entries.entries_start_counting(owner)
    return render(
        request,
        "escrow/escrow.html",
        {
            "entries": entries.entries_of(owner),
            "invitations": [
                (invitation, groups.own_entry_in(owner, invitation.group))
                for invitation in groups.invitations_for(owner)
            ],
            "notices": matches.notices_for(owner),
            "setup": entries.copy_setup(owner),
            "confirmed": owner.member is not None and owner.member.membership_confirmed,
        },
    )


@require_http_methods(["GET", "POST"])
@escrow_owner_required
def escrow_new(request: HttpRequest, owner: Owner) -> HttpResponse:
    """Both constructions post here: the form as filled in (no JavaScript; the server
    evaluates and forgets), or what the browser built (``construction=browser``)."""
    records = [  # what they saw happen to someone else is never offered
        (str(summary.record.pk), summary.title or _("Untitled record"))
        for summary in records_of(owner)
        if not summary.witnessed
    ]
    form: EntryForm | SealedEntryForm
    if request.POST.get("construction") == "browser":
        form = SealedEntryForm(request.POST, records=records)
    else:
        form = EntryForm(request.POST or None, records=records)
    if request.method == "POST" and form.is_valid():
        try:
            if isinstance(form, SealedEntryForm):
                entries.entry_submit_sealed(owner, **form.sealed(), choices=form.choices())
            else:
                entries.entry_submit(owner, named=form.named(), choices=form.choices())
        except EscrowError as refused:
            form.add_error(form.field_at(refused.field), str(refused))
        else:
            messages.success(request, HELD)
            return redirect("escrow")
    if isinstance(form, SealedEntryForm):  # refused: shown as the form that was filled in
        form = _as_filled_in(form, records)
    return render(
        request,
        "escrow/new.html",
        {"form": form, "has_records": bool(records), "setup": entries.browser_setup(owner)},
    )


def _as_filled_in(sealed: SealedEntryForm, records: list[tuple[str, str]]) -> EntryForm:
    """The page the browser reads a refusal from (it keeps the rows it never sent)."""
    shown = EntryForm(sealed.data, records=records)
    shown.is_valid()
    for row in range(ROWS):  # the browser kept its rows and never sent them: not missing
        shown.errors.pop(f"kind_{row}", None)
        shown.errors.pop(f"text_{row}", None)
    refusals = {str(e) for field, errors in sealed.errors.items() if field not in shown.fields for e in errors}
    for message in sorted(refusals):
        shown.add_error(None, message)
    return shown


@require_POST
@escrow_owner_required
def escrow_evaluate(request: HttpRequest, owner: Owner) -> JsonResponse:
    """The browser construction's one round trip: its blinded elements, evaluated by the
    platform and then the custodian, each answer with its proof. JSON in, JSON out."""
    assert owner.member is not None  # noqa: S101 - escrow_owner_required
    try:
        blinded = [unb64(item) for item in json.loads(request.body)["blinded"]]
    except (ValueError, KeyError, TypeError, MalformedInput):
        return JsonResponse({"error": _("The request was not understood.")}, status=400)
    if not 1 <= len(blinded) <= MAX_BATCH:
        return JsonResponse({"error": _("One entry can name 1 to %(n)d identifiers.") % {"n": MAX_BATCH}}, status=400)
    try:
        answer = evaluation.for_browser(blinded, member=owner.member)
    except MalformedInput:
        return JsonResponse({"error": _("The request was not understood.")}, status=400)
    except RateLimited as error:
        return JsonResponse({"error": str(error)}, status=429, headers={"Retry-After": str(error.retry_after)})
    except CustodianUnavailable:
        return JsonResponse({"error": UNREACHABLE}, status=503)
    return JsonResponse(
        {
            "byPlatform": [b64(element) for element in answer.by_platform],
            "platformProof": b64(answer.platform_proof),
            "byCustodian": [b64(element) for element in answer.by_custodian],
            "custodianProof": b64(answer.custodian_proof),
        }
    )


@require_GET
@escrow_owner_required
def escrow_entry(request: HttpRequest, owner: Owner, entry_id: UUID) -> HttpResponse:
    return render(
        request,
        "escrow/entry.html",
        {"view": entries.entry_for_owner(owner, entry_id), "setup": entries.copy_setup(owner)},
    )


@require_http_methods(["GET", "POST"])
@escrow_owner_required
def escrow_withdraw(request: HttpRequest, owner: Owner, entry_id: UUID) -> HttpResponse:
    """Asked once more (GET), then done (POST): withdrawing cannot be undone."""
    entry = entries.owned_entry(owner, entry_id)
    if request.method == "POST":
        entries.entry_withdraw(owner, entry)
        messages.success(request, _("Your entry is withdrawn."))
        return redirect("escrow_entry", entry_id=entry_id)
    if entry.withdrawn_at is not None:
        return redirect("escrow_entry", entry_id=entry_id)
    return render(
        request,
        "records/confirm.html",
        {
            "question": _("Withdraw the entry you made on %(when)s?")
            % {"when": date_format(localtime(entry.created_at), "DATE_FORMAT")},
            "explanation": [
                _("Withdrawing deletes the sealed entry: it no longer counts toward a match."),
                _(
                    "If others had already named the same person, what the entry released was already with the "
                    "advocates; they will see that you withdrew it and will not act on it without you."
                ),
            ],
            "warning": _("A withdrawn entry cannot be restored. To name the person again, you would make a new entry."),
            "action": _("Withdraw this entry"),
            "back": _("Keep the entry and go back"),
            "back_url": reverse("escrow_entry", args=[entry_id]),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def escrow_settings(request: HttpRequest) -> HttpResponse:
    admin = require_admin(request)
    organization = admin.organization
    form = SettingsForm(
        request.POST or None,
        initial={"escrow_threshold": organization.escrow_threshold, "phone_region": organization.phone_region},
    )
    if request.method == "POST" and form.is_valid():
        entries.escrow_settings_set(
            admin, threshold=form.cleaned_data["escrow_threshold"], phone_region=form.cleaned_data["phone_region"]
        )
        messages.success(request, _("Saved. New entries use these settings; earlier entries keep theirs."))
        return redirect("escrow_settings")
    return render(request, "escrow/settings.html", {"form": form})
