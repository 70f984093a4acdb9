"""When two display names are the same name to a reader.

Members choose their display name; others see it on "Who holds power", in the lists a
survivor shares with or a case chooses from, and on proposals. Two members must never look
alike there, or one person could pass an account they control off as a trusted colleague.
Names are compared after Unicode compatibility normalization (NFKC: "Ａna" is "Ana"), case
folding ("ANA" is "ana"), removing every character that shows nothing — format and control
characters, Unicode's default-ignorable code points (zero-width spaces and joiners,
bidirectional marks, variation selectors, Hangul fillers, the combining grapheme joiner…)
and blank symbols (the braille blank) — and collapsing whitespace. Look-alike letters from
other scripts (Cyrillic "а" for Latin "a") are not folded; proposals show approvers the
member's email address and inviter beside the name.
"""

from __future__ import annotations

import unicodedata

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15), which the
# standard library does not expose, and blanks that are letters or symbols by category.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
MAX_KEY = 200  # NFKC can expand one character into eighteen (U+FDFA)


def _invisible(char: str) -> bool:
    point = ord(char)
    if unicodedata.category(char) in {"Cf", "Cc", "Cn", "Co", "Cs"}:
        return True
    return any(low <= point <= high for low, high in _INVISIBLE_RANGES)


def name_key(name: str) -> str:
    """The form two display names are compared in; empty when nothing visible is left."""
    normalized = unicodedata.normalize("NFKC", name)
    visible = "".join(char for char in normalized if not _invisible(char))
    folded = unicodedata.normalize("NFKC", visible.casefold())
    return " ".join("".join(char for char in folded if not _invisible(char)).split())


def name_clean(name: str) -> str:
    """The name as it is stored and shown: invisible characters removed, spaces collapsed."""
    visible = "".join(char for char in unicodedata.normalize("NFC", name) if not _invisible(char))
    return " ".join(visible.split())
