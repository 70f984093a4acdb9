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


ROLES: tuple[RoleInfo, ...] = (
    RoleInfo(
        "advocate", _("Advocate"), _("Reads what survivors share with the advocate team; coordinates support."), True
    ),
    RoleInfo("facilitator", _("Facilitator"), _("Runs restorative processes they are assigned to."), True),
    RoleInfo("investigator", _("Investigator"), _("Collects evidence and writes the report in a formal case."), True),
    RoleInfo("panel", _("Panel member"), _("Decides formal cases after declaring no conflict."), True),
    RoleInfo("appeal_panel", _("Appeal panel member"), _("Decides appeals on stated grounds."), True),
    RoleInfo(
        "respondent",
        _("Respondent"),
        _("Reads the notice and evidence a process requires; responds and appeals."),
        True,
    ),
    RoleInfo("supporter", _("Supporter"), _("Sees what the person who invited them shares."), True),
    RoleInfo(
        "oversight", _("Oversight"), _("Verifies the ledger and sees aggregate statistics; never case content."), True
    ),
    RoleInfo(
        "commission",
        _("Commission member"),
        _("Reads the anonymized excerpts survivors contribute to the organization's learning; sees the insights."),
        True,
    ),
    RoleInfo("admin", _("Administrator"), _("Manages membership and settings; never reads case content."), True),
)

ROLE_CODES: tuple[str, ...] = tuple(role.code for role in ROLES)
ROLE_CHOICES = [(role.code, role.label) for role in ROLES]
ROLE_LABELS = dict(ROLE_CHOICES)
BY_CODE = {role.code: role for role in ROLES}

# Every member may write and keep their own records (the survivor role); it needs no grant.
SURVIVOR_HELP = _("Every member: writes, keeps, shares, exports and destroys their own records.")


def requires_two_factor(role_codes: set[str]) -> bool:
    return any(BY_CODE[code].reads_others_content for code in role_codes if code in BY_CODE)
