from __future__ import annotations

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chorus.accounts.models import Organization
from chorus.accounts.services.members import member_set_language


def healthz(request: HttpRequest) -> HttpResponse:
    """For the service manager or load balancer: the process answers (no database, no session)."""
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return render(request, "web/dashboard.html")
    return render(request, "web/welcome.html", {"organizations": Organization.objects.order_by("name")})


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switcher on every page: remembered on the account of a signed-in member,
    and in a cookie for everyone (an anonymous reporter has no account to keep it on)."""
    code = request.POST.get("language", "")
    if code not in dict(settings.LANGUAGES):
        return error_page(request, 400, _("Choose one of the languages offered."), _("Nothing was changed."))
    following = request.POST.get("next", "")
    if not (following.startswith("/") and url_has_allowed_host_and_scheme(following, {request.get_host()})):
        following = reverse("home")
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
    if _database_unavailable(exception):
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


def _database_unavailable(error: BaseException | None) -> bool:
    """The database restarted or cannot be reached, here or anywhere in what led to
    ``error`` (Django reports a session it could not save as a bad request)."""
    while error is not None:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _unavailable_page() -> HttpResponse:
    # The transaction was rolled back whole: say plainly that nothing was half done and
    # when to try again. Rendered without the request (no context processor may query).
    page = render_to_string(
        "web/error.html",
        {
            "title": _("Chorus cannot reach its database just now."),
            "detail": _(
                "Nothing was saved from this request and nothing was half done. "
                "Please try again in a minute; your drafts are kept."
            ),
            "quick_exit_url": settings.CHORUS_QUICK_EXIT_URL,
        },
    )
    return HttpResponse(page, status=503, headers={"Retry-After": "30"})


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: no context processor (and so no database) may
    # fail again while explaining a failure.
    if _database_unavailable(sys.exc_info()[1]):
        return _unavailable_page()
    page = render_to_string(
        "web/error.html",
        {
            "title": _("Something went wrong on our side."),
            "detail": _("Nothing you sent was lost from your browser. Please try again in a moment."),
            "quick_exit_url": settings.CHORUS_QUICK_EXIT_URL,
        },
    )
    return HttpResponseServerError(page)
