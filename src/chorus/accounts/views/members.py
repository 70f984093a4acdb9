from __future__ import annotations

from smtplib import SMTPException
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chorus.accounts.access import get_invitation_for_admin, get_member_for_admin, member_required, require_admin
from chorus.accounts.errors import AccountError
from chorus.accounts.forms import InviteForm, RolesForm
from chorus.accounts.models import Invitation, Member, MembershipChange
from chorus.accounts.roles import POWER_ROLES, ROLE_LABELS, ROLES
from chorus.accounts.services.invitations import invitation_create, invitation_revoke
from chorus.accounts.services.power import member_set_roles, proposals_visible_to


@member_required
def members(request: HttpRequest) -> HttpResponse:
    admin = require_admin(request)
    people = (
        Member.objects.in_organization(admin.organization)
        .filter(deleted_at__isnull=True)  # a deleted account is only a pseudonym in the ledger
        .order_by("display_name")
        .prefetch_related("roles")
    )
    pending: dict[UUID, set[str]] = {}
    for proposal in proposals_visible_to(admin):
        pending.setdefault(proposal.member_id, set()).add(proposal.role)
    # A suspension or reinstatement waiting for a second person, by member.
    changing = {
        change.member_id: change
        for change in MembershipChange.objects.pending().filter(organization=admin.organization)
    }
    return render(
        request,
        "accounts/members.html",
        {
            "people": [
                (
                    person,
                    {role.role for role in person.roles.all()},
                    pending.get(person.pk, set()),
                    changing.get(person.pk),
                )
                for person in people
            ],
            "roles": ROLES,
            # Those holding a power role can be offboarded (their roles removed, they stay).
            "offboardable": {
                person.pk for person in people if {role.role for role in person.roles.all()} & set(POWER_ROLES)
            },
            "invitations": Invitation.objects.filter(organization=admin.organization, accepted_at__isnull=True)[:100],
            "form": InviteForm(),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def invitation_new(request: HttpRequest) -> HttpResponse:
    admin = require_admin(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation_create(inviter=admin, email=form.cleaned_data["email"], roles=set(form.cleaned_data["roles"]))
        except (OSError, SMTPException):
            form.add_error(
                None,
                _(
                    "The invitation email could not be sent, so no invitation was made. Check the mail settings and try again."
                ),
            )
            return render(request, "accounts/invitation_new.html", {"form": form})
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
        return redirect("members")
    return render(request, "accounts/invitation_new.html", {"form": form})


@require_POST
@member_required
def invitation_revoke_view(request: HttpRequest, invitation_id: UUID) -> HttpResponse:
    admin, invitation = get_invitation_for_admin(request, invitation_id)
    try:
        invitation_revoke(invitation=invitation, actor=admin)
    except AccountError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The invitation was withdrawn; its link no longer works."))
    return redirect("members")


@require_POST
@member_required
def member_roles(request: HttpRequest, member_id: UUID) -> HttpResponse:
    admin, person = get_member_for_admin(request, member_id)
    form = RolesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Those roles were not understood. Nothing was changed."))
        return redirect("members")
    try:
        change = member_set_roles(member=person, roles=set(form.cleaned_data["roles"]), actor=admin)
    except AccountError as refused:
        messages.error(request, str(refused))
        return redirect("members")
    name = person.display_name
    if change.removed or change.granted:
        messages.success(request, _("Roles for %(name)s are updated.") % {"name": name})
    if change.proposed:
        labels = ", ".join(str(ROLE_LABELS[role]) for role in change.proposed)
        messages.info(
            request,
            _(
                "Proposed for %(name)s: %(roles)s. A second person who may approve it must confirm on the "
                "“Who holds power” page before it takes effect."
            )
            % {"name": name, "roles": labels},
        )
    if not (change.removed or change.granted or change.proposed):
        messages.info(request, _("Nothing changed for %(name)s.") % {"name": name})
    return redirect("members")
