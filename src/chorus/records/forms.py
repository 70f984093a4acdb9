from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.records.fields import MAX_PART_LENGTH, PARTS
from chorus.records.models import AllyAsk, Category, Purpose
from chorus.records.services.messaging import MAX_MESSAGE_LENGTH
from chorus.web.dates import DatePartsField


class RecordForm(forms.Form):
    """The guided record: every part optional, and a file to attach."""

    attachment = forms.FileField(
        label=_("Attach a file"),
        required=False,
        help_text=_(
            "A photo, a PDF, a text file or a recording. Location and other hidden details are removed before it is stored."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parts: dict[str, forms.Field] = {}
        for part in PARTS:
            widget: forms.Widget = (
                forms.TextInput() if part.name in ("title", "when", "where") else forms.Textarea(attrs={"rows": 5})
            )
            parts[part.name] = forms.CharField(
                label=part.label, help_text=part.prompt, required=False, max_length=MAX_PART_LENGTH, widget=widget
            )
        # Parts first, the file last: a file refused mid-upload never costs the text.
        self.fields = {**parts, "attachment": self.fields["attachment"]}

    def parts(self) -> dict[str, object]:
        return {part.name: self.cleaned_data.get(part.name, "") for part in PARTS}


def _period_choices() -> list[tuple[str, str]]:
    year = timezone.now().year
    choices: list[tuple[str, str]] = [("", str(_("Choose…")))]
    for y in range(year, year - 30, -1):
        choices += [(f"{y}-H2", f"{y}, July–December"), (f"{y}-H1", f"{y}, January–June"), (str(y), f"{y}")]
    return choices


class RegisterForm(forms.Form):
    category = forms.ChoiceField(label=_("What kind of experience was it?"), choices=Category.choices)
    period = forms.ChoiceField(label=_("Roughly when?"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = _period_choices()  # type: ignore[attr-defined]


class ShareForm(forms.Form):
    grantee = forms.ChoiceField(label=_("Share with"))
    purpose = forms.ChoiceField(
        label=_("What would you like?"),
        choices=[(value, label) for value, label in Purpose.choices if value != Purpose.ALLY],
        widget=forms.RadioSelect,
        initial=Purpose.UNSURE,
    )
    versions = forms.MultipleChoiceField(label=_("Which versions"), widget=forms.CheckboxSelectMultiple)
    parts = forms.MultipleChoiceField(
        label=_("Which parts"),
        choices=[(part.name, part.label) for part in PARTS],
        widget=forms.CheckboxSelectMultiple,
    )
    attachments = forms.MultipleChoiceField(label=_("Which files"), required=False, widget=forms.CheckboxSelectMultiple)
    expires_on = DatePartsField(
        label=_("Stop sharing on"),
        required=False,
        help_text=_("Leave it empty to share until you stop. You can stop sharing at any time."),
    )

    def __init__(
        self,
        *args: Any,
        grantees: list[tuple[str, str]],
        versions: list[tuple[str, str]],
        attachments: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grantee"].choices = grantees  # type: ignore[attr-defined]
        self.fields["versions"].choices = versions  # type: ignore[attr-defined]
        self.fields["attachments"].choices = attachments  # type: ignore[attr-defined]

    def clean_expires_on(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        if day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today, or leave it empty."))
        return timezone.make_aware(datetime.combine(day, time.min))


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=MAX_MESSAGE_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        max_length=80,
        help_text=_("The 32 letters and digits you wrote down, in groups of four."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


class AllyAskForm(forms.Form):
    """Whom she trusts, what she would like them to do, and only the parts she gives them."""

    ally = forms.ChoiceField(
        label=_("Who do you trust to step in?"),
        help_text=_("Anyone in your organization. They will be asked first, and can say no."),
    )
    ask = forms.ChoiceField(
        label=_("What would you like them to do?"), choices=AllyAsk.choices, widget=forms.RadioSelect
    )
    words = forms.CharField(
        label=_("In your own words"),
        help_text=_("Needed if you chose “Something else”. Only the two of you can read it."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    versions = forms.MultipleChoiceField(label=_("Which versions they may read"), widget=forms.CheckboxSelectMultiple)
    parts = forms.MultipleChoiceField(
        label=_("Which parts they may read"),
        choices=[(part.name, part.label) for part in PARTS],
        widget=forms.CheckboxSelectMultiple,
    )
    attachments = forms.MultipleChoiceField(
        label=_("Which files they may open"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self,
        *args: Any,
        allies: list[tuple[str, str]],
        versions: list[tuple[str, str]],
        attachments: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ally"].choices = [("", _("Choose someone")), *allies]  # type: ignore[attr-defined]
        self.fields["versions"].choices = versions  # type: ignore[attr-defined]
        self.fields["attachments"].choices = attachments  # type: ignore[attr-defined]


class AllyAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Will you step in?"),
        choices=[("accept", _("Yes, I will")), ("decline", _("No, I cannot this time"))],
        widget=forms.RadioSelect,
        help_text=_("If you say no, only the person who asked is told, and what she shared is taken back."),
    )


class AllyNoteForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is this?"),
        choices=[
            ("note", _("A note for the two of us")),
            ("report", _("A report back to her (she is told there is news)")),
        ],
        widget=forms.RadioSelect,
        initial="note",
    )
    body = forms.CharField(label=_("What you want to write"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
