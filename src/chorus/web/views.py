from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from chorus.accounts.models import Organization


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return render(request, "web/dashboard.html")
    return render(request, "web/welcome.html", {"organizations": Organization.objects.order_by("name")})


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


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: no context processor (and so no database) may
    # fail again while explaining a failure.
    page = render_to_string(
        "web/error.html",
        {
            "title": _("Something went wrong on our side."),
            "detail": _("Nothing you sent was lost from your browser. Please try again in a moment."),
        },
    )
    return HttpResponseServerError(page)
