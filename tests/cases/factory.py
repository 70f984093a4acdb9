"""Cases driven through the services, as the pages drive them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

from chorus.accounts.models import Member
from chorus.cases.machine import Role
from chorus.cases.models import Case, Party
from chorus.cases.services.act import case_act
from chorus.cases.services.core import CaseActor, case_actor, case_open, invitation_claim, party_add
from chorus.web.tasks import tasks_run_due
from tests.helpers import last_link
from tests.personas import Personas, add_member

IN_A_MONTH = timezone.now() + timedelta(days=30)


@dataclass
class People:
    """The personas plus the extra panel members a formal case needs."""

    personas: Personas
    members: dict[str, Member] = field(default_factory=dict)
    vault_keys: dict[str, bytes] = field(default_factory=dict)

    def member(self, name: str) -> Member:
        return self.members[name]

    def actor(self, name: str, case: Case) -> CaseActor:
        return case_actor(self.members[name], self.vault_keys[name], case.pk)

    def act(self, name: str, case: Case, action: str, **data: Any) -> str | None:
        return case_act(self.actor(name, case), action, data)


def people(personas: Personas, *extra: tuple[str, set[str]]) -> People:
    crowd = People(personas)
    for name, member in personas.members.items():
        crowd.members[name] = member
        crowd.vault_keys[name] = personas.vault_keys[name]
    for name, roles in extra:
        member, vault_key = add_member(personas.organization, name, roles)
        crowd.members[name] = member
        crowd.vault_keys[name] = vault_key
    return crowd


PANELS = (("panel2", {"panel"}), ("panel3", {"panel"}), ("appeal1", {"appeal_panel"}),
          ("appeal2", {"appeal_panel"}), ("appeal3", {"appeal_panel"}))  # fmt: skip


def opened(crowd: People, pathway: str = "intake", summary: str = "I want it to stop.") -> Case:
    return case_open(crowd.member("survivor"), crowd.vault_keys["survivor"], summary=summary, pathway=pathway)


def co_complainant(crowd: People, case: Case, name: str) -> Party:
    """Seat ``name`` as a second complainant, as a matched group's case seats each member who
    comes to it (``group_case_join``): the complainant's compartment keys, sealed to them."""
    held = crowd.actor("survivor", case).held()
    return party_add(case, crowd.member(name), Role.COMPLAINANT, f"Complainant {name.title()}", bundle_keys=held)


def claim_invitation(crowd: People, name: str) -> Case:
    """Run the queue, find the emailed link, and claim it as ``name``."""
    tasks_run_due()
    token = last_link("/cases/join/").rstrip("/").rsplit("/", 1)[1]
    mail.outbox.clear()
    return invitation_claim(crowd.member(name), token)


def formal_to_deliberation(crowd: People) -> Case:
    """A formal case with one allegation, notice given, a response, a report and a seated panel."""
    case = opened(crowd, "formal")
    crowd.act("survivor", case, "allegation", text="He touched me at the staff party.")
    crowd.act("survivor", case, "consent", step="contact")
    crowd.act("advocate", case, "notice", email=crowd.member("respondent").email, text="Notice: one allegation.")
    claim_invitation(crowd, "respondent")
    crowd.act("respondent", case, "respond", text="I remember it differently.")
    crowd.act("advocate", case, "investigator", member=crowd.member("investigator"))
    crowd.act("investigator", case, "report", text="Two witnesses confirm the account.")
    for name in ("panel", "panel2", "panel3"):
        crowd.act("advocate", case, "panel", member=crowd.member(name))
        crowd.act(name, case, "declare", conflict="no", text="")
    crowd.act("advocate", case, "deliberate")
    case.refresh_from_db()
    return case


def formal_decided(crowd: People) -> Case:
    """``formal_to_deliberation``, then the panel upholds the allegation: the appeal window is open."""
    case = formal_to_deliberation(crowd)
    allegation = case.allegations.get()
    for name in ("panel", "panel2", "panel3"):
        crowd.act(name, case, "vote", allegation=allegation, upheld="yes", reasons=f"{name}: the rota agrees.")
    crowd.act("panel", case, "decide", text="Upheld on the evidence of the rota.")
    case.refresh_from_db()
    return case
