"""The people every access test is written about."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

import pyotp

from chorus.accounts.models import Member, Organization
from chorus.accounts.services.members import member_create, organization_create
from chorus.accounts.services.two_factor import totp_new_secret, two_factor_enrol
from chorus.preparation.models import PREPARED_ROLES
from chorus.preparation.services.training import training_record

PASSWORD = "correct horse battery staple"

# persona -> roles beyond member
PERSONA_ROLES: dict[str, set[str]] = {
    "survivor": set(),
    "advocate": {"advocate"},
    "facilitator": {"facilitator"},
    "investigator": {"investigator"},
    "panel": {"panel"},
    "respondent": {"respondent"},
    "oversight": {"oversight"},
    "commission": {"commission"},
    "admin": {"admin"},
}
# "outsider" is a visitor who is not signed in; "other_org" an administrator elsewhere.
ALL_PERSONAS = (*PERSONA_ROLES, "outsider", "other_org")


@dataclass
class Personas:
    organization: Organization
    other_organization: Organization
    members: dict[str, Member] = field(default_factory=dict)
    recovery_codes: dict[str, str] = field(default_factory=dict)
    vault_keys: dict[str, bytes] = field(default_factory=dict)
    totp_secrets: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Member:
        try:
            members: dict[str, Member] = self.__dict__["members"]
            return members[name]
        except KeyError:
            raise AttributeError(name) from None


def make_personas() -> Personas:
    organization = organization_create(name="Riverside Workers Union", slug="riverside")
    other = organization_create(name="Hilltop Collective", slug="hilltop")
    personas = Personas(organization=organization, other_organization=other)
    for persona, roles in PERSONA_ROLES.items():
        member, code, vault_key = member_create(
            organization=organization,
            email=f"{persona}@riverside.example",
            display_name=persona.title(),
            password=PASSWORD,
            roles=roles,
            actor="test",
        )
        prepare(member, roles)
        personas.members[persona] = member
        personas.recovery_codes[persona] = code
        personas.vault_keys[persona] = vault_key
    member, code, vault_key = member_create(
        organization=other,
        email="admin@hilltop.example",
        display_name="Hilltop Admin",
        password=PASSWORD,
        roles={"admin"},
        actor="test",
    )
    personas.members["other_org"] = member
    personas.recovery_codes["other_org"] = code
    personas.vault_keys["other_org"] = vault_key
    for persona, member in personas.members.items():
        if member.requires_two_factor:
            secret = totp_new_secret()
            enrol_two_factor(member, secret)
            personas.totp_secrets[persona] = secret
    return personas


def add_member(organization: Organization, name: str, roles: set[str]) -> tuple[Member, bytes]:
    """Another member of ``organization`` (``name``@riverside.example), with their vault key."""
    member, _, vault_key = member_create(
        organization=organization,
        email=f"{name}@riverside.example",
        display_name=name.title(),
        password=PASSWORD,
        roles=roles,
        actor="test",
    )
    prepare(member, roles)
    return member, vault_key


def prepare(member: Member, roles: set[str]) -> None:
    """Whoever is seeded to investigate, decide or facilitate holds current preparation for
    it, as appointment requires (recorded as the operator's set-up)."""
    covered = roles & set(PREPARED_ROLES)
    if covered:
        training_record(
            actor=None, member=member, roles=covered, topic="Trauma-informed practice", completed_on=date.today()
        )


def enrol_two_factor(member: Member, secret: str) -> None:
    # Enrol with the code of the previous 30-second step, so the current one is
    # still unused for the test's own sign-in.
    # On a slow machine a 30-second step can end between taking the code and checking it,
    # and the code is then too old: take the previous step's code again, once.
    for _attempt in range(2):
        code = pyotp.TOTP(secret).at(time.time() - 30)
        if two_factor_enrol(member=member, secret=secret, code=code) is not None:
            return
    raise AssertionError("two-factor enrolment refused a fresh code")
