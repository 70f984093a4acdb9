"""The survivor's copy of their record: a ZIP archive and a PDF, each with every
version and its time and every attachment. Exports are ledgered (the fact, not the content)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

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
from chorus.web.pdf import Document


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
        stem, _dot, extension = info.name.rpartition(".")
        names.append(info.name if count == 0 else f"{stem} ({count + 1}).{extension}")
    return names


def export_zip(owner: Owner, record: Record) -> bytes:
    contents, files = _gathered(owner, record, "zip")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for version in contents.versions:
            lines = [
                _("Version %(number)d — saved %(when)s") % {"number": version.number, "when": _stamp(version.saved_at)},
                "",
            ]
            for part in PARTS:
                if version.parts.get(part.name):
                    lines += [str(part.label), version.parts[part.name], ""]
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


def export_pdf(owner: Owner, record: Record) -> bytes:
    contents, files = _gathered(owner, record, "pdf")
    title = contents.title or _("My record")
    pdf = Document(title)
    pdf.paragraph(9, title, size=16, bold=True)
    pdf.paragraph(
        5,
        _("Exported %(when)s. Every saved version is below, oldest first, with the time it was saved.")
        % {"when": _stamp(timezone.now())},
        size=9,
    )
    for version in contents.versions:
        pdf.ln(4)
        heading = _("Version %(number)d — saved %(when)s") % {
            "number": version.number,
            "when": _stamp(version.saved_at),
        }
        pdf.paragraph(7, heading, size=12, bold=True)
        for part in PARTS:
            if version.parts.get(part.name):
                pdf.paragraph(6, str(part.label), bold=True)
                pdf.paragraph(5, version.parts[part.name])
    if files:
        pdf.ln(4)
        pdf.paragraph(7, _("Attachments"), size=12, bold=True)
        for name, info, data in files:
            added = _("%(name)s — added %(when)s (%(type)s)") % {
                "name": name,
                "when": _stamp(info.added_at),
                "type": info.mime,
            }
            pdf.paragraph(6, added)
            if info.kind == "image":
                pdf.image(io.BytesIO(data), w=min(120, pdf.epw))
                pdf.ln(2)
            pdf.embed_file(bytes=data, basename=name, mime_type=info.mime)
    return pdf.finish()
