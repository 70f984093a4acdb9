from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member
from chorus.notices.services import kinds_for, kinds_offered


class NoticePreferencesForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("Email me when"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "At most one email an hour, saying only that something is waiting in Chorus: no names, "
            "nothing anyone wrote, no case or record. Anyone who reads your inbox learns only that you use Chorus."
        ),
    )

    def __init__(self, member: Member, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kinds"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 (narrowing for the type checker)
        field.choices = [(kind.value, kind.label) for kind in kinds_offered(member)]
        self.initial["kinds"] = sorted(kinds_for(member))
