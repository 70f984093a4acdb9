"""Identifiers of a person, reduced to one canonical, type-prefixed string each.

Two spellings of the same identity must give the same string (or two survivors naming
one person never match), and two identities must never give the same string (or two
people would be confused). Each kind's rules are the documented behaviour of the
system that issues the identifier — nothing is guessed. The browser normalizes too
(js/identifiers.js, from the tables ``browser_rules()`` hands it) and must agree byte for
byte, so where the two platforms' own libraries would differ (Unicode versions, IDNA,
digits of other scripts, UTF-16), these rules refuse rather than map. What is accepted:

Every kind
  The text loses surrounding ``WHITESPACE`` only: tab, line feed, carriage return and the
  Unicode space separators (U+0020, U+00A0, U+1680, U+2000–U+200A, U+202F, U+205F,
  U+3000). Then it is refused if any character is in ``INVISIBLE`` (controls such as
  U+0085 and U+001C–U+001F, format characters such as U+200B–U+200D, U+2060 and U+FEFF,
  line and paragraph separators, lone surrogates, variation selectors and other default
  ignorables), or if it is longer than ``MAX_LENGTH`` code points (not UTF-16 units).
  Case is folded for A–Z only; digits are 0–9 only.

``email:``
  An optional ``mailto:``, then ``local@domain`` split at the last @. The domain goes to
  its ASCII form by the IDNA2008 subset of ``chorus.escrow.domains`` (no mapping: ẞ,
  symbols, emoji, fullwidth letters, other dots and right-to-left scripts are refused;
  labels up to 63 and domains up to 253 octets in ASCII form). The local part is ASCII:
  letters, digits and ``!#$%&'*+/=?^_`{|}~.-``, up to 64, lower-cased, no leading,
  trailing or double dot. Gmail ignores dots and ``+tag`` and treats googlemail.com as
  gmail.com; Outlook/Hotmail/Live, iCloud, Fastmail and Proton document ``+tag``
  sub-addressing. Nothing else is folded.
``phone:``
  Digits 0–9, spaces (any of ``WHITESPACE``'s separators), ``-``, ``.``, ``(``, ``)``,
  ``/`` and one ``+`` at the start (or after an opening bracket there); a leading ``00``
  is read as ``+``, and a ``+`` followed by ``0`` is refused (no country code starts with
  0). Then E.164 via ``phonenumbers``; a number that starts with neither needs the
  organization's region.
``member:``
  The organization's own directory number (staff, student or membership number):
  letters A–Z and digits 0–9, spaces, dots, dashes, underscores and slashes; upper-cased
  without the separators, 2 to 40 long.
``<platform>:``
  A social handle, from ``@name``, ``name`` or any profile URL form of that platform,
  written in ASCII and lower-cased.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

import phonenumbers
from django.utils.translation import gettext_lazy as _

from chorus.escrow import domains

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class IdentifierError(ValueError):
    """The text is not a valid identifier of that kind; the message says what is expected."""


@dataclass(frozen=True)
class Kind:
    code: str
    label: StrOrPromise  # translated when shown: str(label) in the language active then
    example: StrOrPromise


@dataclass(frozen=True)
class Platform:
    code: str
    label: str
    hosts: tuple[str, ...]
    pattern: str  # the handle, after lower-casing
    paths: tuple[str, ...] = ("",)  # URL path prefixes before the handle ("" = /<handle>)
    at_in_path: bool = False  # the profile URL writes /@handle
    reserved: frozenset[str] = frozenset()  # first path words that are pages, not people

    def handle_from_url(self, path: str) -> str | None:
        parts = [part for part in path.split("/") if part]
        for prefix in self.paths:
            wanted = [part for part in prefix.split("/") if part]
            if parts[: len(wanted)] == wanted and len(parts) > len(wanted):
                return parts[len(wanted)]
        return None


PLATFORMS: dict[str, Platform] = {
    platform.code: platform
    for platform in (
        Platform(
            "instagram",
            "Instagram",
            ("instagram.com", "instagr.am"),
            r"[a-z0-9._]{1,30}",
            reserved=frozenset({"p", "reel", "reels", "explore", "stories", "tv", "accounts"}),
        ),
        Platform(
            "x",
            "X (Twitter)",
            ("x.com", "twitter.com", "mobile.twitter.com"),
            r"[a-z0-9_]{1,15}",
            reserved=frozenset({"i", "home", "search", "intent", "share", "hashtag", "explore", "settings"}),
        ),
        Platform("tiktok", "TikTok", ("tiktok.com",), r"[a-z0-9._]{2,24}", at_in_path=True),
        Platform(
            "facebook",
            "Facebook",
            ("facebook.com", "fb.com", "m.facebook.com"),
            r"[a-z0-9.]{5,50}",
            reserved=frozenset({"profile.php", "groups", "pages", "events", "watch", "share", "people"}),
        ),
        Platform("linkedin", "LinkedIn", ("linkedin.com",), r"[a-z0-9-]{3,100}", paths=("in",)),
        Platform(
            "github",
            "GitHub",
            ("github.com",),
            r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}",
            reserved=frozenset({"orgs", "settings", "about", "features", "topics"}),
        ),
        Platform("youtube", "YouTube", ("youtube.com",), r"[a-z0-9._-]{3,30}", at_in_path=True),
        Platform("snapchat", "Snapchat", ("snapchat.com",), r"[a-z][a-z0-9._-]{2,14}", paths=("add",)),
        Platform("telegram", "Telegram", ("t.me", "telegram.me"), r"[a-z][a-z0-9_]{4,31}"),
        Platform("threads", "Threads", ("threads.net", "threads.com"), r"[a-z0-9._]{1,30}", at_in_path=True),
        Platform("bluesky", "Bluesky", ("bsky.app",), r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", paths=("profile",)),
        Platform("mastodon", "Mastodon", (), r"[a-z0-9_]{1,30}@[a-z0-9-]+(?:\.[a-z0-9-]+)+"),
    )
}

KINDS: dict[str, Kind] = {
    "email": Kind("email", _("Email address"), "name@example.org"),
    "phone": Kind("phone", _("Phone number"), "+44 20 7946 0000"),
    "member": Kind("member", _("Member, staff or student number"), "A-1234"),
    **{
        code: Kind(
            code, platform.label, "@name@instance.social" if code == "mastodon" else _("@name or a profile link")
        )
        for code, platform in PLATFORMS.items()
    },
}

# Providers whose sub-addressing (name+tag@) is documented as delivering to name@.
_PLUS_FOLDING = {
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "icloud.com",
    "me.com",
    "fastmail.com",
    "proton.me",
    "protonmail.com",
}
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Whole-string patterns (fullmatch: a trailing newline does not slip past "$").
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_PHONE = re.compile(r"\(?\+?[0-9 ().\/-]*")
_PLUS_THEN_ZERO = re.compile(r"[^+]*\+[^0-9]*0.*")  # on a value _PHONE matched
_INTERNATIONAL = ("+", "(+", "00")
_MEMBER_SEPARATORS = re.compile(r"[ ._\/-]")
_MEMBER = re.compile(r"[A-Za-z0-9]{2,40}")
MAX_LENGTH = 320  # code points
WHITESPACE = "\t\n\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_SPACES = str.maketrans(dict.fromkeys(WHITESPACE.lstrip("\t\n\r "), " "))  # inside a number: a space
# Refused anywhere in the text: every control, format character, line or paragraph separator,
# surrogate and default-ignorable code point of Unicode 17, in (first, last) ranges. Characters
# invisible on screen make two spellings differ without anyone seeing why.
INVISIBLE: domains.Ranges = (
    (0x0000, 0x001F), (0x007F, 0x009F), (0x00AD, 0x00AD), (0x034F, 0x034F), (0x0600, 0x0605),
    (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2),
    (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x2028, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xD800, 0xDFFF), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
_INVISIBLE = re.compile(f"[{domains.char_class(INVISIBLE)}]")
# Every explanation, with %(name)s placeholders: one table for the server and, translated
# into the page's language, for the browser (js/identifiers.js), so both say the same.
MESSAGES = {
    "kind": _("Choose what kind of identifier this is."),
    "empty": _("Write the %(kind)s, for example %(example)s."),
    "invisible": _(
        "This has an invisible character in it, such as a line break or a zero-width space, "
        "often copied along with the text. Please type it in again."
    ),
    "long": _("This is longer than any identifier of this kind."),
    "email": _("An email address looks like name@example.org."),
    "domain": _(
        "The part after @ is not a valid domain name. Write it as it is registered, "
        "in small letters, e.g. example.org or münchen.de."
    ),
    "local": _("The part before @ has characters an email address cannot have."),
    "country": _("Include the country code, e.g. +44 20 7946 0000."),
    "number": _(
        "This is not a phone number in its country's numbering plan. Check the digits, "
        "and write it with its country code, e.g. +44 20 7946 0000."
    ),
    "phone_characters": _(
        "Write the phone number with the digits 0 to 9, e.g. +44 20 7946 0000. "
        "Spaces, dashes, dots and brackets are fine."
    ),
    "member": _("A member number is 2 to 40 letters and digits (A to Z, 0 to 9), e.g. A-1234."),
    "host": _("This link is not on %(platform)s. Write the %(platform)s handle, like @name, or a link to the profile."),
    "profile": _(
        "This link does not point to a profile. Write the %(platform)s handle, like @name, or a link to the profile."
    ),
    "handle": _(
        "This is not a possible %(platform)s handle. Write the %(platform)s handle, like @name, or a link to the profile."
    ),
    "mastodon_profile": _(
        "This link does not point to a profile. Write a Mastodon address like @name@instance.social "
        "or a link like https://instance.social/@name."
    ),
    "mastodon": _("Write a Mastodon address like @name@instance.social or a link like https://instance.social/@name."),
}


def normalize(kind: str, text: str, *, region: str = "") -> str:
    """The canonical ``kind:value`` string, or IdentifierError naming the expected form."""
    if kind not in KINDS:
        raise IdentifierError(MESSAGES["kind"])
    value = (text or "").strip(WHITESPACE)
    if not value:
        raise IdentifierError(
            MESSAGES["empty"] % {"kind": str(KINDS[kind].label).lower(), "example": KINDS[kind].example}
        )
    if _INVISIBLE.search(value):
        raise IdentifierError(MESSAGES["invisible"])
    if len(value) > MAX_LENGTH:
        raise IdentifierError(MESSAGES["long"])
    if kind == "email":
        return "email:" + _email(value)
    if kind == "phone":
        return "phone:" + _phone(value, region)
    if kind == "member":
        return "member:" + _member(value)
    return f"{kind}:" + _handle(PLATFORMS[kind], value)


def _email(value: str) -> str:
    if domains.ascii_lower(value[:7]) == "mailto:":
        value = value[7:].strip(WHITESPACE)
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise IdentifierError(MESSAGES["email"])
    try:
        domain = domains.ascii_domain(domain)
    except domains.DomainError as error:
        raise IdentifierError(MESSAGES["domain"]) from error
    local = domains.ascii_lower(local)
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise IdentifierError(MESSAGES["local"])
    domain = _DOMAIN_ALIASES.get(domain, domain)
    if domain in _PLUS_FOLDING:
        local = local.split("+", 1)[0] or local
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}"


def _phone(value: str, region: str) -> str:
    if not value.startswith(_INTERNATIONAL) and not region:
        raise IdentifierError(MESSAGES["country"])
    value = value.translate(_SPACES)
    # Only what both libphonenumber ports read alike: no letters (a keypad's), no digits of
    # other scripts (one port reads some, the other none), one "+" at the start.
    if not _PHONE.fullmatch(value):
        raise IdentifierError(MESSAGES["phone_characters"])
    if value.startswith("00"):
        value = "+" + value[2:]
    # No country calling code starts with 0: a "+" before an international prefix ("+00 44",
    # "+011 44") is refused here. Python's port would retry without the "+" and read the
    # region's prefix; the JavaScript one refuses (js/identifiers.js does the same check).
    if _PLUS_THEN_ZERO.fullmatch(value):
        raise IdentifierError(MESSAGES["number"])
    # One explanation whether the text does not parse or the number does not exist: where
    # one ends and the other begins differs between libphonenumber's ports (js/identifiers.js).
    try:
        number = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException as error:
        raise IdentifierError(MESSAGES["number"]) from error
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError(MESSAGES["number"])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _member(value: str) -> str:
    compact = _MEMBER_SEPARATORS.sub("", value.translate(_SPACES))
    if not _MEMBER.fullmatch(compact):
        raise IdentifierError(MESSAGES["member"])
    return compact.upper()


def _url(text: str, refusal: str) -> SplitResult:
    """A profile link as written, with or without its scheme; ``refusal`` if it is no link."""
    try:
        return urlsplit(text if "://" in text else "https://" + text)
    except ValueError as error:  # e.g. an unmatched "[" or "]" in the host
        raise IdentifierError(refusal) from error


def _host(netloc: str) -> str:
    host = netloc.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    return host.removeprefix("www.")


def _handle(platform: Platform, value: str) -> str:
    named = {"platform": platform.label}
    if not value.isascii():  # every platform's handles and profile links are ASCII
        raise IdentifierError(MESSAGES["mastodon" if platform.code == "mastodon" else "handle"] % named)
    lowered = value.lower()
    if platform.code == "mastodon":
        return _mastodon(lowered)
    if "/" in lowered or lowered.startswith(("http:", "https:")):
        split = _url(lowered, MESSAGES["host"] % named)
        if _host(split.netloc) not in platform.hosts:
            raise IdentifierError(MESSAGES["host"] % named)
        handle = platform.handle_from_url(split.path)
        if handle is None or handle in platform.reserved:
            raise IdentifierError(MESSAGES["profile"] % named)
        lowered = handle
        if platform.at_in_path and not lowered.startswith("@"):
            raise IdentifierError(MESSAGES["profile"] % named)
    handle = lowered.removeprefix("@")
    if not re.fullmatch(platform.pattern, handle):
        raise IdentifierError(MESSAGES["handle"] % named)
    return handle


def _mastodon(value: str) -> str:
    if "/" in value:
        split = _url(value, str(MESSAGES["mastodon_profile"]))
        parts = [part for part in split.path.split("/") if part]
        if len(parts) != 1 or not parts[0].startswith("@"):
            raise IdentifierError(MESSAGES["mastodon_profile"])
        value = f"{parts[0]}@{_host(split.netloc)}"
    handle = value.removeprefix("@")
    if not re.fullmatch(PLATFORMS["mastodon"].pattern, handle):
        raise IdentifierError(MESSAGES["mastodon"])
    return handle


def browser_rules() -> dict[str, object]:
    """The tables above for the browser's normalization (js/identifiers.js), which
    implements the same rules, with the words in the language active now; tests run both
    over the same inputs."""
    return {
        **_browser_tables(),
        "kinds": {code: {"label": str(kind.label), "example": str(kind.example)} for code, kind in KINDS.items()},
        "messages": {code: str(message) for code, message in MESSAGES.items()},
    }


@functools.cache
def _browser_tables() -> dict[str, object]:
    return {
        "platforms": {
            code: {
                "label": platform.label,
                "hosts": list(platform.hosts),
                "pattern": platform.pattern,
                "paths": list(platform.paths),
                "atInPath": platform.at_in_path,
                "reserved": sorted(platform.reserved),
            }
            for code, platform in PLATFORMS.items()
        },
        "plusFolding": sorted(_PLUS_FOLDING),
        "domainAliases": _DOMAIN_ALIASES,
        "local": _LOCAL.pattern,
        "phone": _PHONE.pattern,
        "plusThenZero": _PLUS_THEN_ZERO.pattern,
        "international": list(_INTERNATIONAL),
        "memberSeparators": _MEMBER_SEPARATORS.pattern,
        "member": _MEMBER.pattern,
        "maxLength": MAX_LENGTH,
        "whitespace": WHITESPACE,
        "invisible": domains.packed(INVISIBLE),
        **domains.browser_tables(),
    }


def describe(canonical: str) -> str:
    """A canonical identifier for people to read: 'Email address: sam@example.org'."""
    kind, _colon, value = canonical.partition(":")
    label = KINDS[kind].label if kind in KINDS else kind
    return f"{label}: {value}"
