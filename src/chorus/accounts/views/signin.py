from __future__ import annotations

import ipaddress
import time

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from chorus.accounts import vault
from chorus.accounts.errors import AccountError
from chorus.accounts.forms import CodeForm, SignInForm
from chorus.accounts.models import Member
from chorus.accounts.services import signin
from chorus.web.redirects import on_site

_PENDING = "chorus_pending_sign_in"
_PENDING_SECONDS = 300
BACKEND = "chorus.accounts.backends.MemberBackend"


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.CHORUS_TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """Where a request came from, for per-network limits: an IPv4 address, or the /64 an IPv6
    address belongs to (one subscriber is usually given a whole /64, and could otherwise try
    from a new address each time). Behind a trusted proxy the address is the last one its
    X-Forwarded-For names that is not itself a trusted proxy (the entries before it are
    whatever the client sent, so never believed); from anyone else the header is ignored."""
    return _network(_client_address(request))


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _client_address(request: HttpRequest) -> str:
    peer = str(request.META.get("REMOTE_ADDR") or "unknown")
    if not _trusted(peer):
        return peer
    for entry in reversed(str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")):
        candidate = entry.strip()
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return peer  # a malformed hop: nothing before it can be attributed
        if not _trusted(candidate):
            return candidate
    return peer


def _next_url(request: HttpRequest) -> str:
    return on_site(request, request.POST.get("next") or request.GET.get("next") or "")


def complete_sign_in(request: HttpRequest, member: Member, vault_key: bytes) -> None:
    """Start an authenticated session (new session id) holding the vault key."""
    login(request, member, backend=BACKEND)
    vault.vault_open(request, str(member.pk), vault_key)
    signin.sign_in_succeeded(member=member, ip=client_ip(request))


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignInForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            accepted = signin.sign_in_password(
                email=form.cleaned_data["email"], password=form.cleaned_data["password"], ip=client_ip(request)
            )
        except AccountError as refused:
            error = str(refused)
        else:
            if not accepted.needs_second_factor:
                complete_sign_in(request, accepted.member, accepted.vault_key)
                return HttpResponseRedirect(_next_url(request))
            request.session.cycle_key()
            request.session[_PENDING] = {
                "member": str(accepted.member.pk),
                "at": time.time(),
                "next": _next_url(request),
            }
            vault.pending_open(request, str(accepted.member.pk), accepted.vault_key)
            return redirect("sign_in_two_factor")
    return render(request, "accounts/sign_in.html", {"form": form, "error": error, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "POST"])
def sign_in_two_factor(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(_PENDING)
    member = None
    if not isinstance(pending, dict):
        pending = {}
    elif time.time() - float(pending.get("at", 0)) < _PENDING_SECONDS:
        member = Member.objects.select_related("organization").filter(pk=str(pending["member"]), is_active=True).first()
    vault_key = vault.pending_key(request, str(member.pk)) if member else None
    if member is None or vault_key is None:
        request.session.pop(_PENDING, None)
        return redirect("sign_in")
    form = CodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            signin.sign_in_second_factor(member=member, code=form.cleaned_data["code"], ip=client_ip(request))
        except AccountError as refused:
            error = str(refused)
        else:
            target = str(pending.get("next") or reverse("home"))
            del request.session[_PENDING]
            complete_sign_in(request, member, vault_key)
            return HttpResponseRedirect(target)
    return render(request, "accounts/sign_in_two_factor.html", {"form": form, "error": error})


def session_end(request: HttpRequest) -> None:
    """Whoever is here leaves: a member is signed out (and it is ledgered), an anonymous
    reporter's report is closed; the vault cookie and the session row go either way."""
    if isinstance(request.user, Member):
        signin.sign_out_recorded(member=request.user)
    vault.vault_close(request)  # the cookie holding the unsealing key goes
    logout(request)  # and the session row, with the sealed vault key, is flushed


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session_end(request)
    return redirect("sign_in")


@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    """Sent by the quick-exit control as the browser leaves for a neutral page: whoever
    picks the device up next finds no open session (a member is signed out; an anonymous
    reporter's receipt is the way back in)."""
    session_end(request)
    return HttpResponse(status=204)
