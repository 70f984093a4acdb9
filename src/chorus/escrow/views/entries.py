"""A member's escrow: name someone, see what you named, withdraw; the organization's settings."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required, require_admin
from chorus.escrow.forms import ROWS, EntryForm, SettingsForm
from chorus.escrow.services import entries, groups, matches
from chorus.escrow.services.entries import EscrowError, Named
from chorus.records.access import Owner
from chorus.records.services.writing import records_of
from chorus.records.views.records import owner_required

HELD = _(
    "Your entry is held in escrow. Nobody can read it, or learn whom you named, unless "
    "other members name the same person."
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
    return render(
        request,
        "escrow/escrow.html",
        {
            "entries": entries.entries_of(owner),
            "invitations": groups.invitations_for(owner),
            "notices": matches.notices_for(owner),
        },
    )


@require_http_methods(["GET", "POST"])
@escrow_owner_required
def escrow_new(request: HttpRequest, owner: Owner) -> HttpResponse:
    records = [(str(summary.record.pk), summary.title or _("Untitled record")) for summary in records_of(owner)]
    form = EntryForm(request.POST or None, records=records)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        filled = [row for row in range(ROWS) if data[f"text_{row}"].strip()]
        named = [Named(kind=data[f"kind_{row}"], text=data[f"text_{row}"]) for row in filled]
        try:
            entries.entry_submit(owner, named=named, choices=form.choices())
        except EscrowError as refused:
            at_fault = f"text_{filled[refused.field]}" if refused.field is not None else None
            form.add_error(at_fault, str(refused))
        else:
            messages.success(request, HELD)
            return redirect("escrow")
    return render(request, "escrow/new.html", {"form": form, "has_records": bool(records)})


@require_GET
@escrow_owner_required
def escrow_entry(request: HttpRequest, owner: Owner, entry_id: UUID) -> HttpResponse:
    return render(request, "escrow/entry.html", {"view": entries.entry_for_owner(owner, entry_id)})


@require_POST
@escrow_owner_required
def escrow_withdraw(request: HttpRequest, owner: Owner, entry_id: UUID) -> HttpResponse:
    view = entries.entry_for_owner(owner, entry_id)
    entries.entry_withdraw(owner, view.entry)
    messages.success(request, _("Your entry is withdrawn."))
    return redirect("escrow_entry", entry_id=entry_id)


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
