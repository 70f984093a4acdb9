from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from chorus.accounts.errors import AccountError, DisplayNameRefused
from chorus.accounts.forms import InvitationAcceptForm
from chorus.accounts.services.invitations import invitation_accept, invitation_for_token
from chorus.accounts.views.signin import complete_sign_in


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_for_token(token)
    except AccountError as unusable:
        return render(request, "accounts/invitation_unusable.html", {"reason": str(unusable)}, status=410)
    form = InvitationAcceptForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            member, recovery_code, vault_key = invitation_accept(
                token=token,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["new_password"],
            )
        except DisplayNameRefused as refused:
            form.add_error("display_name", str(refused))
        except AccountError as unusable:
            error = str(unusable)
        else:
            # login() inside flushes any other member's session (and vault) first.
            complete_sign_in(request, member, vault_key)
            # Rendered here, never stored: the code exists only in this response.
            return render(
                request,
                "accounts/recovery_code.html",
                {
                    "recovery_code": recovery_code,
                    "new_member": True,
                    "must_enrol": member.requires_two_factor,
                },
            )
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation, "error": error})
