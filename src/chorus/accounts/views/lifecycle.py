"""Suspending, reinstating and removing members: the administrator's form, and the second person's
decision on "Who holds power"."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chorus.accounts.access import get_member_for_change, get_membership_change_for_decider, member_required
from chorus.accounts.forms import MembershipChangeForm
from chorus.accounts.models import REINSTATEMENT_REASONS, REMOVAL_REASONS, SUSPENSION_REASONS, Member
from chorus.accounts.services.lifecycle import (
    member_reinstate,
    member_remove,
    member_suspend,
    membership_change_approve,
    membership_change_decline,
    power_held,
)
from chorus.accounts.services.power import PowerRefused
from chorus.accounts.services.sanctions import measure_to_carry_out
from chorus.cases.models import Measure


def _measure(request: HttpRequest, admin: Member, person: Member, kind: str) -> Measure | None:
    """The case's measure a suspension or removal carries out, when the page was opened from
    the case by the measure's owner (``?measure=``); a link that does not hold is a 404, as
    an unknown address is, so the page tells nobody which cases a member is the respondent of."""
    raw = request.POST.get("measure") if request.method == "POST" else request.GET.get("measure")
    if not raw:
        return None
    try:
        measure_id = UUID(raw)
    except ValueError:
        raise Http404 from None
    measure = measure_to_carry_out(measure_id, admin, person) if kind != "reinstate" else None
    if measure is None:
        raise Http404
    return measure


def _change_page(request: HttpRequest, member_id: UUID, *, kind: str) -> HttpResponse:
    admin, person = get_member_for_change(request, member_id)
    # Administrators come from the members page; the oversight body, proposing a change to an
    # administrator, from "Who holds power".
    back = "members" if admin.has_role("admin") else "power"
    # A stale link or a typed address: the page it came from offers only the action that fits.
    if person.pk == admin.pk:
        messages.info(
            request, _("Nobody suspends, reinstates or removes themselves. Another administrator must do it.")
        )
        return redirect(back)
    stale = _stale(person, kind)
    if stale is not None:
        messages.info(request, stale % {"name": person.display_name})
        return redirect(back)
    measure = _measure(request, admin, person, kind)
    reasons = {"suspend": SUSPENSION_REASONS, "reinstate": REINSTATEMENT_REASONS, "remove": REMOVAL_REASONS}[kind]
    form = MembershipChangeForm(
        request.POST if request.method == "POST" else None,
        reasons=reasons,
        initial={"reason": "sanction"} if measure is not None else None,
    )
    if request.method == "POST" and form.is_valid():
        act = {"suspend": member_suspend, "reinstate": member_reinstate, "remove": member_remove}[kind]
        try:
            act(  # type: ignore[operator]  # the three share these keyword arguments
                member=person,
                reason=form.cleaned_data["reason"],
                case_reference=form.cleaned_data["case_reference"],
                actor=admin,
                **({"measure": measure} if measure is not None else {}),
            )
        except PowerRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _done(kind) % {"name": person.display_name})
            return redirect(back)
    return render(
        request,
        "accounts/member_change.html",
        {
            "form": form,
            "person": person,
            "kind": kind,
            "power_held": bool(power_held(person)),
            "held_roles": bool(person.role_codes),
            "measure": measure,
            "back": back,
        },
        status=400 if form.errors else 200,
    )


def _stale(person: Member, kind: str) -> str | None:
    """A stale link or a typed address: the members page offers only the actions that fit."""
    if person.deleted_at is not None:
        return _("%(name)s deleted their account.")
    if kind == "suspend" and not person.is_active:
        return _("%(name)s is already suspended.")
    if kind == "reinstate" and person.is_active:
        return _("%(name)s is not suspended.")
    if kind == "remove" and person.removed_at is not None:
        return _("%(name)s has already been removed.")
    return None


def _done(kind: str) -> str:
    if kind == "suspend":
        return _(
            "You proposed to suspend %(name)s. A second person must confirm it on the “Who holds power” page; "
            "until then %(name)s can still sign in."
        )
    if kind == "remove":
        return _(
            "You proposed to remove %(name)s. A second person must confirm it on the “Who holds power” page; "
            "until then nothing changes for them."
        )
    return _(
        "You proposed to reinstate %(name)s. A second person must confirm it on the “Who holds power” page; "
        "until then they cannot sign in."
    )


@require_http_methods(["GET", "POST"])
@member_required
def member_suspend_view(request: HttpRequest, member_id: UUID) -> HttpResponse:
    return _change_page(request, member_id, kind="suspend")


@require_http_methods(["GET", "POST"])
@member_required
def member_remove_view(request: HttpRequest, member_id: UUID) -> HttpResponse:
    return _change_page(request, member_id, kind="remove")


@require_http_methods(["GET", "POST"])
@member_required
def member_reinstate_view(request: HttpRequest, member_id: UUID) -> HttpResponse:
    return _change_page(request, member_id, kind="reinstate")


def _decide(request: HttpRequest, change_id: UUID, *, approve: bool) -> HttpResponse:
    member, change = get_membership_change_for_decider(request, change_id)
    try:
        if approve:
            change = membership_change_approve(change=change, approver=member)
        else:
            change = membership_change_decline(change=change, actor=member)
    except PowerRefused as refused:
        messages.error(request, str(refused))
        return redirect("power")
    name = {"name": change.member.display_name}
    if not approve:
        done = {
            "suspend": _("The proposal to suspend %(name)s was closed; nothing was changed."),
            "remove": _("The proposal to remove %(name)s was closed; nothing was changed."),
            "reinstate": _("The proposal to reinstate %(name)s was closed; they stay suspended."),
        }[change.kind]
    elif change.kind == "remove":
        done = _(
            "%(name)s is removed: they are signed out, cannot sign in, and hold no roles. What they own stays "
            "theirs. The ledger records that you approved it."
        )
    elif change.kind == "suspend":
        done = _(
            "%(name)s is suspended: they are signed out and cannot sign in. The ledger records that you approved it."
        )
    else:
        done = _("%(name)s is reinstated and can sign in again. The ledger records that you approved it.")
    messages.success(request, done % name)
    return redirect("power")


@require_POST
@member_required
def membership_change_approve_view(request: HttpRequest, change_id: UUID) -> HttpResponse:
    return _decide(request, change_id, approve=True)


@require_POST
@member_required
def membership_change_decline_view(request: HttpRequest, change_id: UUID) -> HttpResponse:
    return _decide(request, change_id, approve=False)
