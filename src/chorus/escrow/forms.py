from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.crypto.errors import MalformedInput
from chorus.custodian.wsgi import unb64
from chorus.escrow.identifiers import KINDS, MAX_LENGTH, WHITESPACE
from chorus.escrow.models import DECISION_CHOICES, RELEASE_CHOICES
from chorus.escrow.services.entries import FIRST_REQUIRED, INCOMPLETE, MAX_STATEMENT, Choices, Named, SealedShare
from chorus.escrow.services.groups import MAX_MESSAGE

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ROWS = 4  # identifier rows on the form; one entry may name up to this many
KIND_CHOICES = [("", _("Choose…"))] + [(kind.code, kind.label) for kind in KINDS.values()]


def _yes_no(label: StrOrPromise, yes: StrOrPromise, no: StrOrPromise, *, initial: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("yes", yes), ("no", no)],
        widget=forms.RadioSelect,
        initial=initial,
        coerce=lambda value: value == "yes",
    )


class ChoicesForm(forms.Form):
    """What the author decides beside the identifiers: the same for both constructions."""

    tell_me = _yes_no(
        _("If others name the same person, do you want an advocate to tell you?"),
        _("Yes, tell me"),
        _("No, do not contact me about it"),
        initial="yes",
    )
    would_meet = _yes_no(
        _("Would you meet the others who named this person (under a pseudonym, in a private group)?"),
        _("Yes, I would"),
        _("No"),
        initial="no",
    )
    release = forms.ChoiceField(
        label=_("What may the advocates read when there is a match?"),
        choices=RELEASE_CHOICES,
        widget=forms.RadioSelect,
        initial="contact",
    )
    record = forms.ChoiceField(label=_("Which record"), required=False)
    statement = forms.CharField(
        label=_("A few words for the advocates"),
        required=False,
        max_length=MAX_STATEMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Released with your entry only at a match. Leave it empty if you prefer."),
    )

    def __init__(self, *args: Any, records: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        record_field = self.fields["record"]
        assert isinstance(record_field, forms.ChoiceField)  # noqa: S101 - narrows the type for mypy
        record_field.choices = [("", _("None")), *records]

    def choices(self) -> Choices:
        data = self.cleaned_data
        return Choices(
            tell_me=data["tell_me"],
            would_meet=data["would_meet"],
            release=data["release"],
            record_id=UUID(data["record"]) if data["record"] else None,
            statement=data["statement"],
        )


class EntryForm(ChoicesForm):
    """The form as a person fills it in; without JavaScript it is posted as it is."""

    def __init__(self, *args: Any, records: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, records=records, **kwargs)
        # Numbered rows: the first is required (the shared field template marks the rest
        # "(optional)"), so a person knows one is enough and which one the page means.
        for row in range(ROWS):
            number = row + 1
            self.fields[f"kind_{row}"] = forms.ChoiceField(
                label=_("Kind of identifier %(number)d") % {"number": number},  # per request: its language
                choices=KIND_CHOICES,
                required=row == 0,
                error_messages={"required": _("Choose what kind of identifier 1 is, for example an email address.")},
            )
            self.fields[f"text_{row}"] = forms.CharField(
                label=_("Identifier 1 (required)") if row == 0 else _("Identifier %(number)d") % {"number": number},
                required=row == 0,
                strip=False,  # str.strip() takes U+0085 and U+001C–U+001F, which the browser refuses
                max_length=MAX_LENGTH,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                error_messages={"required": FIRST_REQUIRED},
            )
        self.fields["kind_0"].initial = "email"

    def clean_text_0(self) -> str:
        value: str = self.cleaned_data["text_0"]
        if not value.strip(WHITESPACE):  # only spaces: as empty as nothing
            raise forms.ValidationError(FIRST_REQUIRED, code="required")
        return value

    def _filled(self) -> list[int]:
        return [row for row in range(ROWS) if self.cleaned_data[f"text_{row}"].strip(WHITESPACE)]

    def named(self) -> list[Named]:
        return [
            Named(self.cleaned_data[f"kind_{row}"], self.cleaned_data[f"text_{row}"].strip(WHITESPACE))
            for row in self._filled()
        ]

    def field_at(self, index: int | None) -> str | None:
        """The field of the index-th identifier written in (a refusal names its row so)."""
        return None if index is None else f"text_{self._filled()[index]}"

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"kind_{row}"], self[f"text_{row}"]) for row in range(ROWS)]


def _bytes(text: object) -> bytes:
    try:
        return unb64(text)
    except MalformedInput as error:
        raise forms.ValidationError(INCOMPLETE) from error


class _Base64Field(forms.CharField):
    def to_python(self, value: Any) -> bytes:  # type: ignore[override]
        return _bytes(super().to_python(value) or "")


class SealedEntryForm(ChoicesForm):
    """The same choices, with what the browser built in place of the identifiers: the
    tags and sealed payloads, the author's sealed list, the released part's key, and the
    threshold and team key they were made for."""

    # A browser that posts these wrongly is not the person's mistake: one plain explanation.
    _refused = {"required": INCOMPLETE, "invalid": INCOMPLETE, "max_length": INCOMPLETE}
    k = forms.IntegerField(widget=forms.HiddenInput, error_messages=_refused)
    team_key = _Base64Field(widget=forms.HiddenInput, max_length=64, error_messages=_refused)
    released_key = _Base64Field(widget=forms.HiddenInput, max_length=64, error_messages=_refused)
    named_copy = _Base64Field(widget=forms.HiddenInput, max_length=12000, error_messages=_refused)
    shares = forms.JSONField(widget=forms.HiddenInput, error_messages=_refused)

    def clean_shares(self) -> list[SealedShare]:
        value = self.cleaned_data["shares"]
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise forms.ValidationError(INCOMPLETE)
        return [SealedShare(_bytes(item.get("tag")), _bytes(item.get("sealed"))) for item in value]

    def sealed(self) -> dict[str, Any]:
        """What the browser built, as entry_submit_sealed takes it."""
        return {name: self.cleaned_data[name] for name in ("shares", "named_copy", "released_key", "k", "team_key")}

    def field_at(self, index: int | None) -> None:
        return None  # the browser marks its own rows


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 3}))


class ChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("How should this be addressed?"), choices=DECISION_CHOICES, widget=forms.RadioSelect
    )


class SettingsForm(forms.Form):
    escrow_threshold = forms.IntegerField(
        label=_("How many members must name the same person before a match"),
        min_value=2,
        max_value=10,
        help_text=_(
            "2 is the default. A higher number protects against mistaken matches but asks more people to wait. "
            "Entries already made keep the number they were made with."
        ),
    )
    phone_region = forms.CharField(
        label=_("Country for phone numbers written without a country code"),
        required=False,
        max_length=2,
        help_text=_("Two letters, e.g. GB or DE. Empty means every phone number needs its country code."),
    )

    def clean_phone_region(self) -> str:
        import phonenumbers

        value: str = self.cleaned_data["phone_region"].strip().upper()
        if value and value not in phonenumbers.SUPPORTED_REGIONS:
            raise forms.ValidationError(_("Write a two-letter country code such as GB, DE or US."))
        return value
