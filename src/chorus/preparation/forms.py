from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Member
from chorus.accounts.roles import ROLE_LABELS
from chorus.preparation.models import PREPARED_ROLES, VALIDITY_BOUNDS, Course
from chorus.preparation.services.training import MAX_TOPIC, MIN_REASON, validity_months_highest, validity_refusal
from chorus.web.dates import DatePartsField

OTHER = "other"


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class RecordForm(forms.Form):
    member = MemberChoice(
        queryset=Member.objects.none(),
        label=_("Who completed it"),
        empty_label=_("Choose one"),
        error_messages={"required": _("Choose who completed it."), "invalid_choice": _("Choose who completed it.")},
    )
    roles = forms.MultipleChoiceField(
        label=_("Which work it prepares them for"),
        choices=[(code, ROLE_LABELS[code]) for code in PREPARED_ROLES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role the preparation covers.")},
    )
    course = forms.ChoiceField(
        label=_("Course or topic"),
        error_messages={"required": _("Choose a course, or choose “Another topic” and write it.")},
    )
    other = forms.CharField(
        label=_("Topic, if not on the list"),
        required=False,
        max_length=MAX_TOPIC,
        help_text=_("Only if the course is not on the list. Do not write about any case or person."),
        error_messages={"max_length": _("Keep the topic under %(limit_value)d characters.")},
    )
    completed_on = DatePartsField(label=_("Date completed"))
    valid_until = DatePartsField(
        label=_("Valid until"),
        required=False,
        help_text=_("Leave empty for your organization's usual validity. A date may shorten it, never lengthen it."),
    )

    def __init__(self, confirmer: Member, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization_id = confirmer.organization_id
        member = self.fields["member"]
        assert isinstance(member, forms.ModelChoiceField)  # noqa: S101 (narrowing for the type checker)
        # Never oneself: nobody confirms their own preparation.
        member.queryset = (
            Member.objects.filter(organization_id=confirmer.organization_id, is_active=True)
            .exclude(pk=confirmer.pk)
            .order_by("display_name")
        )
        course = self.fields["course"]
        assert isinstance(course, forms.ChoiceField)  # noqa: S101 (narrowing for the type checker)
        names = Course.objects.filter(organization_id=confirmer.organization_id).values_list("name", flat=True)
        course.choices = [("", _("Choose one")), *((name, name) for name in names), (OTHER, _("Another topic"))]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("course") == OTHER and not (cleaned.get("other") or "").strip():
            self.add_error("other", _("Write the topic, or choose a course from the list."))
        completed, until = cleaned.get("completed_on"), cleaned.get("valid_until")
        if completed and until:
            refusal = validity_refusal(self.organization_id, completed_on=completed, valid_until=until)
            if refusal is not None:
                self.add_error("valid_until", refusal)
        return cleaned

    @property
    def topic(self) -> str:
        course = self.cleaned_data["course"]
        return str(self.cleaned_data["other"] if course == OTHER else course)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        help_text=_("For example: recorded for the wrong person, or the course did not take place."),
        min_length=MIN_REASON,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write the reason."),
            "min_length": _("Write the reason in a sentence (at least %(limit_value)d characters)."),
            "max_length": _("Keep the reason under %(limit_value)d characters."),
        },
    )


class ValidityForm(forms.Form):
    validity_months = forms.IntegerField(
        label=_("How long a record counts, in months"),
        help_text=_("Used when a record is made without a “valid until” date. Records already made keep theirs."),
        min_value=VALIDITY_BOUNDS[0],
        max_value=VALIDITY_BOUNDS[1],
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Enter a number."),
            "invalid": _("Enter a whole number."),
            "min_value": _("Enter %(limit_value)s or more."),
            "max_value": _("Enter %(limit_value)s or less."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Never past the deployment's ceiling, whatever the database would hold.
        field = self.fields["validity_months"]
        highest = validity_months_highest()
        field.validators = [v for v in field.validators if not isinstance(v, MaxValueValidator)]
        field.validators.append(MaxValueValidator(highest))
        field.widget.attrs["max"] = str(highest)


class CourseForm(forms.Form):
    name = forms.CharField(
        label=_("Add a course or topic to the list"),
        max_length=MAX_TOPIC,
        error_messages={
            "required": _("Enter the name of the course or topic."),
            "max_length": _("Keep the name under %(limit_value)d characters."),
        },
    )
