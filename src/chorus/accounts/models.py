from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.accounts.names import name_key
from chorus.accounts.roles import ROLE_CHOICES, ROLE_CODES, requires_two_factor
from chorus.web.rows import Columns, read


def _pseudonym() -> str:
    return "m_" + secrets.token_hex(8)


# How a membership or a role came to be confirmed.
CONFIRMATIONS = [
    ("second_person", _("approved by a second person")),
    ("founding", _("set up by the deployment's operator")),
    ("migration", _("held before two-person approval began")),
    ("direct", _("no approval needed")),
]


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Matching escrow: how many distinct members must name one person before release,
    # and the region assumed for phone numbers written without a country code.
    escrow_threshold = models.PositiveSmallIntegerField(default=2)
    phone_region = models.CharField(max_length=2, blank=True, default="")
    # When someone first held the oversight role here (or the operator created the
    # organization with an oversight member invited). Until then (a new organization),
    # administrators approve each other's proposals; from then on only the declared approvers
    # do, even if the last oversight member leaves: administrators never take that back.
    oversight_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(escrow_threshold__gte=2, escrow_threshold__lte=10), name="escrow_threshold_2_to_10"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MemberManager(BaseUserManager["Member"]):
    def in_organization(self, organization: Organization) -> models.QuerySet[Member]:
        return self.filter(organization=organization)

    def holding(self, organization: Organization | object, role: str) -> models.QuerySet[Member]:
        """Active members of the organization who hold ``role``: by a sealed row and, for a
        power role, as the ledger shows it given and not taken back since
        (``accounts.services.power.ledger_backed``). Every list of people something is
        sealed to, or chosen from, starts here."""
        return self.filter(pk__in=self.holding_ids(organization, role), is_active=True)

    def holding_ids(self, organization: Organization | object, role: str) -> list[Any]:
        """The ids of ``holding``'s members (those active when the roles were read), without
        a query for the members themselves."""
        from chorus.accounts.roles import POWER_ROLES
        from chorus.accounts.services.power import ledger_backed

        organization_id: Any = getattr(organization, "pk", organization)
        params = {"organization": _HOLDER_MEMBERS.param("organization", organization_id), "role": role}
        rows = [
            (row, member) for row, member in read(_HOLDERS, params, _HOLDER_ROWS, _HOLDER_MEMBERS) if row.seal_valid
        ]
        if role in POWER_ROLES:
            backed = ledger_backed(organization_id, [member for _, member in rows])
            rows = [(row, member) for row, member in rows if role in backed[row.member_id]]
        return [row.member_id for row, _ in rows]


class Member(AbstractBaseUser):
    """A person in one organization. An account never spans organizations, so no key,
    session or ledger chain ever links what someone does in two of them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="members")
    email = models.EmailField(max_length=254, unique=True, help_text="Stored lower-cased.")
    display_name = models.CharField(max_length=100)
    # ``accounts.names.name_key`` of the display name: unique in the organization, so two
    # members never look alike on the pages where power is proposed and approved.
    display_name_key = models.CharField(max_length=400, editable=False)
    pseudonym = models.CharField(max_length=32, unique=True, default=_pseudonym, editable=False)
    is_active = models.BooleanField(default=True)
    # Removed from the organization (expelled, or their membership ended) by two people
    # (``accounts/services/lifecycle.py``): inactive, with no roles; what they own stays theirs.
    removed_at = models.DateTimeField(null=True, blank=True)
    # The member deleted their own account (``accounts/services/deletion.py``): what they
    # owned is destroyed, and this row keeps only the pseudonym the ledger names.
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(
        max_length=8, blank=True, default="", help_text="Chosen language code; empty follows the browser."
    )
    # A second person (an administrator or the oversight body, never the inviter) confirmed
    # this is a real, distinct person; only then do their escrow entries count toward a match.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    confirmation = models.CharField(max_length=16, choices=CONFIRMATIONS, blank=True, default="")

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = MemberManager()

    # Whether they enrolled a second factor, when read with the member by
    # ``accounts.backends.signed_in_member``; None otherwise (``has_two_factor`` asks).
    two_factor_enrolled: bool | None = None

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="member_email_lower_case"),
            models.UniqueConstraint(fields=["organization", "display_name_key"], name="member_display_name_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.display_name_key = name_key(self.display_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "display_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "display_name_key"}
        super().save(*args, **kwargs)

    @property
    def role_codes(self) -> set[str]:
        """The roles this member holds: rows whose seal verifies (see ``MemberRole``)."""
        cached: set[str] | None = getattr(self, "_role_codes", None)
        if cached is None:
            cached = {
                row.role
                for row in self.roles.only("member_id", "role", "approval", "granted_at", "seal")
                if row.seal_valid
            }
            self._role_codes = cached
        return cached

    def has_role(self, code: str) -> bool:
        return code in self.role_codes

    @property
    def membership_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def requires_two_factor(self) -> bool:
        return requires_two_factor(self.role_codes)

    @property
    def has_two_factor(self) -> bool:
        return TwoFactor.objects.filter(member=self).exists()

    def refresh_roles(self) -> None:
        self.__dict__.pop("_role_codes", None)


def role_seal(member_id: object, role: str, approval: str, granted_at: datetime) -> str:
    """A MAC over a role row under a key derived from the server's secret key (a file, never
    in the database): whoever can write to the database but does not hold the key cannot
    make a row Chorus counts as a role."""
    from chorus.accounts.keyring import server_key  # keyring imports these models

    key = server_key(b"chorus-roles")
    message = f"v1|{member_id}|{role}|{approval}|{granted_at.astimezone(UTC).isoformat()}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class MemberRole(models.Model):
    """A role held. A power role exists only once a second person approved it (RoleProposal).

    Only rows whose ``seal`` verifies count (``Member.role_codes``, ``Member.objects.holding``):
    rows are written by the services, which seal them."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    granted_at = models.DateTimeField(default=timezone.now)
    proposed_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approval = models.CharField(max_length=16, choices=CONFIRMATIONS, default="founding")
    seal = models.CharField(max_length=64, default="", editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "role"], name="member_role_unique"),
            models.CheckConstraint(condition=models.Q(role__in=ROLE_CODES), name="member_role_known"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.seal = role_seal(self.member_id, self.role, self.approval, self.granted_at)
        super().save(*args, **kwargs)

    @classmethod
    def sealed(cls, **fields: Any) -> MemberRole:
        """An unsaved row with its seal, for ``bulk_create``."""
        row = cls(**fields)
        row.seal = role_seal(row.member_id, row.role, row.approval, row.granted_at)
        return row

    @property
    def seal_valid(self) -> bool:
        return hmac.compare_digest(self.seal, role_seal(self.member_id, self.role, self.approval, self.granted_at))


# Who holds a role (``MemberManager.holding``): asked whenever something is sealed to a team,
# so written once (``web.rows``), with each row's member for the ledger's check.
_HOLDER_ROWS, _HOLDER_MEMBERS = Columns(MemberRole, "r"), Columns(Member, "m")
_HOLDERS = (
    f"SELECT {_HOLDER_ROWS.sql}, {_HOLDER_MEMBERS.sql} "  # noqa: S608  (table names from the models)
    f'FROM {_HOLDER_ROWS.table} INNER JOIN {_HOLDER_MEMBERS.table} ON "m"."id" = "r"."member_id" '
    'WHERE "m"."organization_id" = %(organization)s AND "m"."is_active" AND "r"."role" = %(role)s'
)


PROPOSAL_OUTCOMES = [
    ("approved", _("approved")),
    ("declined", _("declined")),
    ("withdrawn", _("withdrawn")),
    ("expired", _("expired")),
]


class RoleProposalQuerySet(models.QuerySet["RoleProposal"]):
    def pending(self) -> RoleProposalQuerySet:
        return self.filter(outcome="", expires_at__gt=timezone.now())


class RoleProposal(models.Model):
    """One person proposes a power role for a member; a different person who holds an
    approving role (accounts/roles.py) confirms or declines it before it takes effect."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="role_proposals")
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    proposed_by = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=PROPOSAL_OUTCOMES, blank=True, default="")
    decided_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = RoleProposalQuerySet.as_manager()

    class Meta:
        ordering = ["proposed_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=ROLE_CODES), name="role_proposal_known"),
            # At most one open proposal per member and role.
            models.UniqueConstraint(
                fields=["member", "role"], condition=models.Q(outcome=""), name="role_proposal_one_open"
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("proposed_by")) | ~models.Q(outcome="approved"),
                name="role_proposal_not_approved_by_proposer",
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("member")) | ~models.Q(outcome="approved"),
                name="role_proposal_not_approved_by_grantee",
            ),
        ]

    @property
    def expired(self) -> bool:
        return self.outcome == "" and self.expires_at <= timezone.now()


class MemberKeys(models.Model):
    """The member's X25519 key pair and the two wrappings of their vault key.

    The vault key is random and never stored in the clear: one copy is wrapped by the
    password-derived key, one by the recovery-code-derived key. The private key is
    wrapped by the vault key. A password change re-wraps one small blob.
    """

    member = models.OneToOneField(Member, on_delete=models.CASCADE, primary_key=True, related_name="keys")
    public_key = models.BinaryField()
    private_key_wrapped = models.BinaryField()
    vault_by_password = models.BinaryField()
    vault_by_recovery = models.BinaryField()
    recovery_salt = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)


class TwoFactor(models.Model):
    member = models.OneToOneField(Member, on_delete=models.CASCADE, primary_key=True, related_name="two_factor")
    secret_wrapped = models.BinaryField()
    # A row exists only once the member confirmed a code: unconfirmed secrets live in
    # the enrolment form, never here.
    confirmed_at = models.DateTimeField(default=timezone.now)
    last_step = models.BigIntegerField(default=0, help_text="Last accepted TOTP step; refuses replays.")


class BackupCode(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True)


INVITATION_STATUSES = {
    "accepted": _("accepted"),
    "revoked": _("revoked"),
    "expired": _("expired"),
    "pending": _("pending"),
}


class Invitation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    roles = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", null=True)
    # Sent by the deployment's operator (``chorus organization``): its roles are held on
    # acceptance, as the operator's act, shown to members as such. Otherwise power roles
    # named in an invitation wait for a second person's approval.
    by_operator = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True)
    accepted_member = models.OneToOneField(Member, on_delete=models.SET_NULL, null=True, related_name="+")
    revoked_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_not_both_accepted_and_revoked",
            )
        ]

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def status_label(self) -> str:
        return str(INVITATION_STATUSES[self.status])


class PasswordReset(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)


MEMBERSHIP_CHANGE_KINDS = [
    ("suspend", _("suspend")),
    ("reinstate", _("reinstate")),
    ("remove", _("remove")),
]

# Why an administrator suspends or reinstates someone: a short fixed list, so the database
# (and the ledger, which names only the code) never holds an account of what happened.
SUSPENSION_REASONS = [
    ("sanction", _("Carrying out a decided sanction")),
    ("left", _("Left the organization")),
    ("compromised", _("The account may be compromised")),
    ("other", _("Other")),
]
REINSTATEMENT_REASONS = [
    ("sanction_ended", _("The sanction has ended or was overturned")),
    ("returned", _("Came back to the organization")),
    ("secured", _("The account is secure again")),
    ("other", _("Other")),
]
REMOVAL_REASONS = [
    ("sanction", _("Carrying out a decided sanction")),
    ("left", _("Left the organization")),
    ("other", _("Other")),
]
MEMBERSHIP_CHANGE_REASONS = list(dict(SUSPENSION_REASONS + REINSTATEMENT_REASONS).items())

MEMBERSHIP_CHANGE_OUTCOMES = PROPOSAL_OUTCOMES


class MembershipChangeQuerySet(models.QuerySet["MembershipChange"]):
    def pending(self) -> MembershipChangeQuerySet:
        return self.filter(outcome="", expires_at__gt=timezone.now())


class MembershipChange(models.Model):
    """An administrator proposes to suspend, reinstate or remove a member; it takes effect when a
    second person approves it (``accounts/services/lifecycle.py`` says who may).

    Only a reason code and an optional case reference (an identifier, never an account of
    what happened) are stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="membership_changes")
    kind = models.CharField(max_length=10, choices=MEMBERSHIP_CHANGE_KINDS)
    reason = models.CharField(max_length=16, choices=MEMBERSHIP_CHANGE_REASONS)
    case_reference = models.CharField(max_length=64, blank=True, default="")
    # The case's measure (a sanction or an interim measure) this change carries out, when it
    # was proposed from the case: the case shows that it was done, and by whom. A keyed hash
    # of the measure's id (``accounts.services.sanctions.measure_tag``), never a reference to
    # it: a database dump must not tie a member to the case in which they were the respondent.
    measure_tag = models.BinaryField(max_length=32, null=True, blank=True, db_index=True)
    proposed_by = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=MEMBERSHIP_CHANGE_OUTCOMES, blank=True, default="")
    decided_by = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipChangeQuerySet.as_manager()

    class Meta:
        ordering = ["proposed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["suspend", "reinstate", "remove"]), name="membership_change_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=[code for code, _label in MEMBERSHIP_CHANGE_REASONS]),
                name="membership_change_reason_known",
            ),
            # At most one open change per member.
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(outcome=""), name="membership_change_one_open"
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("proposed_by")) | ~models.Q(outcome="approved"),
                name="membership_change_not_approved_by_proposer",
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("member")) | ~models.Q(outcome="approved"),
                name="membership_change_not_approved_by_member",
            ),
            models.CheckConstraint(
                condition=~models.Q(member=models.F("proposed_by")), name="membership_change_not_of_oneself"
            ),
        ]

    @property
    def expired(self) -> bool:
        return self.outcome == "" and self.expires_at <= timezone.now()
