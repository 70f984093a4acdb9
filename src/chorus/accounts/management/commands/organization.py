"""``chorus organization create|seat|list``: the deployment operator starts an organization
(its first administrators and oversight members are invited by email), seats a new
administrator or oversight member where none is left, and lists what the deployment runs."""

from __future__ import annotations

import smtplib
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from chorus.accounts.models import Organization
from chorus.accounts.services.operator import SEATABLE, OperatorRefused, organization_found, role_seat


class Command(BaseCommand):
    help = "Start an organization, seat an administrator or oversight member, or list organizations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create",
            help="Create an organization and email invitations to its first administrator(s) and oversight member(s).",
        )
        create.add_argument("--name", required=True, help="The name members see, e.g. 'Riverside Workers Union'.")
        create.add_argument("--slug", required=True, help="A short identifier: lower-case letters, digits, hyphens.")
        create.add_argument(
            "--admin", action="append", required=True, metavar="EMAIL", help="A first administrator (repeatable)."
        )
        create.add_argument(
            "--oversight",
            action="append",
            required=True,
            metavar="EMAIL",
            help="A first oversight member (repeatable); never also an administrator.",
        )
        create.add_argument(
            "--threshold",
            type=int,
            default=2,
            help="How many different members must name one person before an escrow match opens (2-10, default 2).",
        )
        seat = sub.add_parser(
            "seat",
            help="Give the administrator or oversight role to a member at once, or invite a new address to it "
            "(for an organization whose last oversight member or administrator has gone).",
        )
        seat.add_argument("slug")
        seat.add_argument("--role", required=True, choices=SEATABLE)
        seat.add_argument("--email", required=True)
        sub.add_parser("list", help="Every organization, with how many members, administrators and oversight members.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self._create(options)
            elif options["action"] == "seat":
                self._seat(options)
            else:
                self._list()
        except OperatorRefused as refused:
            raise CommandError(str(refused)) from None
        except (OSError, smtplib.SMTPException) as failed:  # the mail server refused or could not be reached
            raise CommandError(
                f"The mail server at {settings.EMAIL_HOST}:{settings.EMAIL_PORT} did not take the invitations "
                f"({failed.__class__.__name__}: {failed}). Nothing was created: check CHORUS_EMAIL_URL and run the "
                "command again."
            ) from None

    def _create(self, options: dict[str, Any]) -> None:
        founded = organization_found(
            name=options["name"],
            slug=options["slug"],
            admins=options["admin"],
            oversight=options["oversight"],
            threshold=options["threshold"],
        )
        hours = settings.CHORUS_INVITATION_TTL_HOURS
        self.stdout.write(f"Created {founded.organization.name} ({founded.organization.slug}). Invitations sent:")
        for email, role in founded.invited:
            self.stdout.write(f"  {email:<40} {role}")
        self.stdout.write(
            f"\nWhat comes next:\n"
            f"  1. Each person opens the link in their email within {hours} hours and chooses a password;\n"
            f"     administrators and oversight members then set up two-factor sign-in.\n"
            f"  2. The administrator invites members and proposes roles (advocates, panels...) on the\n"
            f"     Members page; the oversight member approves them on 'Who holds power'. Nobody gets a\n"
            f"     role that reads or decides with one person's say.\n"
            f"  3. The administrator or the oversight member confirms each new member (Confirm new members)\n"
            f"     before their escrow entries count toward a match.\n"
            f"An invitation that expired or went astray: chorus organization seat {founded.organization.slug} "
            f"--role ROLE --email EMAIL"
        )

    def _seat(self, options: dict[str, Any]) -> None:
        organization = Organization.objects.filter(slug=options["slug"]).first()
        if organization is None:
            raise CommandError(f"No organization has the slug {options['slug']!r} (chorus organization list).")
        outcome = role_seat(organization=organization, email=options["email"], role=options["role"])
        if outcome == "seated":
            self.stdout.write(
                f"{options['email']} now holds the {options['role']} role in {organization.name}. Members see it on "
                "'Who holds power' as set up by the deployment's operator, and the ledger records it."
            )
        else:
            self.stdout.write(
                f"Invitation sent to {options['email']}: they hold the {options['role']} role in "
                f"{organization.name} once they accept it (within {settings.CHORUS_INVITATION_TTL_HOURS} hours)."
            )

    def _list(self) -> None:
        rows = Organization.objects.annotate(
            active=Count("members", filter=Q(members__is_active=True), distinct=True),
            admins=Count("members", filter=Q(members__is_active=True, members__roles__role="admin"), distinct=True),
            oversight=Count(
                "members", filter=Q(members__is_active=True, members__roles__role="oversight"), distinct=True
            ),
        ).order_by("slug")
        if not rows:
            self.stdout.write("No organizations yet: chorus organization create --help")
            return
        self.stdout.write(f"{'slug':<24} {'members':>7} {'admins':>6} {'oversight':>9}  name")
        for row in rows:
            self.stdout.write(f"{row.slug:<24} {row.active:>7} {row.admins:>6} {row.oversight:>9}  {row.name}")
