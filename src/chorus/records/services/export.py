"""The survivor's copy of their record: a ZIP archive and a PDF, each with every
version and its time and every attachment. Exports are ledgered (the fact, not the content)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from chorus.ledger.services import ledger_append
from chorus.records.access import Owner
from chorus.records.fields import PARTS
from chorus.records.models import Record
from chorus.records.services.writing import (
    OWNER_ACTOR,
    AttachmentInfo,
    RecordContents,
    attachments_open,
    record_contents,
)

_LABELS = {part.name: str(part.label) for part in PARTS}


def _stamp(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _gathered(
    owner: Owner, record: Record, kind: str
) -> tuple[RecordContents, list[tuple[str, AttachmentInfo, bytes]]]:
    """The versions, and each file with a name unique in the export."""
    contents = record_contents(owner, record)
    opened = attachments_open(owner, record)
    files = [(name, info, data) for name, (info, data) in zip(_unique_names(opened), opened, strict=True)]
    with transaction.atomic():
        ledger_append(
            organization_id=owner.organization.pk,
            actor=OWNER_ACTOR,
            action="record.exported",
            refs={"record": str(record.pk), "format": kind},
        )
    return contents, files


def _unique_names(files: list[tuple[AttachmentInfo, bytes]]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for info, _data in files:
        count = seen.get(info.name, 0)
        seen[info.name] = count + 1
        stem, _, extension = info.name.rpartition(".")
        names.append(info.name if count == 0 else f"{stem} ({count + 1}).{extension}")
    return names


def export_zip(owner: Owner, record: Record) -> bytes:
    contents, files = _gathered(owner, record, "zip")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for version in contents.versions:
            lines = [f"Version {version.number}, saved {_stamp(version.saved_at)}", ""]
            for name, label in _LABELS.items():
                if version.parts.get(name):
                    lines += [label, version.parts[name], ""]
            archive.writestr(f"versions/version-{version.number:03d}.txt", "\n".join(lines))
        archive.writestr(
            "record.json",
            json.dumps(
                {
                    "record": str(record.pk),
                    "created_at": record.created_at.isoformat(),
                    "versions": [
                        {"number": v.number, "saved_at": v.saved_at.isoformat(), "parts": v.parts}
                        for v in contents.versions
                    ],
                    "attachments": [
                        {"file": f"attachments/{name}", "added_at": info.added_at.isoformat(), "type": info.mime}
                        for name, info, _data in files
                    ],
                },
                ensure_ascii=False,
                indent=2,
            ),
        )
        for name, _info, data in files:
            archive.writestr(f"attachments/{name}", data)
    return out.getvalue()


def _line(pdf: FPDF, height: float, text: str) -> None:
    """A paragraph the full width of the page, leaving the cursor at the next line's start."""
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 6, f"Page {self.page_no()}", align="C")


def export_pdf(owner: Owner, record: Record) -> bytes:
    contents, files = _gathered(owner, record, "pdf")
    pdf = _Document(format="A4")
    font_dir = settings.CHORUS_EXPORT_FONT_DIR
    pdf.add_font("DejaVu", "", str(font_dir / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(font_dir / "DejaVuSans-Bold.ttf"))
    pdf.set_creator("Chorus")
    pdf.set_title(contents.title or "My record")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    _line(pdf, 9, contents.title or "My record")
    pdf.set_font("DejaVu", size=9)
    _line(
        pdf,
        5,
        f"Exported {_stamp(timezone.now())}. Every saved version is below, oldest first, with the time it was saved.",
    )
    for version in contents.versions:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 12)
        _line(pdf, 7, f"Version {version.number} — saved {_stamp(version.saved_at)}")
        for name, label in _LABELS.items():
            if version.parts.get(name):
                pdf.set_font("DejaVu", "B", 10)
                _line(pdf, 6, label)
                pdf.set_font("DejaVu", size=10)
                _line(pdf, 5, version.parts[name])
    if files:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 12)
        _line(pdf, 7, "Attachments")
        for name, info, data in files:
            pdf.set_font("DejaVu", size=10)
            _line(pdf, 6, f"{name} — added {_stamp(info.added_at)} ({info.mime})")
            if info.kind == "image":
                pdf.image(io.BytesIO(data), w=min(120, pdf.epw))
                pdf.ln(2)
            pdf.embed_file(bytes=data, basename=name, mime_type=info.mime)
    return bytes(pdf.output())
