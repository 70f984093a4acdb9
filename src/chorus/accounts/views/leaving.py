"""Leaving: an administrator offboards someone leaving a role with power; a member deletes
their own account."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chorus.accounts import vault
from chorus.accounts.access import get_member_for_admin, member_required, signed_in_member
from chorus.accounts.errors import AccountError
from chorus.accounts.forms import AccountDeleteForm
from chorus.accounts.roles import ROLE_LABELS
from chorus.accounts.services.deletion import account_delete, deletion_confirm, deletion_preview, sole_roles
from chorus.accounts.services.leaving import export_until
from chorus.accounts.services.offboarding import handover_of, member_offboard, offboarding_refusal
from chorus.accounts.views.signin import client_ip
from chorus.records.access import Owner, VaultLocked

_DELETED = "account_deleted"  # a session flag for the page that says it is done


@require_http_methods(["GET", "POST"])
@member_required
def member_offboard_view(request: HttpRequest, member_id: UUID) -> HttpResponse:
    admin, person = get_member_for_admin(request, member_id)
    error = None
    if request.method == "POST":
        try:
            removed = member_offboard(member=person, actor=admin)
        except AccountError as refused:
            error = str(refused)
        else:
            messages.success(
                request,
                _(
                    "%(name)s no longer holds: %(roles)s. The team keys they held were changed. "
                    "Hand over what is listed below."
                )
                % {"name": person.display_name, "roles": ", ".join(str(ROLE_LABELS[role]) for role in removed)},
            )
            return redirect("member_offboard", member_id=person.pk)
    handover = handover_of(person)
    return render(
        request,
        "accounts/member_offboard.html",
        {
            "person": person,
            "handover": handover,
            "role_labels": [ROLE_LABELS[role] for role in handover.roles],
            "sole": [ROLE_LABELS[sole.role] for sole in sole_roles(person)],
            "refusal": None if error else offboarding_refusal(person, admin),
            "error": error,
        },
        status=400 if error else 200,
    )


def _owner(request: HttpRequest) -> Owner:
    member = signed_in_member(request)
    key = vault.vault_key(request)
    if key is None:  # the preview counts what the vault holds; the deletion itself uses the password
        raise VaultLocked
    return Owner(organization=member.organization, vault_key=key, member=member)


@require_http_methods(["GET", "POST"])
@member_required
def account_delete_view(request: HttpRequest) -> HttpResponse:
    request.sensitive_post_parameters = "__ALL__"  # type: ignore[attr-defined]  # the password stays out of reports
    owner = _owner(request)
    member = signed_in_member(request)
    form = AccountDeleteForm(request.POST if request.method == "POST" else None, two_factor=member.has_two_factor)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = deletion_confirm(
                member=member,
                password=form.cleaned_data["password"],
                code=form.cleaned_data.get("code", ""),
                ip=client_ip(request),
            )
            account_delete(owner=confirmed)
        except AccountError as refused:
            form.add_error(None, str(refused))
        else:
            logout(request)
            request.session[_DELETED] = True
            return redirect("account_deleted")
    return render(
        request,
        "accounts/account_delete.html",
        {"form": form, "preview": deletion_preview(owner)},
        status=400 if form.errors else 200,
    )


@require_GET
def account_deleted_view(request: HttpRequest) -> HttpResponse:
    """Shown once, to the browser that deleted the account (anyone else is sent home)."""
    if not request.session.pop(_DELETED, False):
        return redirect("home")
    return render(request, "accounts/account_deleted.html")


@require_GET
@member_required
def membership_ended_view(request: HttpRequest) -> HttpResponse:
    """Where a removed member lands while they may still take their records away."""
    member = signed_in_member(request)
    until = export_until(member)
    if until is None:
        return redirect("home")
    return render(request, "accounts/membership_ended.html", {"removed_at": member.removed_at, "until": until})
