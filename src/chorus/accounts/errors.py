from __future__ import annotations


class AccountError(Exception):
    """A request Chorus refuses; ``str(error)`` is a kind, specific message for the person."""


class InvitationUnusable(AccountError):
    pass


class SignInRefused(AccountError):
    pass


class SignInLocked(AccountError):
    pass


class WrongCode(AccountError):
    pass


class ResetUnusable(AccountError):
    pass


class LastAdministrator(AccountError):
    pass


class DisplayNameRefused(AccountError):
    """Empty once invisible characters are removed, or already used in the organization."""
