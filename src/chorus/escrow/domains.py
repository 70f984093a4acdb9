"""The domain of an email address in its ASCII form, by a fixed subset of IDNA2008.

The browser has to give the same answer (js/identifiers.js), and the platforms' own IDNA
code does not: the URL parser follows UTS #46 with the Unicode version of the browser,
Python's ``idna`` follows IDNA2008 with its own tables, and the two map and refuse
different characters (ẞ, symbols, emoji, fullwidth letters, hyphens in positions 3–4,
length limits). So neither is used; both sides apply these rules, the browser with the
tables ``browser_tables()`` hands it:

* one trailing dot is dropped; labels are separated by "." (U+002E) only;
* ASCII letters are lower-cased; no other character is mapped or case-folded;
* an ASCII label is letters, digits and hyphens, 1 to 63 long, not starting or ending with
  a hyphen, with no "--" in positions 3 and 4 unless it is an A-label ("xn--"), which must
  decode (RFC 3492) to a valid U-label that encodes back to exactly the same label;
* a U-label (any other label) is put in Unicode normalization form C and must then be made
  only of ASCII letters, digits and hyphens and the letters of ``letter_ranges()``: the
  IDNA2008 PVALID code points (the ``idna`` package's table) that this Python's Unicode
  database knows, written left to right (none of bidi class R, AL or AN, so the bidi
  rule of RFC 5893 never applies: right-to-left domains are refused). It may not start
  with a combining mark, start or end with a hyphen, or have "--" in positions 3 and 4,
  and its A-label ("xn--" and its punycode) is at most 63 octets;
* at least two labels, the last not all digits, and at most 253 octets in ASCII form.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from idna import idnadata

MAX_LABEL = 63
MAX_DOMAIN = 253
LDH = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")  # an ASCII label
_DIGITS = re.compile(r"[0-9]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

Ranges = tuple[tuple[int, int], ...]  # inclusive (first, last) code points, in order


class DomainError(ValueError):
    """Not a domain by the rules above."""


def ascii_lower(text: str) -> str:
    """A–Z to a–z and nothing else (str.lower() also maps İ, ẞ, the Kelvin sign… by its own
    Unicode version, and toLowerCase() by the browser's)."""
    return text.translate(_ASCII_LOWER)


def ascii_domain(text: str) -> str:
    name = text.removesuffix(".")
    labels = [_ascii_label(label) for label in name.split(".")]
    domain = ".".join(labels)
    if len(labels) < 2 or _DIGITS.fullmatch(labels[-1]) or len(domain) > MAX_DOMAIN:
        raise DomainError(text)
    return domain


def _ascii_label(label: str) -> str:
    label = ascii_lower(label)
    if not label.isascii():
        unicode = unicodedata.normalize("NFC", label) if _letters().fullmatch(label) else ""
        if not _u_label(unicode) or len(_a_label(unicode)) > MAX_LABEL:
            raise DomainError(label)
        return _a_label(unicode)
    if not LDH.fullmatch(label) or (label[2:4] == "--" and not label.startswith("xn--")):
        raise DomainError(label)
    if label.startswith("xn--"):
        try:
            unicode = label[4:].encode("ascii").decode("punycode")
        except UnicodeError as error:
            raise DomainError(label) from error
        if not _u_label(unicode) or _a_label(unicode) != label:
            raise DomainError(label)
    return label


def _u_label(unicode: str) -> bool:
    return bool(
        not unicode.isascii()
        and _letters().fullmatch(unicode)
        and not _marks().match(unicode)
        and not unicode.startswith("-")
        and not unicode.endswith("-")
        and unicode[2:4] != "--"
        and unicodedata.is_normalized("NFC", unicode)
    )


def _a_label(unicode: str) -> str:
    return "xn--" + unicode.encode("punycode").decode("ascii")


@functools.cache
def letter_ranges() -> Ranges:
    """The non-ASCII code points a U-label may have (see the module's docstring)."""
    allowed = []
    for packed in idnadata.codepoint_classes["PVALID"]:
        first, end = packed >> 32, packed & 0xFFFFFFFF  # end excluded
        for code in range(max(first, 0x80), end):
            char = chr(code)
            if unicodedata.category(char) != "Cn" and unicodedata.bidirectional(char) not in {"R", "AL", "AN"}:
                allowed.append(code)
    return _ranges(allowed)


@functools.cache
def mark_ranges() -> Ranges:
    """The combining marks among them, which may not start a label."""
    return _ranges(
        code
        for first, last in letter_ranges()
        for code in range(first, last + 1)
        if unicodedata.category(chr(code)).startswith("M")
    )


def _ranges(codes: Iterable[int]) -> Ranges:
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return tuple(ranges)


def char_class(ranges: Ranges) -> str:
    """A regular expression's character class of the ranges."""
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges)


@functools.cache
def _letters() -> re.Pattern[str]:
    return re.compile(f"[a-z0-9\\-{char_class(letter_ranges())}]+")


@functools.cache
def _marks() -> re.Pattern[str]:
    return re.compile(f"[{char_class(mark_ranges())}]")


def packed(ranges: Ranges) -> list[int]:
    """The ranges for the browser, small: each range's distance from the end of the one
    before it, then its length minus one (js/identifiers.js unpacks them)."""
    numbers, end = [], 0
    for first, last in ranges:
        numbers += [first - end, last - first]
        end = last
    return numbers


def browser_tables() -> dict[str, object]:
    return {
        "label": LDH.pattern,
        "domainLetters": packed(letter_ranges()),
        "domainMarks": packed(mark_ranges()),
        "maxLabel": MAX_LABEL,
        "maxDomain": MAX_DOMAIN,
    }
