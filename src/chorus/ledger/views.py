from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chorus.accounts.access import member_required, require_role, signed_in_member
from chorus.ledger.models import LedgerEvent, LedgerHead
from chorus.ledger.services import chain_for, published_checkpoint


@member_required
def ledger(request: HttpRequest) -> HttpResponse:
    """The organization's latest signed checkpoint, for every member to see and keep."""
    member = signed_in_member(request)
    chain = chain_for(member.organization_id)
    head = LedgerHead.objects.filter(chain=chain).first()
    return render(
        request,
        "ledger/ledger.html",
        {
            "chain": chain,
            "head": head,
            **published_checkpoint(chain),
            "can_see_events": member.has_role("oversight"),
        },
    )


@member_required
def ledger_events(request: HttpRequest) -> HttpResponse:
    """The events themselves (pseudonyms and hashes, never content): oversight only."""
    member = require_role(request, "oversight")
    chain = chain_for(member.organization_id)
    events = LedgerEvent.objects.filter(chain=chain).order_by("-seq")[:200]
    return render(request, "ledger/events.html", {"chain": chain, "events": events})
