"""The Preparation pages: administrators and oversight members see everyone's training
records, record one (and so confirm it), withdraw one with a reason, and set the usual
validity and the list of courses. Each member sees their own on their account page."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chorus.accounts.access import member_required
from chorus.ledger.models import LedgerEvent
from chorus.ledger.services import chain_for
from chorus.preparation.access import get_record_for_confirmer, require_confirmer
from chorus.preparation.forms import CourseForm, RecordForm, ValidityForm, WithdrawForm
from chorus.preparation.models import Course
from chorus.preparation.services.training import (
    PreparationError,
    course_add,
    overview,
    training_record,
    training_withdraw,
    validity_months_for,
    validity_set,
)

ACTIONS = ("preparation.recorded", "preparation.withdrawn", "preparation.validity_changed", "preparation.course_added")


@require_GET
@member_required
def preparation(request: HttpRequest) -> HttpResponse:
    confirmer = require_confirmer(request)
    organization = confirmer.organization
    changes = LedgerEvent.objects.filter(chain=chain_for(organization.pk), action__in=ACTIONS).order_by("-seq")[:20]
    return render(
        request,
        "preparation/preparation.html",
        {
            "people": overview(organization),
            "validity_months": validity_months_for(organization),
            "confirmer": confirmer,
            "changes": changes,
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def preparation_record(request: HttpRequest) -> HttpResponse:
    confirmer = require_confirmer(request)
    initial = {"member": request.GET.get("member")} if request.method == "GET" else None
    form = RecordForm(confirmer, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        try:
            record = training_record(
                actor=confirmer,
                member=member,
                roles=form.cleaned_data["roles"],
                topic=form.topic,
                completed_on=form.cleaned_data["completed_on"],
                valid_until=form.cleaned_data["valid_until"],
            )
        except PreparationError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Recorded: %(name)s is prepared for %(roles)s until %(date)s.")
                % {
                    "name": member.display_name,
                    "roles": ", ".join(str(label) for label in record.role_labels()),
                    "date": formats.date_format(record.valid_until),
                },
            )
            return redirect("preparation")
    return render(
        request,
        "preparation/record.html",
        {"form": form, "validity_months": validity_months_for(confirmer.organization)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@member_required
def preparation_withdraw(request: HttpRequest, record_id: UUID) -> HttpResponse:
    confirmer, record = get_record_for_confirmer(request, record_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            training_withdraw(actor=confirmer, record=record, reason=form.cleaned_data["reason"])
        except PreparationError as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("The record is withdrawn. The ledger keeps who withdrew it and why."))
            return redirect("preparation")
    return render(request, "preparation/withdraw.html", {"form": form, "record": record})


@require_http_methods(["GET", "POST"])
@member_required
def preparation_settings(request: HttpRequest) -> HttpResponse:
    """The usual validity, and the list of courses the record form offers."""
    confirmer = require_confirmer(request)
    organization = confirmer.organization
    posted = request.POST.get("form") if request.method == "POST" else None
    validity_form = ValidityForm(
        request.POST if posted == "validity" else None,
        initial={"validity_months": validity_months_for(organization)},
        prefix="validity",
    )
    course_form = CourseForm(request.POST if posted == "course" else None, prefix="course")
    if posted == "validity" and validity_form.is_valid():
        try:
            validity_set(actor=confirmer, months=validity_form.cleaned_data["validity_months"])
        except PreparationError as refused:
            validity_form.add_error(None, str(refused))
        else:
            messages.success(request, _("Saved. New records count for this long unless another date is given."))
            return redirect("preparation_settings")
    if posted == "course" and course_form.is_valid():
        try:
            course_add(actor=confirmer, name=course_form.cleaned_data["name"])
        except PreparationError as refused:
            course_form.add_error("name", str(refused))
        else:
            messages.success(request, _("The course is on the list."))
            return redirect("preparation_settings")
    return render(
        request,
        "preparation/settings.html",
        {
            "validity_form": validity_form,
            "course_form": course_form,
            "courses": Course.objects.filter(organization=organization),
        },
    )
