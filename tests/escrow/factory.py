"""Escrow entries made through the services, as the pages make them."""

from __future__ import annotations

from django.test import Client

from chorus.accounts.models import Member
from chorus.accounts.services.members import member_create
from chorus.escrow.models import Entry, Group, Match
from chorus.escrow.services.entries import Choices, Named, entry_submit
from chorus.escrow.services.groups import group_invite
from chorus.escrow.services.matches import match_open
from chorus.records.access import Owner
from tests.helpers import open_vault
from tests.personas import PASSWORD, Personas

SAM = "Sam.Lee@Example.org"


def client_for(member: Member | None, vault_key: bytes) -> Client:
    """A signed-in member with their vault open, as a browser session would be."""
    assert member is not None
    client = Client()
    client.force_login(member, backend="chorus.accounts.backends.MemberBackend")
    open_vault(client, member, vault_key)
    return client


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
        choices=Choices(tell_me=tell_me, would_meet=would_meet, release=release, statement=statement),
    )


def member_of(owner: Owner) -> Member:
    assert owner.member is not None
    return owner.member


def matched_group(personas: Personas) -> tuple[Match, Group]:
    """The survivor persona and a fresh member name one person; the advocate invites both."""
    from tests.records.factory import advocate_reader, survivor_owner

    name(survivor_owner(personas), ("email", SAM))
    name(member_owner(personas, "robin"), ("email", SAM))
    match = Match.objects.get()
    reader = advocate_reader(personas)
    group = group_invite(reader, match_open(reader, match), {"Survivor A", "Survivor B"})
    return match, group
