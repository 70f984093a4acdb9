"""When two display names are the same name to a reader.

Members choose their display name; others see it on proposals, in "Who holds power" and in
cases. Two members must never look alike there, or one person could pass an account they
control off as a trusted colleague. Names are compared after Unicode compatibility
normalization (NFKC: "Ａna" is "Ana"), case folding ("ANA" is "ana"), removing invisible
format characters (zero-width spaces and joiners, bidirectional marks) and collapsing
whitespace. Look-alike letters from other scripts (Cyrillic "а" for Latin "a") are not
folded: the pages that matter show the member's email address beside the name.
"""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """The form two display names are compared in; empty when nothing visible is left."""
    normalized = unicodedata.normalize("NFKC", name)
    visible = "".join(char for char in normalized if unicodedata.category(char) not in {"Cf", "Cc"})
    return " ".join(unicodedata.normalize("NFKC", visible.casefold()).split())


def name_clean(name: str) -> str:
    """The name as it is stored and shown: invisible characters removed, spaces collapsed."""
    visible = "".join(
        char for char in unicodedata.normalize("NFC", name) if unicodedata.category(char) not in {"Cf", "Cc"}
    )
    return " ".join(visible.split())
