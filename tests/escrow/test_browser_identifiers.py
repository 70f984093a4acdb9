"""The browser normalizes identifiers itself (js/identifiers.js, so the server never sees
them); it must give the server's canonical string for every spelling, and refuse what the
server refuses with the same explanation. Both run over the same inputs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.escrow.identifiers import KINDS
from tests.escrow.both_sides import disagreements

CASES = [
    ("email", "Sam.Lee@Example.org"),
    ("email", "  mailto:sam.lee@EXAMPLE.ORG "),
    ("email", "s.a.m+work@GoogleMail.com"),
    ("email", "sam+news@proton.me"),
    ("email", "sam+news@example.org"),
    ("email", "jürgen@münchen.de"),
    ("email", "sam@straße.de"),
    ("email", "sam@例え.jp"),
    ("email", "sam@ÉCOLE.fr."),
    ("email", "sam@xn--mnchen-3ya.de"),
    ("email", "sam@123.45"),
    ("email", "sam@exa mple.org"),
    ("email", "sam@example.org:25"),
    ("email", "sam@a_b.org"),
    ("email", "sam@-bad.org"),
    ("email", "sam\n@example.org"),
    ("email", "sam@"),
    ("email", "@example.org"),
    ("email", "sam"),
    ("email", "sam@localhost"),
    ("email", "sam..lee@example.org"),
    ("email", ".sam@example.org"),
    ("email", "s(am)@example.org"),
    ("email", ""),
    ("email", "x" * 400),
    ("phone", "+44 20 7946 0958"),
    ("phone", "0044 (0)20 7946 0958"),
    ("phone", "020 7946 0958"),
    ("phone", "+1 (415) 555-2671"),
    ("phone", "+1 202-456-1414"),
    ("phone", "+49 30 901820"),
    ("phone", "+49 1512 3456789"),
    ("phone", "+33 6 12 34 56 78"),
    ("phone", "+91 98765 43210"),
    ("phone", "+81 90-1234-5678"),
    ("phone", "+61 412 345 678"),
    ("phone", "+55 11 91234-5678"),
    ("phone", "+234 803 123 4567"),
    ("phone", "+44 12"),
    ("phone", "+44 20 7946 09581234"),
    ("phone", "call me"),
    ("phone", "+"),
    ("phone", "+49 9109 ABC"),
    ("phone", "+44 20 7946 0958 ext. 12"),
    ("member", "a-12 34"),
    ("member", "s.1234/b"),
    ("member", "#"),
    ("member", "straße"),
    ("instagram", "@S.Lee_"),
    ("instagram", "https://www.instagram.com/s.lee_/?hl=en"),
    ("instagram", "https://instagram.com/p/Cx1"),
    ("x", "https://mobile.twitter.com/SamLee/status/1"),
    ("x", "https://instagram.com/sam"),
    ("x", "@a_name_far_too_long"),
    ("tiktok", "tiktok.com/@sam.lee?lang=en"),
    ("tiktok", "tiktok.com/sam"),
    ("facebook", "https://m.facebook.com/sam.lee.42"),
    ("facebook", "facebook.com/profile.php?id=1"),
    ("linkedin", "https://www.linkedin.com/in/sam-lee-123/"),
    ("linkedin", "linkedin.com/company/acme"),
    ("github", "https://github.com/Sam-Lee"),
    ("github", "-sam"),
    ("github", "sam--lee"),
    ("youtube", "youtube.com/@SamLee"),
    ("snapchat", "https://www.snapchat.com/add/samlee"),
    ("telegram", "https://t.me/sam_lee"),
    ("threads", "https://www.threads.net/@s.lee"),
    ("bluesky", "https://bsky.app/profile/sam.bsky.social"),
    ("bluesky", "@sam"),
    ("mastodon", "https://Mastodon.Social/@Sam"),
    ("mastodon", "@sam@mastodon.social"),
    ("mastodon", "sam"),
    ("mastodon", "https://mastodon.social/users/sam"),
    ("nope", "sam"),
]


def test_the_browser_agrees_with_the_server_on_every_case() -> None:
    assert disagreements(CASES, "") == []
    assert disagreements(CASES, "GB") == []


TEXT = st.text(
    alphabet=st.sampled_from("abcXYZ019 .-_+@/:?#%()ßüé例\t"),
    max_size=40,
)


# Each example is one Node run over a batch; a disagreement is shrunk one run per step.
@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(KINDS)), TEXT), min_size=50, max_size=50))
def test_the_browser_agrees_on_arbitrary_text(cases: list[tuple[str, str]]) -> None:
    assert disagreements(cases, "DE") == []


DIALLED = st.text(alphabet=st.sampled_from("0123456789 +-().ab"), max_size=20)


@settings(max_examples=8, deadline=None)
@given(st.lists(DIALLED, min_size=50, max_size=50), st.sampled_from(["", "DE", "GB", "US"]))
def test_the_browser_agrees_on_dialled_numbers(numbers: list[str], region: str) -> None:
    assert disagreements([("phone", number) for number in numbers], region) == []
