"""Identifier normalization: any text of any kind is either refused with a message or
made canonical, and the canonical form is a fixed point (normalizing it again gives it
back), so two people who write the same identifier differently still match."""

from __future__ import annotations

from chorus.escrow import identifiers

KINDS = sorted(identifiers.KINDS)
REGIONS = ["", "US", "GB", "ES", "DE", "ZZ"]


def SEEDS() -> list[bytes]:  # noqa: N802 - a constant, made on demand
    texts = [
        "Sam.Lee+work@Example.org", "sam.lee@gmail.com", "+1 (415) 555-0134", "020 7946 0018", "@sam_lee",
        "https://www.instagram.com/sam.lee/", "@sam@mastodon.social", "https://mastodon.social/@sam", "",
        "ΣΑΜ@παράδειγμα.δοκιμή", "x" * 300, "sam@straße.de", "sam@xn--mnchen-3ya.de", "\u3000(+44) 20 7946 0958",
    ]  # fmt: skip
    return [
        bytes([kind, region]) + text.encode() for kind in range(len(KINDS)) for region in range(2) for text in texts
    ]


def one_input(data: bytes) -> None:
    # First byte: the kind; second: the region; the rest: the text, as UTF-8 (as typed).
    if len(data) < 2:
        return
    kind, region = KINDS[data[0] % len(KINDS)], REGIONS[data[1] % len(REGIONS)]
    text = data[2:].decode("utf-8", errors="replace")
    try:
        canonical = identifiers.normalize(kind, text, region=region)
    except identifiers.IdentifierError as refused:
        assert str(refused).strip(), "a refusal must say what is expected"
        return
    prefix, _, value = canonical.partition(":")
    assert prefix == kind and value, canonical
    assert identifiers.normalize(kind, value, region=region) == canonical, (kind, text, canonical)
    assert identifiers.describe(canonical)
