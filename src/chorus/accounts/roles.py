"""Every role, declared once with what it may do. Permission checks read only this."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class RoleInfo:
    code: str
    label: str | Promise
    help: str | Promise
    reads_others_content: bool  # such roles must use two-factor sign-in
    # Holders of any of these roles may approve a grant of this role. Empty: no power over
    # others' content or decisions, so an administrator grants it alone and it takes effect.
    approved_by: tuple[str, ...] = ()

    @property
    def is_power(self) -> bool:
        return bool(self.approved_by)


ROLES: tuple[RoleInfo, ...] = (
    RoleInfo(
        "advocate",
        _("Advocate"),
        _("Reads what survivors share with the advocate team; coordinates support."),
        True,
        ("advocate", "oversight"),
    ),
    RoleInfo(
        "facilitator",
        _("Facilitator"),
        _("Runs restorative processes they are assigned to."),
        True,
        ("advocate", "oversight"),
    ),
    RoleInfo(
        "investigator",
        _("Investigator"),
        _("Collects evidence and writes the report in a formal case."),
        True,
        ("oversight",),
    ),
    RoleInfo("panel", _("Panel member"), _("Decides formal cases after declaring no conflict."), True, ("oversight",)),
    RoleInfo("appeal_panel", _("Appeal panel member"), _("Decides appeals on stated grounds."), True, ("oversight",)),
    RoleInfo(
        "respondent",
        _("Respondent"),
        _("Reads the notice and evidence a process requires; responds and appeals."),
        True,
    ),
    RoleInfo("supporter", _("Supporter"), _("Sees what the person who invited them shares."), True),
    RoleInfo(
        "oversight",
        _("Oversight"),
        _("Verifies the ledger and sees aggregate statistics; never case content."),
        True,
        ("oversight",),
    ),
    RoleInfo(
        "commission",
        _("Commission member"),
        _("Reads the anonymized excerpts survivors contribute to the organization's learning; sees the insights."),
        True,
        ("commission", "oversight"),
    ),
    RoleInfo(
        "admin",
        _("Administrator"),
        _("Manages membership and settings; never reads case content."),
        True,
        ("admin", "oversight"),
    ),
)

ROLE_CODES: tuple[str, ...] = tuple(role.code for role in ROLES)
ROLE_CHOICES = [(role.code, role.label) for role in ROLES]
ROLE_LABELS = dict(ROLE_CHOICES)
BY_CODE = {role.code: role for role in ROLES}
POWER_ROLES: tuple[str, ...] = tuple(role.code for role in ROLES if role.is_power)

# Separation of duties: the process must be independent of the organization's leadership.
# An administrator never also reads case content or decides, nor oversees (oversight is the
# check on leadership: it approves administrators and confirms memberships).
NOT_WITH_ADMIN: frozenset[str] = frozenset(
    {"advocate", "facilitator", "investigator", "panel", "appeal_panel", "commission", "oversight"}
)
# Who confirms that a new member is a real, distinct person (their escrow entries count
# toward a match only then): an administrator or the oversight body, never the member's inviter.
CONFIRMS_MEMBERSHIP: frozenset[str] = frozenset({"admin", "oversight"})


def separation_conflict(held: set[str], adding: str) -> str | None:
    """The role already held that ``adding`` may not be combined with, if any."""
    if adding == "admin":
        clash = sorted(held & NOT_WITH_ADMIN)
        return clash[0] if clash else None
    if adding in NOT_WITH_ADMIN and "admin" in held:
        return "admin"
    return None


def approver_roles(code: str) -> tuple[str, ...]:
    return BY_CODE[code].approved_by


# Every member may write and keep their own records (the survivor role); it needs no grant.
SURVIVOR_HELP = _("Every member: writes, keeps, shares, exports and destroys their own records.")


def requires_two_factor(role_codes: set[str]) -> bool:
    return any(BY_CODE[code].reads_others_content for code in role_codes if code in BY_CODE)
