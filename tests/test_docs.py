"""The documentation a newcomer follows: every relative link in README.md and docs/ leads to a
file that exists and, with a #fragment, to a heading in it (GitHub's heading anchors); every
page under docs/ can be reached from the README."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")


def _prose(text: str) -> str:
    """The text without code blocks and inline code, where brackets are not links."""
    return _CODE.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip()).lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    kept = "".join(char for char in text if char in " -_" or unicodedata.category(char)[0] in {"L", "N"})
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in _FENCE.sub("", page.read_text()).splitlines():
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = _slug(heading.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def _links(page: Path) -> list[str]:
    return [target for target in _LINK.findall(_prose(page.read_text())) if not re.match(r"^[a-z]+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        path, _, fragment = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif fragment and destination.suffix == ".md" and fragment not in _anchors(destination):
            broken.append(f"{target}: no heading with that anchor")
    assert broken == [], f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    reached = {ROOT / "README.md"}
    waiting = [ROOT / "README.md"]
    while waiting:
        page = waiting.pop()
        for target in _links(page):
            path = target.partition("#")[0]
            if not path:
                continue
            destination = (page.parent / path).resolve()
            pages = sorted(destination.glob("*.md")) if destination.is_dir() else [destination]
            for found in pages:
                if found.suffix == ".md" and found.exists() and found not in reached:
                    reached.add(found)
                    waiting.append(found)
    orphans = [str(page.relative_to(ROOT)) for page in PAGES if page not in reached]
    assert orphans == [], "pages no link leads to"


def test_the_link_check_finds_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\nSee [there](missing.md), [here](#title), [code](`not a link`) and `[x](y.md)`.\n")
    assert _links(page) == ["missing.md", "#title"]
    assert _anchors(page) == {"title"}
    assert _slug("Keys: what a database dump cannot open") == "keys-what-a-database-dump-cannot-open"
    assert _slug("`chorus backup` — and restore") == "chorus-backup--and-restore"
