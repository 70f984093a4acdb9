"""Reporting without an account: a receipt instead of a password."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from chorus.accounts import vault
from chorus.accounts.models import Organization
from chorus.accounts.views.signin import client_ip, session_end
from chorus.records.forms import ReceiptForm
from chorus.records.services import anonymous, writing
from chorus.records.services.writing import RecordError
from chorus.retention.services.clock import receipt_opened


def _signed_in(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated)


@require_http_methods(["GET", "POST"])
def report_start(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    if _signed_in(request):
        return redirect("home")
    error = None
    if request.method == "POST":
        if request.POST.get("understood") != "yes":
            error = _("Please confirm you understand that a lost receipt cannot be replaced.")
        else:
            try:
                receipt, owner = anonymous.receipt_issue(organization, client_ip=client_ip(request))
            except RecordError as refused:
                error = str(refused)
            else:
                record = writing.record_create(owner)
                vault.anonymous_open(request, str(organization.pk), owner.vault_key)
                return render(
                    request,
                    "records/receipt.html",
                    {"receipt": receipt, "record": record, "organization": organization},
                )
    return render(request, "records/report_start.html", {"organization": organization, "error": error})


@sensitive_post_parameters("receipt")
@require_http_methods(["GET", "POST"])
def report_return(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    if _signed_in(request):
        return redirect("home")
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            owner = anonymous.receipt_open(organization, form.cleaned_data["receipt"], client_ip=client_ip(request))
        except RecordError as refused:
            form.add_error("receipt", str(refused))
        else:
            vault.anonymous_open(request, str(organization.pk), owner.vault_key)
            receipt_opened(owner)  # opening the receipt keeps its reports: their retention clock starts again
            messages.success(request, _("Welcome back. Your report is open."))
            return redirect("records")
    return render(request, "records/report_return.html", {"organization": organization, "form": form})


@require_POST
def report_leave(request: HttpRequest) -> HttpResponse:
    if _signed_in(request):
        return redirect("home")
    session_end(request)
    messages.success(request, _("You have left. Your receipt is the only way back in."))
    return redirect("home")
