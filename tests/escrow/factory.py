"""Escrow entries made through the services, as the pages make them."""

from __future__ import annotations

from chorus.accounts.models import Member
from chorus.accounts.services.members import member_create
from chorus.escrow.models import Entry
from chorus.escrow.services.entries import Named, entry_submit
from chorus.records.access import Owner
from tests.personas import PASSWORD, Personas

SAM = "Sam.Lee@Example.org"


def member_owner(personas: Personas, name: str) -> Owner:
    """A fresh member of the personas' organization, as an escrow owner."""
    member, _, vault_key = member_create(
        organization=personas.organization,
        email=f"{name}@riverside.example",
        display_name=name.title(),
        password=PASSWORD,
        roles=set(),
        actor="test",
    )
    return Owner(organization=member.organization, vault_key=vault_key, member=member)


def name(
    owner: Owner,
    *identifiers: tuple[str, str],
    tell_me: bool = True,
    would_meet: bool = True,
    release: str = "contact",
    statement: str = "",
) -> Entry:
    return entry_submit(
        owner,
        named=[Named(kind=kind, text=text) for kind, text in identifiers],
        tell_me=tell_me,
        would_meet=would_meet,
        release=release,
        statement=statement,
    )


def member_of(owner: Owner) -> Member:
    assert owner.member is not None
    return owner.member
