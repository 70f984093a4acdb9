from __future__ import annotations

import base64
import re

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chorus.accounts.access import member_required, require_role, signed_in_member
from chorus.accounts.models import Member
from chorus.cases.keys import acted
from chorus.ledger import log
from chorus.ledger.models import LedgerEvent, LedgerHead
from chorus.ledger.services import chain_for, published_checkpoint


@member_required
def ledger(request: HttpRequest) -> HttpResponse:
    """The organization's latest signed checkpoint, for every member to see and keep."""
    member = signed_in_member(request)
    chain = chain_for(member.organization_id)
    head = LedgerHead.objects.filter(chain=chain).first()
    log_key, witness_key = log.pinned_keys()
    return render(
        request,
        "ledger/ledger.html",
        {
            "chain": chain,
            "head": head,
            "log_key": log_key,
            "witness_key": witness_key,
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


# ---- the transparency log, as members' browsers check it ----------------------------------


def _json(body: dict[str, object], status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _b64(values: list[bytes]) -> list[str]:
    return [base64.b64encode(value).decode("ascii") for value in values]


@require_GET
@member_required
def ledger_log_head(request: HttpRequest) -> HttpResponse:
    """The newest witnessed head of the member's organization's log, with the keys this
    deployment pins (a browser keeps both from its first visit and flags any change)."""
    member = signed_in_member(request)
    chain = chain_for(member.organization_id)
    row = log.latest_witnessed(chain)
    log_key, witness_key = log.pinned_keys()
    return _json(
        {
            "origin": log.origin_for(chain),
            "log_key": log_key,
            "witness_key": witness_key,
            "head": log.head_as_dict(row) if row else None,
        }
    )


_SIZE = re.compile(r"[0-9]{1,16}")


def _size(request: HttpRequest, name: str) -> int:
    raw = request.GET.get(name, "")
    if not _SIZE.fullmatch(raw):  # ASCII digits only ("²" is a digit to str.isdigit)
        raise Http404
    return int(raw)


@require_GET
@member_required
def ledger_log_consistency(request: HttpRequest) -> HttpResponse:
    """``?from=N&to=M``: the proof that the log of N events is a prefix of the log of M."""
    member = signed_in_member(request)
    old_size, new_size = _size(request, "from"), _size(request, "to")
    try:
        proof = log.consistency(chain_for(member.organization_id), old_size, new_size)
    except log.LogProblem as problem:
        return _json({"error": str(problem)}, status=404)
    return _json({"from": old_size, "to": new_size, "proof": _b64(proof)})


def receipt_response(event: LedgerEvent) -> HttpResponse:
    """The receipt of ``event`` as a download, or a page saying when it will be ready.
    The caller has checked that the event concerns the person asking."""
    body = log.receipt(event)
    if body is None:
        return _json(
            {"error": "No countersigned tree head covers this event yet. Try again within the hour."}, status=409
        )
    response = _json(body)
    response["Content-Disposition"] = f'attachment; filename="chorus-receipt-{event.seq}.json"'
    return response


def _concerns(member: Member, event: LedgerEvent) -> bool:
    """The member acted in it or is named in it (as the whole value of a reference, or an
    item of a list of them: never inside free text); the oversight body may have any receipt."""
    if member.has_role("oversight") or acted(member, event.actor, event.refs):
        return True
    refs = event.refs if isinstance(event.refs, dict) else {}
    return any(
        value == member.pseudonym or (isinstance(value, list) and member.pseudonym in value) for value in refs.values()
    )


@require_GET
@member_required
def ledger_log_receipt(request: HttpRequest, seq: int) -> HttpResponse:
    member = signed_in_member(request)
    event = LedgerEvent.objects.filter(chain=chain_for(member.organization_id), seq=seq).first()
    if event is None or not _concerns(member, event):
        raise Http404
    return receipt_response(event)
