"""Random sequences of steps by random people never pass a consent gate without consent,
never let anyone but the seated deciding panel set or change a decision, and never show
anyone case content their role in the case does not allow."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from chorus.cases.machine import ACTIONS, BY_NAME, DECIDERS, READS, TEAM, Field
from chorus.cases.models import Case, Decision, Party
from chorus.cases.services.act import available, case_act, consent_missing
from chorus.cases.services.core import CaseActor, CaseError, invitation_claim, items_for
from chorus.web.tasks import tasks_run_due
from tests.cases.factory import PANELS, People, opened, people
from tests.helpers import last_link
from tests.personas import Personas

PEOPLE = ("survivor", "advocate", "facilitator", "investigator", "panel", "panel2", "panel3",
          "appeal1", "appeal2", "appeal3", "respondent", "admin", "oversight")  # fmt: skip
SKIPPED_FIELDS = {"item", "record"}  # supporters' sharing and record copies are tested elsewhere
DETOURS = {"withdraw", "pause", "hold", "breach", "breach_response"}  # walked by the undirected steps only
# Steps that move a case on (or are what moving on waits for).
ONWARD = {"choose_pathway", "allegation", "consent", "notice", "invite", "investigator", "report", "panel",
          "declare", "deliberate", "vote", "decide", "appeal", "appeal_panel", "appeal_vote", "appeal_decide",
          "facilitator", "safety", "suitability", "prepare", "dialogue", "agreement", "plan", "milestone",
          "milestone_report", "milestone_verify", "review", "needs_met", "complete", "sanction", "close"}  # fmt: skip
TRIED = [action.name for action in ACTIONS if not {f.kind for f in action.fields} & SKIPPED_FIELDS]


def _value(draw: Any, crowd: People, case: Case, spec: Field) -> Any:
    kind = spec.kind
    if kind == "text":
        return draw(st.sampled_from(["Something written.", "Something written.", ""]))
    if kind == "choice":
        return draw(st.sampled_from([code for code, _ in spec.choices]))
    if kind == "date":
        return timezone.now() + timedelta(days=draw(st.sampled_from([30, 30, -1])))
    if kind == "email":
        return crowd.member("respondent").email
    if kind == "member":
        return crowd.member(draw(st.sampled_from(PEOPLE)))
    rows: list[Any] = {  # type: ignore[assignment]
        "party": list(case.parties.all()),
        "measure": list(case.measures.all()),
        "milestone": list(case.milestones.all()),
        "allegation": list(case.allegations.all()),
    }[kind]
    return draw(st.sampled_from(rows)) if rows else None


class CaseMachine(RuleBasedStateMachine):
    crowd: People

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.case = opened(self.crowd, "intake")
        self.crowd.act("survivor", self.case, "need", text="What I need.")

    def teardown(self) -> None:
        REACHED.update(Case.objects.filter(pk=self.case.pk).values_list("state", flat=True))
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        mail.outbox.clear()

    def _actor(self, name: str) -> CaseActor | None:
        try:
            return self.crowd.actor(name, self.case)
        except Http404:
            return None

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """Mostly a step someone may take now (so the walk gets somewhere), sometimes any
        step by anyone (so refusals are walked too)."""
        self.case.refresh_from_db()
        open_steps = [
            (name, action.name)
            for name in PEOPLE
            if (someone := self._actor(name)) is not None
            for action in available(someone)
            if action.name in TRIED
            and action.name not in DETOURS
            and (action.name != "choose_pathway" or self.case.pathway == "intake")
        ]
        onward = [(name, action) for name, action in open_steps if action in ONWARD]
        roll = data.draw(st.integers(0, 5))
        if onward and roll >= 2:
            name, action_name = data.draw(st.sampled_from(onward))
        elif open_steps and roll == 1:
            name, action_name = data.draw(st.sampled_from(open_steps))
        else:
            name, action_name = data.draw(st.sampled_from(PEOPLE)), data.draw(st.sampled_from(TRIED))
        actor = self._actor(name)
        if actor is None:
            return  # not in the case: the pages answer 404 (the access matrix shows it)
        action = BY_NAME[action_name]
        values = {spec.name: _value(data.draw, self.crowd, self.case, spec) for spec in action.fields}
        if any(value is None and spec.required for spec, value in zip(action.fields, values.values(), strict=True)):
            return
        gate_open = not action.consent or consent_missing(self.case, action.consent) is None
        decisions_before = set(Decision.objects.filter(case=self.case).values_list("allegation_id", "stage", "upheld"))
        roles = actor.roles
        try:
            case_act(actor, action_name, values)
        except CaseError:
            succeeded = False
        else:
            succeeded = True
        REACHED.add(Case.objects.get(pk=self.case.pk).state)
        decisions_after = set(Decision.objects.filter(case=self.case).values_list("allegation_id", "stage", "upheld"))
        assert decisions_before <= decisions_after, "a decision changed"
        if decisions_after != decisions_before:
            assert succeeded and action_name in {"decide", "appeal_decide"}
            assert roles & {"panel", "appeal_panel"}, f"{name} set a decision as {roles}"
        if succeeded and action.consent:
            assert gate_open, f"{action_name} passed the {action.consent} gate without consent"
        self.claim()

    def claim(self) -> None:
        """The respondent follows the emailed invitation as soon as there is one."""
        tasks_run_due()
        if not mail.outbox or "/cases/join/" not in str(mail.outbox[-1].body):
            return
        token = last_link("/cases/join/").rstrip("/").rsplit("/", 1)[1]
        mail.outbox.clear()
        with contextlib.suppress(CaseError):
            invitation_claim(self.crowd.member("respondent"), token)

    @invariant()
    def nobody_reads_beyond_their_role(self) -> None:
        for name in PEOPLE:
            actor = self._actor(name)
            if actor is None:
                continue
            assert name not in {"admin", "oversight"} or actor.parties, f"{name} reached the case"
            readable = set(READS[TEAM]) if actor.team else set()
            for party in actor.parties:
                if party.role not in DECIDERS or (party.declared_at and party.recused_at is None):
                    readable |= set(READS[party.role])
            shared = set(
                Party.objects.filter(pk__in=[p.pk for p in actor.parties]).values_list("shared_items__item", flat=True)
            )
            for item in items_for(actor):
                assert (
                    item.compartment in readable or item.id in shared or (item.compartment == "team" and actor.team)
                ), f"{name} read {item.kind} in {item.compartment}"


REACHED: set[str] = set()


@pytest.mark.django_db
def test_random_steps_keep_consent_decisions_and_reading_in_bounds(personas: Personas, settings: Any) -> None:
    settings.CHORUS_PANEL_SIZE = 1  # so random walks reach decisions and appeals
    CaseMachine.crowd = people(personas, *PANELS)
    run_state_machine_as_test(
        CaseMachine,
        settings=hypothesis_settings(
            max_examples=30,
            stateful_step_count=60,
            deadline=None,
            # A fixed seed: CI walks the same 30 paths as a local run, so a failure here
            # can be replayed there (hypothesis's example database is not kept in CI).
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # The walks went past the gates, not just around them.
    assert {"notice", "preparation", "appeal_window"} & REACHED, REACHED
