"""The one way a page posts a message form: send it, or show why not on the body field."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MESSAGE_EMPTY = gettext_lazy("The message is empty.")


def clean_text(
    text: str,
    *,
    limit: int,
    refusal: type[Exception],
    empty: StrOrPromise = "",
    required: bool = True,
) -> str:
    """A text as it will be kept: trimmed, not empty (unless optional), not over ``limit``
    characters. ``refusal`` is the calling service's own refusal, carrying the reason."""
    value = (text or "").strip()
    if required and not value:
        raise refusal(empty or _("Please write something here first."))
    if len(value) > limit:
        raise refusal(
            _("This can be up to %(limit)d characters; it has %(length)d. Please shorten it or split it in two.")
            % {"limit": limit, "length": len(value)}
        )
    return value


def message_posted(
    request: HttpRequest,
    form: forms.Form,
    send: Callable[[str], object],
    *,
    refusals: tuple[type[Exception], ...],
    sent: str = "",
) -> bool:
    """True when the form was posted, valid and sent (the caller then redirects). A refusal
    becomes the body field's error, so what was typed stays on the page."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        send(form.cleaned_data["body"])
    except refusals as refused:
        form.add_error("body", str(refused))
        return False
    if sent:
        messages.success(request, sent)
    return True


def refused_page(request: HttpRequest, message: str) -> HttpResponse:
    """403 with the reason, for a reader who may not (or may no longer) read something."""
    return render(request, "records/refused.html", {"message": message}, status=403)
