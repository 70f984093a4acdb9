from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import resolve, reverse
from django.urls.exceptions import Resolver404

from chorus.accounts import vault

# Pages a member who must enrol two-factor may still reach before enrolling.
_ENROLMENT_ALLOWED = {"account_two_factor", "account_recovery_code", "sign_out"}
# What a removed member reaches while they may still take their records away: reading,
# exporting and destroying their own records, stopping a share, deleting their account.
_LEAVING_POST = {"record_destroy", "grant_revoke", "account_delete", "sign_out", "quick_exit", "language"}
_LEAVING_GET = {
    "membership_ended",
    "records",
    "record_edit",
    "record_history",
    "record_attachment",
    "record_export",
    "record_destroy",
    "record_access",
    "account_delete",
    "account_deleted",
}


def _enrolled(member: Any) -> bool:
    """Read with the member by ``MemberBackend``; asked again for a member loaded otherwise."""
    enrolled = getattr(member, "two_factor_enrolled", None)
    return bool(member.has_two_factor if enrolled is None else enrolled)


class VaultMiddleware:
    """Writes (or clears) the cookie that holds the session vault's unsealing key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        vault.apply_cookie(request, response)
        return response


class TwoFactorEnrolmentMiddleware:
    """Roles that read others' content or administer cannot use Chorus until they
    have enrolled a second factor. And a removed member, signed in during the days they may
    take their records away (``leaving.export_until``), reaches only those pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and getattr(user, "removed_at", None) is not None and not user.is_active:
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            allowed = _LEAVING_POST if request.method == "POST" else _LEAVING_GET
            if name not in allowed and not request.path_info.startswith("/static/"):
                return HttpResponseRedirect(reverse("membership_ended"))
        elif user.is_authenticated and user.requires_two_factor and not _enrolled(user):
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in _ENROLMENT_ALLOWED and not request.path_info.startswith("/static/"):
                return HttpResponseRedirect(reverse("account_two_factor"))
        return self.get_response(request)
