"""Chorus's own system checks (``chorus check --deploy`` runs them with Django's)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.module_loading import import_string


@register("security", deploy=True)
def csrf_middleware_installed(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Django's own check (security.W003, silenced) looks for its class by name; Chorus installs
    a subclass of it, so this one checks that some installed middleware is one."""
    for path in settings.MIDDLEWARE:
        middleware = import_string(path)
        if isinstance(middleware, type) and issubclass(middleware, CsrfViewMiddleware):
            return []
    return [
        Error(
            "No CSRF middleware is installed: every form post would be accepted from any site.",
            hint="Keep chorus.web.csrf.CsrfMiddleware in MIDDLEWARE.",
            id="chorus.E001",
        )
    ]
