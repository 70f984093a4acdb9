"""The one way a case moves: check the machine (role, state, pause, consent), lock the
case, run the action's service, write the ledger. Refused attempts on a decision are
ledgered too, whoever makes them, as long as the case is one of their organization's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.accounts.models import Member
from chorus.cases import keys as case_keys
from chorus.cases.machine import ACTIONS, BOTH_CONSENT, BY_NAME, CONSENT_STEPS, ENDED, Action
from chorus.cases.models import Case, Consent
from chorus.cases.services import common, formal, measures, restorative  # noqa: F401 (register their actions)
from chorus.cases.services.core import (
    IMPLEMENTATIONS,
    CaseActor,
    CaseError,
    DecisionRefused,
    complainants,
    log,
    respondent,
)
from chorus.ledger.services import ledger_append
from chorus.web import ratelimit

DECISION_ACTIONS = frozenset({"vote", "decide", "appeal_vote", "appeal_decide"})
DECISION_REFUSED = gettext_lazy(
    "Only the panel that heard the case decides it, and a decision changes only through an appeal "
    "to a separate appeal panel. This attempt has been recorded in the ledger."
)
# Refused decision attempts one member may make in an hour; then they are refused without
# being recorded one by one (the ledger records the lock once) until the hour is over. Each
# attempt is an append to the ledger, so without a limit one member could grow it without
# end. Not a setting: no one taking part in good faith comes near it.
REFUSED_ATTEMPTS_PER_HOUR = 10
REFUSED_ATTEMPTS_SCOPE = "case-decision-refused"
REFUSED_ATTEMPTS_LIMITED = gettext_lazy(
    "You have tried many deciding steps that are not yours in the last hour. Each was refused and recorded "
    "in the ledger. Further attempts are refused for an hour."
)
STEP_NAMES = dict(CONSENT_STEPS)


def _refusal(actor: CaseActor, action: Action) -> str | None:  # noqa: PLR0911 (one reason per check, in order)
    case = actor.case
    if not actor.roles & action.by:
        return _("This step is not yours to take in this case.")
    if case.destroyed_at is not None:
        return _("This case's content was destroyed at the end of its retention period.")
    if case.state not in action.states:
        if case.state in ENDED:
            return _("The case has ended.")
        return str(dict(action.refused_in).get(case.state, _("This step does not belong to the case's current stage.")))
    if case.paused and not action.while_paused:
        return _("The case is paused. Nothing moves until the survivor resumes it.")
    if action.name == "resume" and not case.paused:
        return _("The case is not paused.")
    return None


def available(actor: CaseActor) -> list[Action]:
    """The actions this person may try now (a consent gate is explained when tried)."""
    return [action for action in ACTIONS if _refusal(actor, action) is None]


def consent_missing(case: Case, step: str) -> str | None:
    needed = complainants(case)  # a complainant who withdrew is asked for nothing any more
    if not needed:  # and when every one of them has, no step that needs a survivor's consent runs
        return _("No survivor takes part in this case any more, so no one can give this consent.")
    if step in BOTH_CONSENT:
        other = respondent(case)
        if other is None or other.joined_at is None:
            return _("The respondent has not joined the case yet, so they have not consented.")
        needed.append(other)
    given = set(Consent.objects.filter(case=case, step=step).values_list("party_id", flat=True))
    missing = [party for party in needed if party.pk not in given]
    if not missing:
        return None
    who = ", ".join(party.label for party in missing)
    return _("This needs consent first — to: %(step)s. Not yet given by: %(who)s.") % {
        "step": STEP_NAMES[step],
        "who": who,
    }


def case_act(actor: CaseActor, name: str, data: dict[str, Any]) -> str | None:
    action = BY_NAME.get(name)
    if action is None:
        raise CaseError(_("There is no such step."))
    refusal = _refusal(actor, action)
    if refusal is None and name not in IMPLEMENTATIONS:
        refusal = _("This step is not available.")
    if refusal is not None:
        if name in DECISION_ACTIONS:
            decision_change_refused(actor.member, actor.case.pk, name)
            if not actor.roles & action.by:
                raise DecisionRefused(DECISION_REFUSED)
        raise CaseError(refusal)
    gate_held = False
    with transaction.atomic():
        actor.case = Case.objects.select_for_update().get(pk=actor.case.pk)
        refusal = _refusal(actor, action)  # again, under the lock
        if refusal is None and action.consent:
            refusal = consent_missing(actor.case, action.consent)
            gate_held = refusal is not None
        if refusal is None:
            message: str | None = IMPLEMENTATIONS[name](actor, _fresh(actor, data))
            log(actor, actor.case, name)
            return message
    if gate_held:  # a consent gate that held is part of the process's record
        with transaction.atomic():
            log(actor, actor.case, "consent_gate_held", refused=name, step=action.consent)
    raise CaseError(refusal)


def _fresh(actor: CaseActor, data: dict[str, Any]) -> dict[str, Any]:
    """Rows named by the step (a measure, a milestone, a party...) read again under the
    case lock, and refused unless they belong to this case."""
    fresh = dict(data)
    for name, value in data.items():
        if isinstance(value, models.Model) and hasattr(value, "case_id"):
            row = type(value)._default_manager.filter(pk=value.pk, case=actor.case).first()
            if row is None:
                raise CaseError(_("That is not part of this case."))
            fresh[name] = row
    return fresh


def decision_change_refused(member: Member, case_id: UUID, name: str) -> None:
    """Anyone but the deciding panel trying to set or change a decision: refused, and the
    attempt written to the case's organization's ledger (it counts in the transparency report).

    Only a real attempt is recorded: on a case of the member's own organization. A made-up
    case id, or another organization's, is not found (404, as any unknown address), so no one
    can add to the count, or to the ledger, with cases that do not exist. A member past
    ``REFUSED_ATTEMPTS_PER_HOUR`` refused attempts is refused with ``DecisionRefused``
    without a record of each further attempt."""
    case = Case.objects.filter(pk=case_id, organization_id=member.organization_id).first()
    if case is None:
        raise Http404
    subject = str(member.pk)
    if ratelimit.locked_until(REFUSED_ATTEMPTS_SCOPE, subject) is not None:
        raise DecisionRefused(REFUSED_ATTEMPTS_LIMITED)
    with transaction.atomic():
        ledger_append(
            organization_id=member.organization_id,
            actor=case_keys.case_pseudonym(member.pk, case.pk),
            action="case.decision_change_refused",
            refs={"case": str(case.pk), "action": name},
        )
        limited = ratelimit.record_failure(
            REFUSED_ATTEMPTS_SCOPE, subject, limit=REFUSED_ATTEMPTS_PER_HOUR, window=timedelta(hours=1)
        )
        if limited:
            ledger_append(
                organization_id=member.organization_id,
                actor=member.pseudonym,
                action="case.decision_attempts_limited",
                refs={"limit": REFUSED_ATTEMPTS_PER_HOUR},
            )
