from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from chorus.accounts import vault
from chorus.insights.access import may_see_insights
from chorus.ledger.log import origin_for
from chorus.ledger.services import chain_for


def chorus(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    member = user if user is not None and user.is_authenticated else None
    return {
        "quick_exit_url": settings.CHORUS_QUICK_EXIT_URL,
        "member": member,
        "organization": member.organization if member is not None else None,
        # Which log the member's browser checks on each page (js/ledger_page.js keeps its
        # result per log, so two members sharing a browser never see each other's).
        "ledger_origin": origin_for(chain_for(member.organization_id)) if member is not None else "",
        "is_admin": bool(member and member.has_role("admin")),
        "is_advocate": bool(member and member.has_role("advocate")),
        "is_commission": bool(member and member.has_role("commission")),
        "is_oversight": bool(member and member.has_role("oversight")),
        "sees_insights": bool(member and may_see_insights(member)),
        "reporting_anonymously": member is None
        and hasattr(request, "session")
        and vault.anonymous_key(request) is not None,
    }
