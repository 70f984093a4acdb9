"""Where a page may send the browser back to: a path of this site, never another site."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def on_site(request: HttpRequest, target: str) -> str:
    """``target`` when it is a path of this site, else the home page. "//" alone passes
    Django's host check (it names no host) yet a browser reads it, like "//host", as
    another site's address; so does "/\\"."""
    path = target.startswith("/") and not target.startswith(("//", "/\\"))
    if path and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")
