"""The case state machine, declared once: pathways, their states, the roles in a case,
what each role may read, and every action — who may take it, in which states, with
which fields, behind which consent. Services enforce it; views and tests read it.

States follow DESIGN.md "Cases". A formal decision is not a state of its own: deciding
moves the case from deliberation into the appeal window.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Pathway(models.TextChoices):
    INTAKE = "intake", _("Not chosen yet")
    SUPPORT = "support", _("Support only")
    RESTORATIVE = "restorative", _("Restorative process")
    FORMAL = "formal", _("Formal process")
    SELF = "self", _("Self-initiated accountability")


ENDED = ("closed", "withdrawn")
PATHWAY_STATES: dict[str, tuple[str, ...]] = {
    "intake": ("intake", "withdrawn"),
    "support": ("support", *ENDED),
    "restorative": ("suitability", "preparation", "dialogue", "plan", "review", *ENDED),
    "formal": (
        "filed",
        "notice",
        "investigation",
        "report",
        "deliberation",
        "appeal_window",
        "appeal",
        "final",
        "monitoring",
        *ENDED,
    ),
    "self": ("plan", "review", *ENDED),
}
FIRST_STATE = {"support": "support", "restorative": "suitability", "formal": "filed", "self": "plan"}
STATE_LABELS: dict[str, str | Promise] = {
    "intake": _("Choosing a pathway"),
    "support": _("Support"),
    "suitability": _("Checking suitability"),
    "preparation": _("Preparation"),
    "dialogue": _("Dialogue"),
    "plan": _("Accountability plan active"),
    "review": _("Review"),
    "filed": _("Filed"),
    "notice": _("Notice given"),
    "investigation": _("Investigation"),
    "report": _("Report written"),
    "deliberation": _("Panel deliberating"),
    "appeal_window": _("Decided; appeal window open"),
    "appeal": _("Under appeal"),
    "final": _("Final"),
    "monitoring": _("Monitoring sanctions and remedies"),
    "closed": _("Closed"),
    "withdrawn": _("Withdrawn"),
}


class Role(models.TextChoices):
    COMPLAINANT = "complainant", _("Complainant")
    RESPONDENT = "respondent", _("Respondent")
    FACILITATOR = "facilitator", _("Facilitator")
    INVESTIGATOR = "investigator", _("Investigator")
    PANEL = "panel", _("Panel member")
    APPEAL_PANEL = "appeal_panel", _("Appeal panel member")
    SUPPORTER = "supporter", _("Supporter")
    OWNER = "owner", _("Carries out a measure")
    SELF = "self", _("Member taking accountability")


TEAM = "team"  # the advocates, acting through the team key; not a party row
# Compartments: "support" (needs, measures, the survivor side's preparation), "file" (what
# due process shares: allegations, evidence, notice, response, report, reasons, plan),
# "respondent" (the respondent side's preparation).
COMPARTMENTS = ("support", "file", "respondent")
READS: dict[str, tuple[str, ...]] = {
    TEAM: ("support", "file"),
    Role.COMPLAINANT: ("support", "file"),
    Role.RESPONDENT: ("file", "respondent"),
    Role.FACILITATOR: ("support", "file", "respondent"),
    Role.INVESTIGATOR: ("file",),
    Role.PANEL: ("file",),
    Role.APPEAL_PANEL: ("file",),
    Role.SELF: ("file", "respondent"),
    Role.SUPPORTER: (),
    Role.OWNER: (),
}
DECIDERS = (Role.PANEL, Role.APPEAL_PANEL)
# Staff roles are appointed from members holding the organization role of the same name.
APPOINTED = {
    Role.FACILITATOR: "facilitator",
    Role.INVESTIGATOR: "investigator",
    Role.PANEL: "panel",
    Role.APPEAL_PANEL: "appeal_panel",
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, line, choice, date, email, member, party, measure, milestone, allegation, item
    label: str | Promise
    choices: tuple[tuple[str, str | Promise], ...] = ()
    required: bool = True
    filter: str = ""  # member: the organization role; party: roles; measure: statuses


@dataclass(frozen=True)
class Action:
    name: str
    label: str | Promise
    by: frozenset[str]
    states: frozenset[str]
    fields: tuple[Field, ...] = ()
    consent: str = ""  # every complainant (and for some steps the respondent) must have consented
    while_paused: bool = False
    help: str | Promise = ""
    # Why the step is not offered in a state where someone might expect it: (state, reason).
    refused_in: tuple[tuple[str, str | Promise], ...] = ()


def _a(name: str, label: str | Promise, by: str, states: str, *fields: Field, **extra: object) -> Action:
    return Action(name, label, frozenset(by.split()), frozenset(states.split()), tuple(fields), **extra)  # type: ignore[arg-type]


TEXT = Field("text", "text", _("What to record"))
REASONS = Field("reasons", "text", _("Reasons"))
OPEN = "intake support suitability preparation dialogue plan review filed notice investigation report deliberation appeal_window appeal final monitoring"
CONSENT_STEPS = (
    ("contact", _("Contact the respondent (a notice or an invitation to a restorative process)")),
    ("restorative", _("Take part in a restorative process, voluntarily")),
    ("dialogue", _("Meet in a facilitated dialogue")),
    ("agreement", _("Sign the accountability plan")),
)
MEASURE_KINDS = (
    ("room", _("A new room or workspace")),
    ("supervisor", _("Another supervisor")),
    ("paid_time", _("Paid time off")),
    ("mentoring", _("Mentoring or counselling")),
    ("no_contact", _("No contact between the parties")),
    ("schedule", _("A changed schedule or class")),
    ("other", _("Something else")),
)
BREACH_RESPONSES = (
    ("new_steps", _("Add steps to the plan and continue")),
    ("support", _("Stop the process; support for me only")),
    ("formal", _("Start a formal process")),
)

ACTIONS: tuple[Action, ...] = (
    _a(
        "choose_pathway",
        _("Choose or change the pathway"),
        "complainant",
        "intake support suitability preparation dialogue",
        Field(
            "pathway",
            "choice",
            _("Pathway"),
            (
                ("support", _("Support only")),
                ("restorative", _("A restorative process")),
                ("formal", _("A formal process")),
            ),
        ),
        help=_("You can move from a restorative process to a formal one until the plan is signed."),
    ),
    _a(
        "consent",
        _("Give your consent"),
        "complainant respondent",
        OPEN,
        Field("step", "choice", _("To"), CONSENT_STEPS),
    ),
    # A filed appeal cannot be paused: a pause holds every step, so a complainant could keep
    # the respondent's appeal (or the respondent a complainant's) from ever being heard. The
    # survivor can still stop taking part: withdrawing then ends their part, not the appeal.
    _a(
        "pause",
        _("Pause the case"),
        "complainant",
        OPEN.replace(" appeal ", " "),
        help=_("Nothing moves until you resume, and no time to appeal runs out meanwhile."),
        refused_in=(
            (
                "appeal",
                _(
                    "Once an appeal is filed the case cannot be paused, so that no one can hold up its hearing. "
                    "If you need to stop, you can withdraw: the appeal panel still decides the appeal."
                ),
            ),
        ),
    ),
    _a("resume", _("Resume the case"), "complainant", OPEN, while_paused=True),
    _a(
        "withdraw",
        _("Withdraw"),
        "complainant",
        OPEN,
        Field("text", "text", _("Anything you want to say"), required=False),
        while_paused=True,
        # Who withdrawing ends the case for, and why: ``common.withdraw``.
        help=_(
            "Your part ends, and what was decided stays decided. If you are the last complainant taking part, "
            "the case ends too, except while the panel's decision can still be appealed or an appeal is being "
            "heard: then the case goes on without you until that is over. What you wrote stays yours."
        ),
    ),
    _a("need", _("Say what you need"), "complainant", OPEN, Field("text", "text", _("What you need"))),
    _a(
        "evidence",
        _("Add evidence to the case file"),
        "complainant respondent",
        "filed notice investigation report",
        Field("text", "text", _("Evidence"), required=False),
        Field("record", "record", _("Or copy the latest saved version of one of your records"), required=False),
        help=_("The case file is read by the respondent, the investigator and the panel alike."),
    ),
    # Measures (an overlay on every pathway).
    _a(
        "measure_request",
        _("Ask for a supportive measure"),
        "complainant respondent team",
        OPEN,
        Field("kind", "choice", _("Measure"), MEASURE_KINDS),
        Field("text", "text", _("What exactly")),
    ),
    _a(
        "measure_decide",
        _("Decide a requested measure"),
        "team",
        OPEN,
        Field("measure", "measure", _("Measure"), filter="requested"),
        Field("agree", "choice", _("Decision"), (("yes", _("Agree")), ("no", _("Decline")))),
        REASONS,
        Field("owner", "member", _("Who carries it out"), required=False),
        Field("due", "date", _("Due by"), required=False),
    ),
    _a(
        "measure_done",
        _("Mark a measure done"),
        "owner team",
        OPEN,
        Field("measure", "measure", _("Measure"), filter="agreed"),
        Field("text", "text", _("What was done")),
    ),
    _a(
        "measure_review",
        _("Review a measure"),
        "complainant team",
        OPEN,
        Field("measure", "measure", _("Measure"), filter="done"),
        Field("text", "text", _("Is it meeting the need?")),
    ),
    _a(
        "measure_challenge",
        _("Challenge a measure"),
        "respondent",
        OPEN,
        Field("measure", "measure", _("Measure"), filter="agreed done"),
        Field("text", "text", _("Why")),
    ),
    _a(
        "interim",
        _("Impose an interim measure"),
        "team",
        "filed notice investigation report deliberation",
        Field("text", "text", _("The measure (e.g. suspension pending review)")),
        Field("risk", "text", _("Risk assessment")),
        Field("expires", "date", _("Expires on")),
        Field("owner", "member", _("Who carries it out"), required=False),
        help=_(
            "A suspension from the organization is carried out by an administrator: choose one as who carries it out, "
            "and the case page offers them that step and shows when it was done."
        ),
    ),
    # Formal.
    _a("allegation", _("Add an allegation"), "complainant", "filed", Field("text", "text", _("Allegation"))),
    _a(
        "notice",
        _("Send the written notice"),
        "team",
        "filed",
        Field("email", "email", _("Respondent's email address")),
        Field("text", "text", _("Notice (the allegations, the process, their rights)")),
        consent="contact",
    ),
    _a("respond", _("Respond"), "respondent", "notice investigation report", Field("text", "text", _("Your response"))),
    _a(
        "investigator",
        _("Appoint the investigator"),
        "team",
        "notice",
        Field("member", "member", _("Investigator"), filter="investigator"),
    ),
    _a(
        "report",
        _("Submit the investigation report"),
        "investigator",
        "investigation",
        Field("text", "text", _("Report")),
    ),
    _a(
        "panel",
        _("Appoint a panel member"),
        "team",
        "filed notice investigation report deliberation",
        Field("member", "member", _("Panel member"), filter="panel"),
    ),
    _a(
        "declare",
        _("Declare conflicts of interest"),
        "panel_undeclared appeal_undeclared",
        OPEN,
        Field(
            "conflict",
            "choice",
            _("Do you have a conflict of interest in this case?"),
            (("no", _("No conflict")), ("yes", _("I have a conflict and step aside"))),
        ),
        Field("text", "text", _("Explain (required when you have a conflict)"), required=False),
    ),
    _a(
        "challenge",
        _("Say a panel member has a conflict"),
        "complainant respondent",
        "notice investigation report deliberation appeal",
        Field("member", "party", _("Panel member"), filter="panel appeal_panel"),
        Field("text", "text", _("The conflict")),
    ),
    _a(
        "rule",
        _("Rule on a conflict raised about a colleague"),
        "panel appeal_panel",
        "notice investigation report deliberation appeal",
        Field("upheld", "choice", _("Ruling"), (("yes", _("Upheld: they step aside")), ("no", _("Not upheld")))),
        REASONS,
    ),
    _a("deliberate", _("Open deliberation"), "team", "report"),
    _a(
        "vote",
        _("Vote on an allegation"),
        "panel",
        "deliberation",
        Field("allegation", "allegation", _("Allegation")),
        Field("upheld", "choice", _("Finding"), (("yes", _("Upheld")), ("no", _("Not upheld")))),
        REASONS,
    ),
    _a(
        "decide", _("Record the panel's decision"), "panel", "deliberation", Field("text", "text", _("Written reasons"))
    ),
    _a(
        "appeal",
        _("Appeal"),
        "complainant respondent",
        "appeal_window",
        Field(
            "ground",
            "choice",
            _("Ground"),
            (
                ("procedure", _("A procedural irregularity")),
                ("evidence", _("New evidence")),
                ("bias", _("A conflict of interest or bias")),
            ),
        ),
        Field("text", "text", _("Your appeal")),
    ),
    _a(
        "appeal_panel",
        _("Appoint an appeal panel member"),
        "team",
        "appeal",
        Field("member", "member", _("Appeal panel member"), filter="appeal_panel"),
    ),
    _a(
        "appeal_vote",
        _("Vote on an allegation (appeal)"),
        "appeal_panel",
        "appeal",
        Field("allegation", "allegation", _("Allegation")),
        Field("upheld", "choice", _("Finding"), (("yes", _("Upheld")), ("no", _("Not upheld")))),
        REASONS,
    ),
    _a(
        "appeal_decide",
        _("Record the appeal decision"),
        "appeal_panel",
        "appeal",
        Field("text", "text", _("Written reasons")),
    ),
    _a(
        "sanction",
        _("Record a sanction or remedy to monitor"),
        "team",
        "final monitoring",
        Field("kind", "choice", _("Kind"), (("sanction", _("Sanction")), ("remedy", _("Remedy")))),
        Field("text", "text", _("What is to be done")),
        Field("owner", "member", _("Who carries it out")),
        Field("due", "date", _("Due by")),
        help=_(
            "A suspension or removal from the organization is carried out by an administrator: choose one as who "
            "carries it out, and the case page offers them that step and shows when it was done."
        ),
    ),
    _a("close", _("Close the case"), "team", "final monitoring", help=_("Every sanction and remedy must be done.")),
    # Restorative.
    _a(
        "invite",
        _("Invite the respondent to a restorative process"),
        "team",
        "suitability",
        Field("email", "email", _("Respondent's email address")),
        Field("text", "text", _("Invitation letter")),
        consent="contact",
    ),
    _a(
        "facilitator",
        _("Appoint the facilitator"),
        "team",
        "suitability",
        Field("member", "member", _("Facilitator"), filter="facilitator"),
    ),
    _a(
        "safety",
        _("Record the safety assessment"),
        "facilitator",
        "suitability",
        Field("text", "text", _("Safety assessment")),
    ),
    _a(
        "suitability",
        _("Decide suitability"),
        "facilitator",
        "suitability",
        Field("suitable", "choice", _("Decision"), (("yes", _("Suitable")), ("no", _("Not suitable")))),
        REASONS,
        consent="restorative",
    ),
    _a(
        "prepare",
        _("Record a preparation meeting"),
        "facilitator",
        "preparation",
        Field("side", "choice", _("With"), (("complainant", _("The survivor")), ("respondent", _("The respondent")))),
        Field("text", "text", _("Notes")),
    ),
    _a("dialogue", _("Move to the dialogue"), "facilitator", "preparation", consent="dialogue"),
    _a("agreement", _("Record what was agreed"), "facilitator", "dialogue", Field("text", "text", _("Agreements"))),
    _a(
        "plan",
        _("Sign the accountability plan"),
        "facilitator",
        "dialogue",
        Field("behaviours", "text", _("Behaviours named")),
        Field("impact", "text", _("Impact acknowledged")),
        Field("removal", "text", _("Removal from opportunities to cause harm")),
        Field("amends", "text", _("Amends the survivor wants")),
        consent="agreement",
    ),
    _a(
        "milestone",
        _("Add a milestone"),
        "facilitator",
        "plan",
        Field("text", "text", _("Step")),
        Field("due", "date", _("Due by")),
        Field("verifier", "party", _("Verified by"), filter="facilitator complainant owner"),
    ),
    _a(
        "milestone_report",
        _("Report a milestone done"),
        "respondent self",
        "plan",
        Field("milestone", "milestone", _("Milestone"), filter="open"),
        Field("text", "text", _("What you did")),
    ),
    _a(
        "milestone_verify",
        _("Verify a milestone"),
        "facilitator complainant owner",
        "plan",
        Field("milestone", "milestone", _("Milestone"), filter="reported"),
        Field("text", "text", _("Verified how")),
    ),
    _a(
        "checkin",
        _("Record a check-in"),
        "facilitator respondent self complainant",
        "plan review",
        Field("text", "text", _("Check-in")),
    ),
    _a(
        "breach",
        _("Report a breach of the plan"),
        "facilitator complainant",
        "plan",
        Field("text", "text", _("What happened")),
    ),
    _a(
        "breach_response",
        _("Choose the response to a breach"),
        "complainant",
        "plan",
        Field("response", "choice", _("Response"), BREACH_RESPONSES),
        Field("text", "text", _("Anything else"), required=False),
    ),
    _a("review", _("Start the review"), "facilitator", "plan", help=_("Every milestone must be verified.")),
    _a(
        "needs_met",
        _("Confirm your needs were met"),
        "complainant",
        "review",
        Field("text", "text", _("In your words"), required=False),
    ),
    _a("complete", _("Close the completed plan"), "facilitator", "review"),
    # Supporters, on every pathway.
    _a(
        "supporter",
        _("Invite a supporter"),
        "complainant respondent",
        OPEN,
        Field("email", "email", _("Their email address")),
    ),
    _a(
        "share",
        _("Show something to your supporter"),
        "complainant respondent",
        OPEN,
        Field("item", "item", _("What")),
        Field("supporter", "party", _("Supporter"), filter="supporter"),
    ),
    # Retention.
    _a(
        "hold",
        _("Place or lift a legal hold"),
        "team",
        OPEN + " closed withdrawn",
        Field("hold", "choice", _("Hold"), (("yes", _("Place a hold")), ("no", _("Lift the hold")))),
        REASONS,
        while_paused=True,
    ),
)
BY_NAME = {action.name: action for action in ACTIONS}
# Steps the respondent consents to as well as every complainant.
BOTH_CONSENT = ("restorative", "agreement")

# ---- how the case page tells the story ----------------------------------------------

# The stages a pathway passes through, in order, as its step indicator shows them. Stages in
# OPTIONAL appear only in a case that reached them (an appeal, sanctions to monitor).
STEPS: dict[str, tuple[str, ...]] = {
    pathway: tuple(state for state in states if state != "withdrawn") for pathway, states in PATHWAY_STATES.items()
}
OPTIONAL_STEPS = frozenset({"appeal", "monitoring"})

# Default target days per pathway and stage, counted from when the case entered the stage.
# The EU Whistleblowing Directive (2019/1937, art. 9) asks for an acknowledgement within 7
# days and feedback within 3 months: the first stage of every pathway has 7 days, and the
# stages up to the decision (formal) or the signed plan (restorative) share the 3 months
# (7 + 14 + 42 + 7 + 20 = 90; 7 + 42 + 41 = 90). An appeal window has its own deadline;
# support, plans and monitoring run as long as they need. An organization changes these on
# the deadlines page (``StageTarget``).
TARGET_DAYS: dict[tuple[str, str], int | None] = {
    ("intake", "intake"): 7,
    ("support", "support"): 7,
    ("restorative", "suitability"): 7,
    ("restorative", "preparation"): 42,
    ("restorative", "dialogue"): 41,
    ("restorative", "review"): 30,
    ("formal", "filed"): 7,
    ("formal", "notice"): 14,
    ("formal", "investigation"): 42,
    ("formal", "report"): 7,
    ("formal", "deliberation"): 20,
    ("formal", "appeal"): 30,
    ("formal", "final"): 14,
}
# Every (pathway, stage) a target can be set for: the open stages that do not run on a
# clock of their own.
TARGETABLE: tuple[tuple[str, str], ...] = tuple(
    (pathway, state)
    for pathway in ("intake", "support", "restorative", "formal")
    for state in PATHWAY_STATES[pathway]
    if state not in ENDED and state not in ("appeal_window", "plan", "monitoring")
)

# Steps that cannot be taken back: a warning button and an "I understand" box the server checks.
SERIOUS: dict[str, str | Promise] = {
    "withdraw": _("I understand that withdrawing ends my part in this case."),
    "decide": _("I understand that the decision cannot be changed, except on appeal."),
    "appeal_decide": _("I understand that the appeal decision is final."),
    "vote": _("I understand that my vote cannot be changed."),
    "appeal_vote": _("I understand that my vote cannot be changed."),
    "interim": _("I understand that this measure restricts the respondent until it expires."),
    "sanction": _("I understand that this sanction or remedy is recorded for good."),
    "close": _("I understand that a closed case cannot be reopened."),
    "complete": _("I understand that a closed case cannot be reopened."),
    "appeal": _("I understand that an appeal, once filed, is heard even if I later withdraw."),
}

# The usual next step in each stage, most likely first: the first one this person may take
# is offered at the top of the page; everything else waits under "Other steps".
USUAL_NEXT: dict[str, tuple[str, ...]] = {
    "intake": ("choose_pathway",),
    "support": ("measure_decide", "measure_done", "measure_review", "measure_request"),
    "suitability": ("consent", "invite", "facilitator", "safety", "suitability"),
    "preparation": ("consent", "prepare", "dialogue"),
    "dialogue": ("consent", "agreement", "plan"),
    "plan": ("milestone_report", "milestone_verify", "milestone", "breach_response", "review"),
    "review": ("needs_met", "complete"),
    "filed": ("allegation", "consent", "notice", "panel"),
    "notice": ("respond", "investigator", "panel"),
    "investigation": ("report", "panel"),
    "report": ("declare", "panel", "deliberate"),
    "deliberation": ("declare", "rule", "vote", "decide"),
    "appeal_window": (),
    "appeal": ("declare", "appeal_panel", "rule", "appeal_vote", "appeal_decide"),
    "final": ("sanction", "close"),
    "monitoring": ("measure_done", "close"),
}
# Steps that come before any other whenever they are offered: a panel member's declaration.
FIRST_DUTIES = ("declare",)
# The plainly named groups the other steps are kept under, in page order.
STEP_GROUPS: tuple[tuple[str, str | Promise, tuple[str, ...]], ...] = (
    ("write", _("Write to the case"), (
        "need", "evidence", "allegation", "respond", "report", "safety", "prepare", "agreement", "checkin",
        "breach", "breach_response", "milestone", "milestone_report", "milestone_verify", "needs_met",
    )),
    ("consent", _("Consent"), ("consent",)),
    ("measures", _("Measures"), (
        "measure_request", "measure_decide", "measure_done", "measure_review", "measure_challenge", "interim",
        "sanction",
    )),
    ("people", _("People in the case"), (
        "invite", "notice", "facilitator", "investigator", "panel", "appeal_panel", "declare", "challenge", "rule",
        "supporter", "share",
    )),
    ("process", _("Move the process on"), (
        "suitability", "dialogue", "plan", "review", "complete", "deliberate", "vote", "decide", "appeal",
        "appeal_vote", "appeal_decide", "close",
    )),
    ("case", _("Pause, change the pathway or withdraw"), ("pause", "resume", "choose_pathway", "withdraw", "hold")),
)  # fmt: skip
