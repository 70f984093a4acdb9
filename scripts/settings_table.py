"""Write docs/settings.md from chorus.config.env (`make docs`)."""

from pathlib import Path

from chorus.config.env import reference_markdown

target = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
target.write_text(reference_markdown())
print(f"wrote {target}")
