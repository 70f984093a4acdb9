"""Retention pages: what every member can read, and the administrator's settings and hold."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chorus.accounts.access import member_required, require_admin, signed_in_member
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for
from chorus.retention.forms import LABELS, PolicyForm, ReasonForm
from chorus.retention.models import BOUNDS, Hold
from chorus.retention.services.policy import (
    RetentionError,
    chosen_values,
    hold_current,
    hold_lift,
    hold_set,
    policy_for,
    policy_set,
    shortenings_for,
)

ACTIONS = ("retention.policy_changed", "retention.hold_set", "retention.hold_lifted")


@require_GET
@member_required
def retention(request: HttpRequest) -> HttpResponse:
    """For every member: how long things are kept, whether a hold is in place, and each change."""
    member = signed_in_member(request)
    organization = member.organization
    policy = policy_for(organization)
    shorter = shortenings_for(organization)
    periods = [(LABELS[name][0], LABELS[name][1], getattr(policy, name), shorter.get(name)) for name in BOUNDS]
    changes = LedgerEvent.objects.filter(chain=chain_for(organization.pk), action__in=ACTIONS).order_by("-seq")[:50]
    return render(
        request,
        "retention/retention.html",
        {
            "periods": periods,
            "hold": hold_current(organization),
            "holds": Hold.objects.filter(organization=organization)[:20],
            "changes": changes,
            "is_admin": member.has_role("admin"),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def retention_settings(request: HttpRequest) -> HttpResponse:
    admin = require_admin(request)
    form = PolicyForm(request.POST or None, initial=chosen_values(admin.organization))
    if request.method == "POST" and form.is_valid():
        try:
            policy_set(admin, **{name: form.cleaned_data[name] for name in BOUNDS})
        except RetentionError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Saved. Every member can see the new periods. A notice already sent keeps the date it gave."),
            )
            return redirect("retention")
    return render(request, "retention/settings.html", {"form": form})


@require_http_methods(["GET", "POST"])
@member_required
def retention_hold(request: HttpRequest) -> HttpResponse:
    """Set a legal hold, or lift the one in place; either way with a reason members read."""
    admin = require_admin(request)
    hold = hold_current(admin.organization)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if hold is None:
                hold_set(admin, reason=form.cleaned_data["reason"])
                messages.success(
                    request, _("The legal hold is in place: nothing is deleted for retention until it is lifted.")
                )
            else:
                hold_lift(admin, reason=form.cleaned_data["reason"])
                messages.success(
                    request, _("The legal hold is lifted. Members are warned again before anything is deleted.")
                )
        except RetentionError as refused:
            form.add_error(None, str(refused))
        else:
            return redirect("retention")
    return render(request, "retention/hold.html", {"form": form, "hold": hold})
