"""PDF documents in Chorus's own fonts (DejaVu, installed by the setup): the survivor's
record export and the organization's insights report."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONT = "DejaVu"


class Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        font_dir = settings.CHORUS_EXPORT_FONT_DIR
        self.add_font(FONT, "", str(font_dir / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(font_dir / "DejaVuSans-Bold.ttf"))
        self.set_creator("Chorus")
        self.set_title(title)
        self.set_auto_page_break(auto=True, margin=18)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 6, _("Page %(number)d") % {"number": self.page_no()}, align="C")

    def paragraph(self, height: float, text: str, *, size: float = 10, bold: bool = False) -> None:
        """A paragraph the full width of the page, leaving the cursor at the next line's start."""
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def finish(self) -> bytes:
        return bytes(self.output())
