"""Forms of "What I saw": the account, whom it happened to, and her answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.records.fields import MAX_PART_LENGTH

YES_NO = [("no", _("No")), ("yes", _("Yes"))]


class NamingForm(forms.Form):
    email = forms.EmailField(
        label=_("The email address she uses here"),
        help_text=_("Only if you know it. It is sealed: nobody reading the database can tell whom this is about."),
        required=False,
        max_length=254,
    )
    contact = forms.ChoiceField(
        label=_("May an advocate ask her whether she wants your account added to her case?"),
        help_text=_("She is told only that someone who saw it wrote it down, never who you are."),
        choices=YES_NO,
        initial="no",
        widget=forms.RadioSelect,
    )

    def contact_allowed(self) -> bool:
        return self.cleaned_data.get("contact") == "yes"


class WitnessedForm(NamingForm):
    """The account itself, then the naming choices."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = {
            "title": forms.CharField(
                label=_("A name for this account, just for you"),
                required=False,
                max_length=200,
            ),
            "what": forms.CharField(
                label=_("What you saw"),
                help_text=_("In your own words: what happened, and what made it hard to speak up, if it was."),
                required=False,
                max_length=MAX_PART_LENGTH,
                widget=forms.Textarea(attrs={"rows": 6}),
            ),
            "when": forms.CharField(label=_("When it happened"), required=False, max_length=200),
            "where": forms.CharField(label=_("Where it happened"), required=False, max_length=200),
        }
        self.fields = {**account, **self.fields}

    def parts(self) -> dict[str, object]:
        return {name: self.cleaned_data.get(name, "") for name in ("title", "what", "when", "where")}


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Do you want this account added to your case?"),
        choices=[("yes", _("Yes, add it to my case")), ("no", _("No, I do not want it added"))],
        widget=forms.RadioSelect,
    )
    case = forms.ChoiceField(label=_("Which case"), required=False)

    def __init__(self, *args: Any, cases: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cases:
            self.fields["case"] = forms.ChoiceField(label=_("Which case"), choices=cases, required=False)
        else:
            del self.fields["case"]
