"""Dates typed by people: GOV.UK's date input (day, month and year in three boxes).

A browser's ``<input type=date>`` shows the order of the browser's locale (mm/dd/yyyy in an
American browser, whatever the page's language) and a picker that many screen readers handle
badly. Three labelled boxes in the order dates are written in Chorus's languages, read on the
server with a clear error for each way a date can be wrong, work everywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

PARTS = ("day", "month", "year")


class DatePartsInput(forms.MultiWidget):
    """Day, month and year boxes; the field's label is the legend of their fieldset."""

    template_name = "web/date_input.html"
    use_fieldset = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        boxes: dict[str, forms.Widget | type[forms.Widget]] = {
            part: forms.TextInput(
                attrs={"inputmode": "numeric", "maxlength": 4 if part == "year" else 2, "class": f"date-{part}"}
            )
            for part in PARTS
        }
        super().__init__(boxes, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        # A client that sends the date as one value (ISO 8601 or day first, as the language's
        # DATE_INPUT_FORMATS list) is read as before.
        if name in data and not any(f"{name}_{part}" in data for part in PARTS):
            return data.get(name)
        return super().value_from_datadict(data, files, name)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        labels = (_("Day"), _("Month"), _("Year"))
        for subwidget, label in zip(context["widget"]["subwidgets"], labels, strict=True):
            subwidget["label"] = label
        return context


class DatePartsField(forms.Field):
    """A date typed as day, month and year; what was typed is shown again when it is refused."""

    widget = DatePartsInput
    default_error_messages = {
        "required": _("Enter the day, the month and the year."),
        "missing_day": _("The date must include a day."),
        "missing_month": _("The date must include a month."),
        "missing_year": _("The date must include a year."),
        "invalid": _("The date must be a real date, for example 27 3 2027."),
        "year": _("The year must have four digits, for example 2027."),
    }

    def __init__(self, *, help_text: Any = "", **kwargs: Any) -> None:
        example = _("For example, 27 3 2027.")
        super().__init__(help_text=format_lazy("{} {}", help_text, example) if help_text else example, **kwargs)

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, date) or value in self.empty_values:
            return value or None
        if isinstance(value, str):
            return forms.DateField().to_python(value)
        typed = [str(part if part is not None else "").strip() for part in value]
        if not any(typed):
            return None
        missing = [part for part, text in zip(PARTS, typed, strict=True) if not text]
        if len(missing) > 1:
            raise ValidationError(self.error_messages["required"], code="incomplete")
        if missing:
            raise ValidationError(self.error_messages[f"missing_{missing[0]}"], code=f"missing_{missing[0]}")
        if not all(part.isdigit() for part in typed):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        day, month, year = (int(part) for part in typed)
        try:
            typed_date = date(year, month, day)
        except (ValueError, OverflowError):  # a year of twenty digits overflows a C long
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(typed[2]) != 4:  # "26" is not read as 2026, nor as the year 26
            raise ValidationError(self.error_messages["year"], code="year")
        return typed_date
