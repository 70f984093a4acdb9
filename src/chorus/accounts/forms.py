from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chorus.accounts.roles import ROLE_CHOICES, ROLE_LABELS, separation_conflict
from chorus.accounts.services.lifecycle import case_reference_refusal

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_PASSWORD = 1024


def _password(label: StrOrPromise, autocomplete: str = "new-password", help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_PASSWORD,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class NewPasswordMixin(forms.Form):
    new_password = _password(
        _("New password"),
        help_text=_("At least 10 characters. A few unrelated words make a strong, memorable password."),
    )
    new_password_again = _password(_("New password, again"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("new_password"), data.get("new_password_again")
        if first and second and first != second:
            self.add_error("new_password_again", _("The two passwords are not the same."))
        elif first:
            try:
                validate_password(first)
            except ValidationError as error:
                self.add_error("new_password", error)
        return data


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = _password(_("Password"), "current-password")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=64,
        help_text=_("Six digits. If you have lost your phone, type one of your backup codes instead."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off"}
        ),
    )


class EnrolForm(CodeForm):
    sealed_secret = forms.CharField(widget=forms.HiddenInput, max_length=400)


class InvitationAcceptForm(NewPasswordMixin):
    display_name = forms.CharField(
        label=_("Your name as others in Chorus will see it"),
        max_length=100,
        help_text=_("It can be a first name or a nickname."),
    )
    field_order = ["display_name", "new_password", "new_password_again"]


class PasswordChangeForm(NewPasswordMixin):
    current_password = _password(_("Current password"), "current-password")
    field_order = ["current_password", "new_password", "new_password_again"]


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)


class PasswordResetCompleteForm(NewPasswordMixin):
    recovery_code = forms.CharField(
        label=_("Recovery code"),
        required=False,
        max_length=64,
        help_text=_(
            "The code you were shown when you joined. With it, everything you wrote stays readable. Without it, you start with a new, empty vault."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    second_factor_code = forms.CharField(
        label=_("Two-factor code"),
        required=False,
        max_length=64,
        help_text=_("Only if you set up an authenticator app: the code it shows now, or a backup code."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address of the person to invite"), max_length=254)
    roles = forms.MultipleChoiceField(
        label=_("Roles beyond member"),
        required=False,
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Every member can keep their own records. Roles that read others' content require two-factor sign-in. "
            "A role that reads content, decides or manages starts only once a second person approves it."
        ),
    )

    def clean_roles(self) -> list[str]:
        roles: list[str] = self.cleaned_data["roles"]
        for role in roles:
            clash = separation_conflict(set(roles) - {role}, role)
            if clash is not None:
                raise ValidationError(
                    _("%(role)s cannot be combined with %(held)s: the process must be independent of leadership.")
                    % {"role": ROLE_LABELS[role], "held": ROLE_LABELS[clash]}
                )
        return roles


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(required=False, choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple)


class ConfirmMembersForm(forms.Form):
    members = forms.MultipleChoiceField(
        label=_("People to confirm"),
        choices=[],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one person to confirm.")},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["members"]).choices = choices


class MembershipChangeForm(forms.Form):
    """Why an administrator suspends or reinstates someone: a reason from a fixed list and,
    optionally, a case reference. There is deliberately no box to describe what happened."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    case_reference = forms.CharField(
        label=_("Case reference"),
        required=False,
        max_length=64,
        help_text=_(
            "An identifier such as HR-2026-014, if this carries out a decision taken outside Chorus. "
            "A decision in a case in Chorus is carried out from the case. Do not write anything about what happened."
        ),
        error_messages={"max_length": _("A case reference is at most 64 characters.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, reasons: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason"]).choices = reasons

    def clean_case_reference(self) -> str:
        value: str = self.cleaned_data["case_reference"].strip()
        refusal = case_reference_refusal(value)
        if refusal is not None:
            raise ValidationError(refusal)
        return value


class AccountDeleteForm(forms.Form):
    """The member's password again (and their second factor's code, if they have one)
    before their account and what they own are destroyed."""

    password = _password(_("Your password"), "current-password")
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=64,
        required=False,
        help_text=_("Six digits, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off"}),
    )

    def __init__(self, *args: Any, two_factor: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].error_messages["required"] = _("Type your password to confirm.")
        if two_factor:
            self.fields["code"].required = True
            self.fields["code"].error_messages["required"] = _("Type the code your authenticator app shows now.")
        else:
            del self.fields["code"]
