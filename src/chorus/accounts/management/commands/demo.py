"""``chorus demo``: a demo organization with one account per role, made idempotently."""

from __future__ import annotations

import base64
import time
from argparse import ArgumentParser
from typing import Any

import pyotp
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from chorus.accounts.models import Member, Organization
from chorus.accounts.roles import ROLE_CODES
from chorus.accounts.services.members import member_create, organization_create
from chorus.accounts.services.two_factor import two_factor_enrol
from chorus.preparation.models import PREPARED_ROLES
from chorus.preparation.services.training import training_record

DEMO_SLUG = "demo"
DEMO_DOMAIN = "demo.chorus.invalid"
# Demo accounts are for trying Chorus on one's own machine. Their passwords and
# authenticator keys are printed on purpose; never run ``chorus demo`` on a real site.
DEMO_PASSWORD = "demo-password-{role}"
# Two members without a role, so that naming the same person in escrow can be tried.
MEMBERS_WITHOUT_ROLE = ("survivor", "colleague")
PERSONAS = (*MEMBERS_WITHOUT_ROLE, *ROLE_CODES)


def demo_totp_secret(role: str) -> str:
    # Fixed so a developer can add each account to an authenticator app once.
    return base64.b32encode(f"chorus-demo-{role}".ljust(20, "-").encode()[:20]).decode()


class Command(BaseCommand):
    help = "Create (or show) the demo organization with one account per role."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--code", metavar="ROLE", help="Print the current two-factor code of a demo account.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("code"):
            role = options["code"]
            if role not in PERSONAS:
                raise CommandError(f"no demo account for {role!r}; choose one of {', '.join(PERSONAS)}")
            self.stdout.write(pyotp.TOTP(demo_totp_secret(role)).now())
            return
        with transaction.atomic():
            organization = Organization.objects.filter(slug=DEMO_SLUG).first()
            if organization is None:
                organization = organization_create(name="Demo Organization", slug=DEMO_SLUG)
            created = 0
            for persona in PERSONAS:
                email = f"{persona}@{DEMO_DOMAIN}"
                if Member.objects.filter(email=email).exists():
                    continue
                roles = set() if persona in MEMBERS_WITHOUT_ROLE else {persona}
                member, _code, _vault = member_create(
                    organization=organization,
                    email=email,
                    display_name=f"Demo {persona.replace('_', ' ')}",
                    password=DEMO_PASSWORD.format(role=persona),
                    roles=roles,
                    actor="demo",
                )
                if roles & set(PREPARED_ROLES):  # appointment to a case requires current preparation
                    training_record(
                        actor=None,
                        member=member,
                        roles=roles & set(PREPARED_ROLES),
                        topic="Trauma-informed practice",
                        completed_on=timezone.localdate(),
                    )
                if member.requires_two_factor:
                    # Enrolled through the service (and so the ledger) with the previous
                    # step's code, leaving the current code free for the first sign-in.
                    secret = demo_totp_secret(persona)
                    two_factor_enrol(member=member, secret=secret, code=pyotp.TOTP(secret).at(time.time() - 30))
                created += 1
        self.stdout.write(f"Demo organization ready ({created} accounts created). Sign in at /sign-in/ with:")
        for persona in PERSONAS:
            line = f"  {persona}@{DEMO_DOMAIN:<22} password {DEMO_PASSWORD.format(role=persona)}"
            if persona not in MEMBERS_WITHOUT_ROLE:
                line += f"   two-factor key {demo_totp_secret(persona)} (or: chorus demo --code {persona})"
            self.stdout.write(line)
