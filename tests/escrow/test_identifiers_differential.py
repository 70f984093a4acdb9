"""The server's and the browser's normalization agree on every input, of every kind: both
refuse it with the same explanation, or both accept it with the same canonical string.
Otherwise two entries naming the same person, one made in a browser and one on the server,
would never match.

Inputs are generated from the characters where the two platforms' own libraries differ:
whitespace and invisible characters, IDNA edge cases, digits of other scripts and numeric
symbols, case-folding specials, astral characters and lengths near the limits. Hypothesis
draws them (the same ones on every run), then they go to Node in batches, one process per
batch. ``make fuzz`` draws many more, with a fresh seed each time::

    CHORUS_DIFFERENTIAL_EXAMPLES=2000 pytest tests/escrow/test_identifiers_differential.py
"""

from __future__ import annotations

import functools
import os
import string
from collections.abc import Iterator

import pytest
from hypothesis import strategies as st

from chorus.escrow.identifiers import KINDS, PLATFORMS
from tests.escrow.both_sides import Disagreement, disagreements, drawn

EXAMPLES = int(os.environ.get("CHORUS_DIFFERENTIAL_EXAMPLES") or 300)  # per kind
BATCH = 500
PHONE_REGIONS = ["", "GB", "US", "DE", "IN"]

# Where the platforms' trim(), \s and isspace() differ, and what is invisible on screen.
INVISIBLE = (
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x00\x7f\x85\xa0\u1680\u2000\u2007\u200a\u200b\u200c\u200d"
    "\u200e\u200f\u2028\u2029\u202a\u202f\u205f\u2060\u2066\u3000\ufeff\u00ad\u061c\u180e\ufe0f\ufff9\U000e0041"
)
CASE_SPECIALS = "ßẞİıſ\u212a\u212bÅΣσςǅﬀﬁŉǰ"  # with the Kelvin and the Ångström signs
DIGITS = "0123456789०१२३४५६७८९০১২৩৪৫৬৭৮৯٠١٢٣۰۱۲٣０１２３𝟎𝟙𝟚"
NUMERIC_SYMBOLS = "²³¹①⑴½Ⅻⅻ𝟘"
SYMBOLS = "☃♥😀👍🏽❤️✓№™©€$♀🇪🇸"
DOMAIN_LETTERS = "aeiouzéüçøœñ例え日本한국жяαβγ\u0301\u0308ā・·ゝשלוםمرحبا٣ｅＥ"
ASTRAL = "𝒜𝔘😀𐐀𐐨𠀋"
ASCII = string.ascii_letters + string.digits + "@+-._/:?#%()[]!~'*&=,;<>\"\\ "
EVERYTHING = INVISIBLE + CASE_SPECIALS + DIGITS + NUMERIC_SYMBOLS + SYMBOLS + DOMAIN_LETTERS + ASTRAL + ASCII + "．。"


def chars(alphabet: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(set(alphabet)))


def text(alphabet: str, min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(chars(alphabet), min_size=min_size, max_size=max_size)


def joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


def often(value: str, *others: str, times: int = 6) -> st.SearchStrategy[str]:
    # Hypothesis favours the first and the last choices: the rare ones go in the middle.
    return st.sampled_from([value] * (times // 2) + list(others) + [value] * (times - times // 2))


def repeated(counts: st.SearchStrategy[int], alphabet: str) -> st.SearchStrategy[str]:
    return st.builds(lambda count, char: char * count, counts, chars(alphabet))


SOMETIMES = st.sampled_from([False, False, True, False, False])
INSIDE = chars(INVISIBLE + CASE_SPECIALS + NUMERIC_SYMBOLS + ASTRAL)
AROUND = text(INVISIBLE + " ", max_size=3)


@st.composite
def spelled(draw: st.DrawFn, core: st.SearchStrategy[str]) -> str:
    """A value as it might be typed or pasted: now and then with an invisible character,
    a case-folding special or an astral character inside, or surrounded by whitespace."""
    value = draw(core)
    if value and draw(SOMETIMES):
        at = draw(st.integers(0, len(value)))
        value = value[:at] + draw(INSIDE) + value[at:]
    if draw(SOMETIMES):
        value = draw(AROUND) + value + draw(AROUND)
    return value


PADDING = st.tuples(
    chars("a1😀𝒜é-"), st.sampled_from([60, 63, 64, 150, 155, 159, 160, 161, 165, 253, 254, 300, 318, 319, 320, 321])
)


def near_limit(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Padded to around the limits, partly astral: one code point but two UTF-16 units."""
    return st.builds(lambda value, padding: value + padding[0] * padding[1], core, PADDING)


def _punycode(label: str) -> str:
    return "xn--" + label.encode("punycode").decode("ascii")


PLAIN_LABELS = st.one_of(
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{1,8}", fullmatch=True),
    text(string.ascii_lowercase + "éüçøœñāß例え日本한국жяαβγ", min_size=1, max_size=8),
)
LABELS = st.one_of(
    PLAIN_LABELS,
    PLAIN_LABELS,
    PLAIN_LABELS,
    text(string.ascii_lowercase + CASE_SPECIALS + "ⅫＡ", min_size=1, max_size=6),  # ẞ, İ, K, fullwidth…
    text(DOMAIN_LETTERS + SYMBOLS + ASTRAL + NUMERIC_SYMBOLS + "-", min_size=1, max_size=8),
    joined(
        st.from_regex(r"[a-zA-Z0-9]{2}", fullmatch=True),
        st.just("--"),
        st.from_regex(r"[a-z0-9-]{0,4}", fullmatch=True),
    ),
    text(DOMAIN_LETTERS + CASE_SPECIALS + ASTRAL, min_size=1, max_size=6).map(_punycode),  # valid or not
    st.from_regex(r"[xX][nN]--[a-z0-9-]{0,12}", fullmatch=True),  # mostly invalid punycode
    repeated(st.integers(54, 66), "a1é例😀"),  # around 63 octets in ASCII form
    st.sampled_from(
        ["münchen", "straße", "例え", "xn--mnchen-3ya", "xn--strae-oqa", "xn--zca", "xn--r8jz45g", "ab--cd"]
    ),
)
TOP_LEVEL = st.sampled_from(["org", "de", "jp", "com", "co.uk", "123", "xn--p1ai", "рф", "ORG", "museum"])
LONG_DOMAINS = st.builds(  # around the 253-octet limit, in ASCII or once encoded
    lambda label, cut, end: ".".join([label] * 4)[:-cut] + end,
    st.sampled_from(["a" * 63, "é" * 57, "b" * 62]),
    st.integers(1, 16),
    st.sampled_from(["", ".org", "."]),
)
SHORT_DOMAINS = st.builds(
    lambda labels, top, dot, end: dot.join([*labels, top]) + end,
    st.lists(LABELS, min_size=1, max_size=3),
    TOP_LEVEL,
    often(".", "．", "。", "｡", times=8),
    often("", ".", "..", "。"),
)
EMAILS = joined(
    often("", "mailto:", "MAILTO:", "mailto: ", times=8),
    st.one_of(
        st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9.+_-]{0,12}", fullmatch=True),
        st.from_regex(r"[a-zA-Z0-9]{1,12}", fullmatch=True),
        st.from_regex(r"[a-zA-Z0-9]{1,12}", fullmatch=True),
        text(ASCII + CASE_SPECIALS + DIGITS + ASTRAL, min_size=1),
        repeated(st.integers(62, 66), "xK😀"),
    ),
    often("@", "@@", "＠", times=10),
    st.one_of(*[SHORT_DOMAINS] * 5, LONG_DOMAINS, *[SHORT_DOMAINS] * 5),
)

VALID_NUMBERS = [
    "+44 20 7946 0958", "+91 98765 43210", "+1 (415) 555-2671", "+49 30 901820", "020 7946 0958",
    "+33 6 12 34 56 78", "+81 90-1234-5678", "(415) 555-2671", "030 901820", "098765 43210", "+44 (0)20 7946 0958",
    "0044 20 7946 0958", "+880 1712-345678", "+7 912 345-67-89", "+86 139 1234 5678", "+972 50-123-4567",
]  # fmt: skip
DIALLED = joined(
    st.sampled_from(
        ["+", "+", "00", "", "0", "00++", "++", "+ ", "+0", "00+", "(+", "(+44) ", "((+", "(00", "+1", "+91"]
    ),
    st.from_regex(r"[0-9]{1,4}([ .()/-]{0,2}[0-9]{1,4}){0,4}", fullmatch=True),
)
NUMBER_CHANGES = st.lists(
    st.tuples(
        st.sampled_from(["digit", "separator", "ending"]),
        st.integers(0, 20),
        chars(DIGITS + NUMERIC_SYMBOLS),
        chars(" -.()/+\xa0\u3000\u2009"),
        st.sampled_from([" ext. 12", "x12", "#", "*1", ";ext=3", "a", "-"]),
    ),
    max_size=2,
)


def _changed(number: str, changes: list[tuple[str, int, str, str, str]]) -> str:
    for change, at, digit, separator, ending in changes:
        if change == "digit":
            number = number[:at] + digit + number[at + 1 :]
        elif change == "separator":
            number = number[:at] + separator + number[at:]
        else:
            number += ending
    return number


PHONES = st.builds(_changed, st.one_of(st.sampled_from(VALID_NUMBERS), DIALLED), NUMBER_CHANGES)

MEMBERS = st.one_of(
    st.from_regex(r"[A-Za-z0-9]{1,6}([ ./_-][A-Za-z0-9]{1,6}){0,3}", fullmatch=True),
    text(string.ascii_letters + string.digits * 2 + ".-_/ " + CASE_SPECIALS + DIGITS + NUMERIC_SYMBOLS, 0, 44),
)

NAMES = st.one_of(
    st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9._-]{0,14}", fullmatch=True),
    text(string.ascii_lowercase * 3 + string.ascii_uppercase + string.digits + "._-" + CASE_SPECIALS, 1, 32),
)
OTHER_HOSTS = ["example.org", "іnstagram.com", "mastodon.social", "ＥＸＡＭＰＬＥ.org"]
HOST_PREFIXES = often("", "www.", "WWW.", "m.", times=2)
MASTODON_FORMS = [
    "@{name}@{host}",
    "{name}@{host}",
    "https://{host}/@{name}",
    "{host}/@{name}",
    "https://{host}/users/{name}",
]


def handles(code: str) -> st.SearchStrategy[str]:
    platform = PLATFORMS[code]
    names = [*platform.hosts, *OTHER_HOSTS]
    hosts = st.builds(str.__add__, HOST_PREFIXES, st.sampled_from(names + names + [name.upper() for name in names]))
    paths = [""] + [path + "/" for path in platform.paths]
    forms = (
        MASTODON_FORMS
        if code == "mastodon"
        else ["@{name}", "{name}", "https://{host}/{path}{name}", "{host}/{path}@{name}/?hl=en"]
    )
    return st.builds(
        lambda form, name, host, path: form.format(name=name, host=host, path=path),
        st.sampled_from(forms),
        NAMES,
        hosts,
        st.sampled_from(paths),
    )


@functools.cache
def inputs(kind: str) -> st.SearchStrategy[str]:
    """Mostly something close to an identifier of that kind, sometimes padded to the
    length limits, sometimes any text at all."""
    own = handles(kind) if kind in PLATFORMS else {"email": EMAILS, "phone": PHONES, "member": MEMBERS}[kind]
    return spelled(st.one_of(*[own] * 5, near_limit(own), text(EVERYTHING, max_size=40), *[own] * 5))


def batches(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def all_disagreements(kind: str, texts: list[str], regions: list[str]) -> list[Disagreement]:
    found: list[Disagreement] = []
    for number, region in enumerate(regions):
        for batch in batches(texts[number :: len(regions)], BATCH):
            found += disagreements([(kind, value) for value in batch], region)
    return found


def explained(found: list[Disagreement]) -> str:
    return "\n".join(f"{case!r:.300}: server {server}, browser {browser}" for case, server, browser in found[:20])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_server_and_the_browser_agree(kind: str) -> None:
    regions = PHONE_REGIONS if kind == "phone" else [""]
    found = all_disagreements(kind, drawn(inputs(kind), EXAMPLES), regions)
    assert not found, f"{len(found)} disagreements, the first ones:\n{explained(found)}"


# Each class of input on which the two once disagreed, one or two of each.
ONCE_APART = [
    ("email", "\x85sam@example.org"), ("email", "\ufeffsam@example.org"), ("email", "sam@example.org\x1c"),
    ("email", "sam@exa\u200bmple.org"), ("email", "sam@exa\u2060mple.org"), ("email", "sam@ẞ.de"),
    ("email", "sam@straẞe.de"), ("email", "sam@i❤.ws"), ("email", "sam@☃.net"), ("email", "sam@Ⅻ.org"),
    ("email", "sam@ab--cd.org"), ("email", "sam@xn--abc.org"), ("email", "sam@xn--zca.de"), ("email", "sam@ｅｘａｍｐｌｅ.org"),
    ("email", "sam@example。org"), ("email", "sam@" + ".".join(["a" * 63] * 4)), ("email", "sam@" + "é" * 58 + ".de"),
    ("email", "\u212aelvin@example.org"), ("email", "sam@İstanbul.tr"), ("email", "sam@שלום.il"), ("email", "MAILTO:sam@x.org"),
    ("phone", "+४४ २० ७९४६ ०९५८"), ("phone", "+৪৪ ২০ ৭৯৪৬ ০৯৫৮"), ("phone", "+44 20 7946 095²"), ("phone", "+44 20 7946 ①958"),
    ("phone", "00++44 20 7946 0958"), ("phone", "+44\u300020\u00a07946 0958"), ("phone", "０２０ ７９４６ ０９５８"),
    ("phone", "+00470/6700"), ("phone", "+0044 20 7946 0958"), ("phone", "(+00)44 20 7946 0958"), ("phone", "+ 011 44 20 7946 0958"),
    ("member", "①②"), ("member", "A½"), ("member", "Ⅻ12"), ("member", "straße"), ("member", "ſ1234"), ("member", "a\u00a01234"),
    ("member", "😀" * 170), ("x", "😀" * 170), ("x", "@sam\u0085"), ("x", "@\u212aelvin"), ("instagram", "ınstagram.com/sam"),
    ("mastodon", "@sam@mastodon.ſocial"),
]  # fmt: skip


def test_the_classes_once_apart_agree() -> None:
    for region in ["", "GB", "US"]:
        found = disagreements(ONCE_APART, region)
        assert not found, explained(found)
