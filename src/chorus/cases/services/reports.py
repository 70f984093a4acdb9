"""The process-failure channel: anyone may tell the oversight body how a case was
handled. The report is sealed to each oversight member who did not act in that case,
and to nobody else — not the advocates, not the panel, not leadership."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext as _

from chorus.accounts.models import Member
from chorus.cases import keys as case_keys
from chorus.cases.models import Case, ProcessReport, ProcessReportCopy
from chorus.cases.services.core import CaseError, clean_text
from chorus.cases.services.stages import case_by_reference
from chorus.ledger.services import ledger_append
from chorus.records import keys
from chorus.web import tasks


def _acted_in(case: Case | None) -> set[bytes]:
    if case is None:
        return set()
    return {bytes(tag) for tag in case.parties.exclude(tag=None).values_list("tag", flat=True) if tag is not None}


def process_report(member: Member, *, text: str, case_reference: str = "") -> ProcessReport:
    body = clean_text(text)
    case = None
    if case_reference.strip():
        case = case_by_reference(member.organization, case_reference)
        if case is None:
            try:
                case = Case.objects.filter(pk=UUID(case_reference.strip()), organization=member.organization).first()
            except ValueError:
                case = None
        if case is None:
            raise CaseError(_("That case reference was not found. Leave it empty, or copy it from the case page."))
    acted = _acted_in(case)
    if case is not None:
        body = _("About case %(case)s:") % {"case": case.reference or case.pk} + f"\n\n{body}"
    readers = [
        reader
        for reader in Member.objects.holding(member.organization, "oversight")
        .exclude(keys=None)
        .select_related("keys")
        if case_keys.member_tag(reader) not in acted and reader.pk != member.pk
    ]
    if not readers:
        raise CaseError(_("Your organization has no oversight body that could receive this yet. Nothing was sent."))
    with transaction.atomic():
        report = ProcessReport.objects.create(organization=member.organization)
        for reader in readers:
            ProcessReportCopy.objects.create(
                report=report, reader=reader, body_sealed=keys.seal_to(keys.member_public_key(reader), body.encode())
            )
            tasks.mail_later("cases/email/process_report", reader.email, {})
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="case.process_report",
            refs={"report": str(report.pk), "readers": len(readers)},
        )
    return report


@dataclass(frozen=True)
class ReportView:
    id: UUID
    at: datetime
    text: str


def process_reports_for(member: Member, vault_key: bytes) -> list[ReportView]:
    copies = ProcessReportCopy.objects.filter(reader=member).select_related("report").order_by("-report__created_at")
    private = keys.member_private_key(member, vault_key)
    views = [
        ReportView(copy.report_id, copy.report.created_at, keys.open_from(private, copy.body_sealed).decode())
        for copy in copies
    ]
    with transaction.atomic():
        ledger_append(
            organization_id=member.organization_id,
            actor=member.pseudonym,
            action="case.process_reports_read",
            refs={"reports": len(views)},
        )
    return views
