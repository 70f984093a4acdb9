from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from chorus.accounts import vault
from chorus.accounts.access import member_required, signed_in_member
from chorus.accounts.errors import AccountError
from chorus.accounts.forms import (
    EnrolForm,
    PasswordChangeForm,
    PasswordResetCompleteForm,
    PasswordResetRequestForm,
)
from chorus.accounts.services import passwords, two_factor
from chorus.accounts.services.members import recovery_code_replace
from chorus.accounts.views.signin import client_ip, complete_sign_in
from chorus.notices.forms import NoticePreferencesForm
from chorus.notices.services import NoticeError, notice_preferences_set


@member_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    notices_form = NoticePreferencesForm(member, request.POST or None)
    if request.method == "POST" and notices_form.is_valid():
        try:
            notice_preferences_set(
                member=member, kinds=notices_form.cleaned_data["kinds"], vault_key=vault.vault_key(request)
            )
        except NoticeError as refused:
            notices_form.add_error("kinds", str(refused))
        else:
            messages.success(request, _("Your choice of email notices is saved."))
            return redirect("account")
    return render(
        request,
        "accounts/account.html",
        {
            "has_two_factor": member.has_two_factor,
            "requires_two_factor": member.requires_two_factor,
            "backup_codes_left": two_factor.backup_codes_left(member),
            "vault_open": vault.vault_key(request) is not None,
            "notices_form": notices_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required
@require_http_methods(["GET", "POST"])
def account_password(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    form = PasswordChangeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            vault_key = passwords.password_change(
                member=member,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except AccountError as refused:
            error = str(refused)
        else:
            update_session_auth_hash(request, member)
            vault.vault_open(request, str(member.pk), vault_key)
            messages.success(request, _("Your password is changed. Everything you wrote is still yours and readable."))
            return redirect("account")
    return render(request, "accounts/password_change.html", {"form": form, "error": error})


@member_required
@require_http_methods(["GET", "POST"])
def account_two_factor(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    secret = None
    error = None
    if request.method == "POST":
        form = EnrolForm(request.POST)
        if form.is_valid():
            secret = two_factor.enrolment_secret(member, form.cleaned_data["sealed_secret"])
            if secret is None:
                error = _("This setup page had expired. Scan the new code below and try again.")
            else:
                backup_codes = two_factor.two_factor_enrol(member=member, secret=secret, code=form.cleaned_data["code"])
                if backup_codes is not None:
                    return render(
                        request, "accounts/backup_codes.html", {"backup_codes": backup_codes, "just_enrolled": True}
                    )
                error = _(
                    "That code did not match. Check that your phone's clock is right and type the code your app shows now."
                )
    if secret is None:
        secret = two_factor.totp_new_secret()
    form = EnrolForm(initial={"sealed_secret": two_factor.enrolment_token(member, secret)})
    uri = two_factor.totp_uri(member, secret)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, title=_("QR code for your authenticator app"))
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "error": error,
            "secret": secret,
            "qr_svg": mark_safe(qr_svg),  # noqa: S308 (segno escapes the URI it draws; no markup from users)
            "has_two_factor": member.has_two_factor,
            "required": member.requires_two_factor,
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def account_backup_codes(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    if not member.has_two_factor:
        return redirect("account_two_factor")
    if request.method == "POST":
        fresh = two_factor.backup_codes_regenerate(member=member)
        return render(request, "accounts/backup_codes.html", {"backup_codes": fresh, "just_enrolled": False})
    return render(request, "accounts/backup_codes_confirm.html", {"left": two_factor.backup_codes_left(member)})


@member_required
@require_http_methods(["GET", "POST"])
def account_recovery_code(request: HttpRequest) -> HttpResponse:
    member = signed_in_member(request)
    vault_key = vault.vault_key(request)
    if request.method == "POST" and vault_key is not None:
        code = recovery_code_replace(member=member, vault_key=vault_key)
        return render(
            request,
            "accounts/recovery_code.html",
            {
                "recovery_code": code,
                "new_member": False,
                "must_enrol": False,
            },
        )
    return render(request, "accounts/recovery_code_confirm.html", {"vault_open": vault_key is not None})


@require_http_methods(["GET", "POST"])
def password_reset_request(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        passwords.password_reset_request(email=form.cleaned_data["email"])
        return render(request, "accounts/password_reset_sent.html")
    return render(request, "accounts/password_reset_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_complete(request: HttpRequest, token: str) -> HttpResponse:
    try:
        reset = passwords.reset_for_token(token)
    except AccountError as unusable:
        return render(request, "accounts/invitation_unusable.html", {"reason": str(unusable)}, status=410)
    form = PasswordResetCompleteForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            done = passwords.password_reset_complete(
                token=token,
                new_password=form.cleaned_data["new_password"],
                recovery_code=form.cleaned_data["recovery_code"],
                second_factor_code=form.cleaned_data["second_factor_code"],
                ip=client_ip(request),
            )
        except AccountError as refused:
            error = str(refused)
        else:
            complete_sign_in(request, done.member, done.vault_key)
            if done.new_recovery_code:
                return render(
                    request,
                    "accounts/recovery_code.html",
                    {
                        "recovery_code": done.new_recovery_code,
                        "new_member": False,
                        "vault_replaced": True,
                        "must_enrol": done.member.requires_two_factor and not done.member.has_two_factor,
                    },
                )
            messages.success(request, _("Your password is changed and your vault is open as before."))
            return redirect("home")
    return render(
        request,
        "accounts/password_reset_complete.html",
        {
            "form": form,
            "error": error,
            "has_two_factor": reset.member.has_two_factor,
        },
    )
