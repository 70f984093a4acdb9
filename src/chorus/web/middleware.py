from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """A member's chosen language wherever they sign in; otherwise the language cookie the
    switcher sets, then the browser's preference, then English."""

    def process_request(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        chosen = user.language if user is not None and user.is_authenticated else ""
        translation.activate(chosen or translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()


class NoStoreMiddleware:
    """Pages may hold someone's story: never let a browser or proxy cache them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path_info.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class MethodNotAllowedMiddleware:
    """A 405 is a Chorus page like any other error: the quick exit, a plain sentence, a way
    home. Views refuse a method with Django's bare ``HttpResponseNotAllowed`` (someone
    typed or bookmarked the address of a form's action); the Allow header is kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or not response.has_header("Allow"):
            return response  # already explained (e.g. an API's JSON answer)
        page = render(request, "web/method_not_allowed.html", status=405)
        page["Allow"] = response["Allow"]
        return page
