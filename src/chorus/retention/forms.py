from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.retention.models import BOUNDS
from chorus.retention.services.policy import policy_check

LABELS = {
    "draft_months": (_("Unused drafts, in months"), _("A draft nobody saved or opened for this long.")),
    "record_months": (
        _("Members' records, in months"),
        _("A record nobody opened, saved, added a file to or wrote a message in for this long."),
    ),
    "anonymous_months": (
        _("Anonymous reports, in months"),
        _("A report made with a receipt that nobody opened for this long. Its page shows the date."),
    ),
    "entry_days": (
        _("What remains of a withdrawn escrow entry, in days"),
        _("The author's own copy of a withdrawn entry, counted from the withdrawal."),
    ),
    "story_days": (
        _("Excerpts taken back from the commission, in days"),
        _("Counted from when the author took it back, unless they show it again."),
    ),
    "notice_days": (
        _("Notice before a member's record or draft is deleted, in days"),
        _("The member is emailed this long before; opening it keeps it."),
    ),
}


class PolicyForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (low, high) in BOUNDS.items():
            label, help_text = LABELS[name]
            self.fields[name] = forms.IntegerField(
                label=label,
                help_text=help_text,
                min_value=low,
                max_value=high,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages={
                    "required": _("Enter a number."),
                    "invalid": _("Enter a whole number."),
                    "min_value": _("Enter %(limit_value)s or more."),
                    "max_value": _("Enter %(limit_value)s or less."),
                },
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            for name, message in policy_check(cleaned).items():
                self.add_error(name, message)
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason members will read"),
        help_text=_("For example, who asked for it and for what. Do not name any survivor."),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Write the reason."),
            "min_length": _("Write the reason in a sentence (at least %(limit_value)d characters)."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )
