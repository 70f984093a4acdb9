from __future__ import annotations

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chorus.accounts import vault
from chorus.accounts.models import Member, Organization
from chorus.accounts.services.members import member_set_language
from chorus.web.outage import database_unavailable
from chorus.web.redirects import on_site
from chorus.web.workspace import workspace_for

# The organization roles whose holders are given cases to work on (their home page lists them).
ASSIGNABLE_ROLES = frozenset({"facilitator", "investigator", "panel", "appeal_panel"})


def healthz(request: HttpRequest) -> HttpResponse:
    """For the service manager or load balancer: the process answers (no database, no session)."""
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        member = request.user
        assert isinstance(member, Member)  # noqa: S101 (the only authenticated user model)
        context = {
            "space": workspace_for(member, vault.vault_key(request)),
            "is_assignable": bool(member.role_codes & ASSIGNABLE_ROLES),
        }
        return render(request, "web/dashboard.html", context)
    return render(request, "web/welcome.html", {"organizations": Organization.objects.order_by("name")})


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switcher on every page: remembered on the account of a signed-in member,
    and in a cookie for everyone (an anonymous reporter has no account to keep it on)."""
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return error_page(request, 400, _("Choose one of the languages offered."), _("Nothing was changed."))
    following = on_site(request, request.POST.get("next", ""))
    response = HttpResponseRedirect(following)
    if request.user.is_authenticated:
        member_set_language(member=request.user, language=code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",
    )
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_page(
        request,
        403,
        _("This form had expired or came from another site."),
        _("Nothing was saved. Go back, reload the page and try again."),
    )


def error_page(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    return render(request, "web/error.html", {"title": title, "detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if database_unavailable(exception):
        return _unavailable_page()
    return error_page(
        request, 400, _("Chorus could not read that request."), _("Nothing was changed. Please try again.")
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        403,
        _("You do not have access to this page."),
        _("If you think you should, ask your organization's administrator."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404, _("There is nothing here."), _("The link may be mistyped or no longer valid."))


def _page_without_request(status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> HttpResponse:
    # Rendered without the request: no context processor (and so no database) may fail
    # again while explaining a failure.
    page = render_to_string(
        "web/error.html", {"title": title, "detail": detail, "quick_exit_url": settings.CHORUS_QUICK_EXIT_URL}
    )
    return HttpResponse(page, status=status, headers=headers)


def _unavailable_page() -> HttpResponse:
    # The transaction was rolled back whole: say plainly that nothing was half done and
    # when to try again.
    return _page_without_request(
        503,
        _("Chorus cannot reach its database just now."),
        _(
            "Nothing was saved from this request and nothing was half done. "
            "Please try again in a minute; your drafts are kept."
        ),
        headers={"Retry-After": "30"},
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if database_unavailable(sys.exc_info()[1]):
        return _unavailable_page()
    return _page_without_request(
        500,
        _("Something went wrong on our side."),
        _("Nothing you sent was lost from your browser. Please try again in a moment."),
    )
