from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.guidance.markdown import MAX_LENGTH
from chorus.guidance.models import LANGUAGES


def _required(message: Any) -> dict[str, Any]:
    return {"required": message, "max_length": _("This is too long: keep it under %(limit_value)d characters.")}


class PageForm(forms.Form):
    language = forms.ChoiceField(choices=[(code, code) for code in LANGUAGES], widget=forms.HiddenInput)
    title = forms.CharField(
        label=_("Title"), max_length=150, error_messages=_required(_("Enter a title for the page."))
    )
    summary = forms.CharField(
        label=_("Summary"),
        help_text=_("One line shown under the title in the list of pages."),
        max_length=300,
        required=False,
        error_messages=_required(""),
    )
    body = forms.CharField(
        label=_("Text"),
        help_text=_(
            "Markdown: a blank line between paragraphs, ## for a heading, - for a list item, "
            "[words](https://example.org) for a link. HTML and pictures are not shown."
        ),
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 20}),
        error_messages=_required(_("Enter the text of the page.")),
    )


class ResourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, error_messages=_required(_("Enter the service's name.")))
    offers = forms.CharField(
        label=_("What they offer"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_required(_("Say what the service offers.")),
    )
    contact = forms.CharField(
        label=_("How to contact them"),
        help_text=_("A phone number, an email address or a web address."),
        max_length=300,
        error_messages=_required(_("Enter how to contact the service.")),
    )
    languages = forms.CharField(
        label=_("Languages they speak"), max_length=150, required=False, error_messages=_required("")
    )
    hours = forms.CharField(label=_("Opening hours"), max_length=150, required=False, error_messages=_required(""))
