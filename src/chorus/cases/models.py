"""Cases: the process a survivor steers once they share a record or a matched group decides.

What a database dump shows: that a case exists, its pathway and state, dates, counts,
the findings of decisions (upheld or not, per numbered allegation) and the kinds of
measures. It does not show who is in a case: a party row carries a keyed hash of the
member (the server key) and the member sealed under the server key, so the worker can
email reminders; staff display names are stored for the parties to see who decides.
Everything written — allegations, notices, responses, reports, reasons, plans, measures —
is sealed under one of the case's compartment keys (see ``cases.keys``).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import Organization
from chorus.cases.machine import PATHWAY_STATES, STATE_LABELS, Pathway, Role


def _valid_state() -> Q:
    valid = Q()
    for pathway, states in PATHWAY_STATES.items():
        valid |= Q(pathway=pathway, state__in=states)
    return valid


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # A short reference people can say and write ("C-2026-0042"): per organization and year,
    # in the order cases were opened, never reused (``stages.reference_next``).
    reference = models.CharField(max_length=20, null=True, blank=True)
    pathway = models.CharField(max_length=12, choices=Pathway.choices, default=Pathway.INTAKE)
    state = models.CharField(max_length=16, default="intake")
    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)  # when the current pause began: the appeal clock stops
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    from_group = models.OneToOneField(
        "escrow.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="case"
    )
    # Compartment keys sealed to the advocate team's public key, and (for a matched
    # group's case) under the group's key so each co-complainant can join.
    keys_for_team = models.BinaryField()
    keys_for_group = models.BinaryField(null=True)
    appeal_deadline = models.DateTimeField(null=True, blank=True)
    # Retention: content is destroyed a set period after the case ends, unless a legal hold is set.
    legal_hold = models.BooleanField(default=False)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_valid_state(), name="case_state_fits_pathway"),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(state__in=["closed", "withdrawn"]),
                name="case_closed_only_when_ended",
            ),
            models.CheckConstraint(
                condition=Q(paused=False, paused_at__isnull=True) | Q(paused=True, paused_at__isnull=False),
                name="case_paused_since",
            ),
            models.UniqueConstraint(fields=["organization", "reference"], name="case_reference_once"),
        ]


class CaseCounter(models.Model):
    """The last case reference number given in one organization in one year."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="case_counter_once")]


class StagePeriod(models.Model):
    """One stay of a case in one stage: when it entered and left. What the case page's step
    indicator and timeline, the stage deadlines and the time-in-stage insights read."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="periods")
    pathway = models.CharField(max_length=12)
    state = models.CharField(max_length=16)
    entered_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)  # the overdue reminder was sent

    class Meta:
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(left_at__isnull=True), name="stage_period_one_open_per_case"
            ),
        ]


class StageTarget(models.Model):
    """How many days the organization aims to keep a case in one stage of one pathway. A row
    exists only where the organization changed the default (``machine.TARGET_DAYS``);
    ``days`` null means no target for that stage."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    pathway = models.CharField(max_length=12)
    state = models.CharField(max_length=16)
    days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "pathway", "state"], name="stage_target_once"),
            models.CheckConstraint(condition=Q(days__isnull=True) | Q(days__gte=1), name="stage_target_positive"),
        ]


class Party(models.Model):
    """Someone in a case, in one role. Found by ``tag`` (keyed hash of the member)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(max_length=16, choices=Role.choices)
    label = models.CharField(max_length=100)
    tag = models.BinaryField(max_length=32, null=True, db_index=True)  # null until an invitation is claimed
    member_sealed = models.BinaryField(null=True)
    keys_sealed = models.BinaryField(null=True, help_text="The role's compartment keys, sealed to the member.")
    invited_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    invite_hash = models.CharField(max_length=64, null=True, unique=True)
    invite_sealed = models.BinaryField(null=True, help_text="Keys under a key derived from the invitation link.")
    invite_email_hash = models.CharField(max_length=64, blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    # Panels: a declaration comes before any reading; a declared or upheld conflict recuses.
    declared_at = models.DateTimeField(null=True, blank=True)
    conflict = models.BooleanField(default=False)
    recused_at = models.DateTimeField(null=True, blank=True)
    # A complainant who withdrew while the case went on without them (a co-complainant still
    # taking part, or an appeal right pending: ``common.withdraw``): their part ended, the case did not.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="party_role_known"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(role="complainant"), name="party_withdraws_as_complainant"
            ),
            models.CheckConstraint(
                condition=Q(conflict=False) | Q(recused_at__isnull=False), name="party_conflict_recuses"
            ),
        ]


class Item(models.Model):
    """One written thing in a case, sealed under one compartment key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=24)
    compartment = models.CharField(max_length=12)
    author = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_label = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    body_sealed = models.BinaryField(null=True)  # null once destroyed
    allegation = models.ForeignKey("Allegation", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    measure = models.ForeignKey("Measure", null=True, blank=True, on_delete=models.CASCADE, related_name="items")
    milestone = models.ForeignKey("Milestone", null=True, blank=True, on_delete=models.CASCADE, related_name="items")

    class Meta:
        ordering = ["created_at", "id"]


class ItemShare(models.Model):
    """One item handed to one party outside its compartment (a measure's owner, a supporter)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="shares")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="shared_items")
    body_sealed = models.BinaryField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "party"], name="item_share_once")]


class Consent(models.Model):
    """A party's consent to one step. A step that needs it refuses to run without it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consents")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="consents")
    step = models.CharField(max_length=16)
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["party", "step"], name="consent_once")]


class Measure(models.Model):
    class Kind(models.TextChoices):
        SUPPORTIVE = "supportive", _("Supportive measure")
        INTERIM = "interim", _("Interim measure")
        SANCTION = "sanction", _("Sanction")
        REMEDY = "remedy", _("Remedy")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        AGREED = "agreed", _("Agreed")
        DECLINED = "declined", _("Declined")
        DONE = "done", _("Done")
        REVIEWED = "reviewed", _("Reviewed")
        ENDED = "ended", _("Ended")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measures")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    category = models.CharField(max_length=12, blank=True)  # what was asked for (machine.MEASURE_KINDS)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    owner = models.ForeignKey(Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    challenged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="measure_number_once"),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "agreed", "declined", "done", "reviewed", "ended"]),
                name="measure_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(kind="interim") | Q(expires_at__isnull=False), name="interim_measure_expires"
            ),
        ]


class Allegation(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="allegations")
    number = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="allegation_number_once")]


class Vote(models.Model):
    """One panel member's finding on one allegation. Never updated or deleted (triggers)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="votes")
    allegation = models.ForeignKey(Allegation, on_delete=models.PROTECT, related_name="votes")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="votes")
    stage = models.CharField(max_length=8)  # "panel" or "appeal"
    upheld = models.BooleanField()
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["allegation", "party", "stage"], name="vote_once")]


class Decision(models.Model):
    """The panel's (or appeal panel's) finding on one allegation. Never updated or deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    allegation = models.ForeignKey(Allegation, on_delete=models.PROTECT, related_name="decisions")
    stage = models.CharField(max_length=8)
    upheld = models.BooleanField()
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["allegation", "stage"], name="decision_once")]


class Appeal(models.Model):
    class Ground(models.TextChoices):
        PROCEDURE = "procedure", _("A procedural irregularity that affected the outcome")
        EVIDENCE = "evidence", _("New evidence that was not available at the time")
        BIAS = "bias", _("A conflict of interest or bias of a decision maker")

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="appeal")
    by = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    ground = models.CharField(max_length=12, choices=Ground.choices)
    filed_at = models.DateTimeField(default=timezone.now)


class ConflictChallenge(models.Model):
    """A party says a panel member has a conflict; another seated member rules on it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="challenges")
    member = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="challenges")
    by = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    ruled_at = models.DateTimeField(null=True, blank=True)
    upheld = models.BooleanField(null=True)


class Milestone(models.Model):
    """One long-term step of an accountability plan: due date, who verifies, done, verified."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="milestones")
    number = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    verifier = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="milestone_number_once")]


class Reminder(models.Model):
    """An overdue step, shown to the party who owes it (and emailed without content)."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="reminders")
    about = models.CharField(max_length=60)  # "measure:3" or "milestone:2"
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)  # the step was taken

    class Meta:
        constraints = [models.UniqueConstraint(fields=["party", "about"], name="reminder_once")]

    @property
    def text(self) -> str:
        kind, _colon, number = self.about.partition(":")
        if kind == "measure":
            return gettext("Measure %(number)s is past its due date.") % {"number": number}
        if kind == "stage":
            return gettext("The stage “%(stage)s” has gone past the organization's target time.") % {
                "stage": STATE_LABELS.get(number, number)
            }
        return gettext("Milestone %(number)s is past its due date.") % {"number": number}


class ProcessReport(models.Model):
    """How a case was handled, told to the oversight body — sealed to each oversight member
    who did not act in that case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class ProcessReportCopy(models.Model):
    report = models.ForeignKey(ProcessReport, on_delete=models.CASCADE, related_name="copies")
    reader = models.ForeignKey("accounts.Member", on_delete=models.CASCADE, related_name="+")
    body_sealed = models.BinaryField()


class RepairRequest(models.Model):
    """A member taking accountability asks, through their facilitator, whether the person
    concerned wants anything from them. Her identity and every text are sealed under the
    request's own key (``body_sealed``, ``note_sealed``); that key is sealed under the case's
    respondent-side compartment key (him and the facilitator), to the advocates' team key
    once forwarded, and to her public key once asked. She is found by a keyed hash under
    its own server key (``her_tag``), which matches no other tag in the database: a dump
    names nobody and does not tie her to him (``cases.services.repair``)."""

    class Status(models.TextChoices):
        WITH_FACILITATOR = "facilitator", _("With your facilitator")
        NOT_FORWARDED = "not_forwarded", _("Not passed on")
        WITH_ADVOCATES = "advocates", _("With the advocates")
        ASKED = "asked", _("Asked")
        ANSWERED = "answered", _("Answered")
        NOT_ASKED = "not_asked", _("Closed without asking")  # open to him until it expires
        EXPIRED = "expired", _("Closed")

    class Answer(models.TextChoices):
        NOTHING = "nothing", _("Nothing")
        ACKNOWLEDGEMENT = "acknowledgement", _("An acknowledgement")
        APOLOGY = "apology", _("An apology")
        RESTORATIVE = "restorative", _("A restorative process")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="repair_requests")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WITH_FACILITATOR)
    answer = models.CharField(max_length=16, choices=Answer.choices, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    asked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    body_sealed = models.BinaryField()
    note_sealed = models.BinaryField(null=True)
    key_for_case = models.BinaryField()
    key_for_team = models.BinaryField(null=True)
    key_for_her = models.BinaryField(null=True)
    her_tag = models.BinaryField(max_length=32, null=True, db_index=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "facilitator",
                        "not_forwarded",
                        "advocates",
                        "asked",
                        "answered",
                        "not_asked",
                        "expired",
                    ]
                ),
                name="repair_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="answered", answer__in=["nothing", "acknowledgement", "apology", "restorative"])
                | (~Q(status="answered") & Q(answer="")),
                name="repair_answer_only_when_answered",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, status__in=["facilitator", "advocates", "asked", "not_asked"])
                | Q(closed_at__isnull=False, status__in=["not_forwarded", "answered", "expired"]),
                name="repair_closed_only_when_ended",
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(closed_at__isnull=True), name="repair_one_open_per_case"
            ),
        ]
