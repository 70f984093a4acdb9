"""Writing guidance: the starting pages, each saved version, restores, and the directory.

Every change an editor makes is a ledger event under their pseudonym, with a hash of the
text (the ledger never holds the words, even public ones)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from chorus.accounts.models import Member, Organization
from chorus.guidance.models import FALLBACK, LANGUAGES, GuidancePage, GuidanceVersion, Resource
from chorus.guidance.seed import STARTING_PAGES
from chorus.ledger.services import ledger_append

EDITOR_ROLES = frozenset({"admin", "advocate"})


class GuidanceError(Exception):
    """A change that cannot be made; the message says why, for the editor."""


def may_edit(member: object, organization: Organization) -> bool:
    """Administrators and advocates of the organization, and nobody else."""
    return (
        isinstance(member, Member)
        and member.is_authenticated
        and member.organization_id == organization.pk
        and bool(member.role_codes & EDITOR_ROLES)
    )


def guidance_seed(*, organization: Organization) -> None:
    """Chorus's starting pages for an organization that has none yet (first versions,
    without an author)."""
    if GuidancePage.objects.filter(organization=organization).exists():
        return
    now = timezone.now()
    pages = GuidancePage.objects.bulk_create(
        GuidancePage(
            organization=organization,
            slug=starting.slug,
            position=position,
            shows_resources=starting.shows_resources,
            created_at=now,
        )
        for position, starting in enumerate(STARTING_PAGES)
    )
    GuidanceVersion.objects.bulk_create(
        GuidanceVersion(
            page=page,
            language=language,
            number=1,
            title=text.title,
            summary=text.summary,
            body=text.body,
            created_at=now,
        )
        for page, starting in zip(pages, STARTING_PAGES, strict=True)
        for language, text in starting.texts.items()
    )


@dataclass(frozen=True)
class Shown:
    """What a visitor reads of a page: the current version in their language, or in
    English when there is none (``fallback``)."""

    page: GuidancePage
    version: GuidanceVersion
    fallback: bool


def current(page: GuidancePage, language: str) -> Shown | None:
    wanted = language if language in LANGUAGES else FALLBACK
    for code in dict.fromkeys((wanted, FALLBACK)):
        version = page.versions.filter(language=code).order_by("-number").first()
        if version is not None:
            return Shown(page=page, version=version, fallback=code != wanted)
    return None


def pages_shown(organization: Organization, language: str) -> list[Shown]:
    """Every page of the organization in ``language`` (one query for the versions)."""
    wanted = language if language in LANGUAGES else FALLBACK
    pages = list(GuidancePage.objects.filter(organization=organization))
    latest: dict[tuple[object, str], GuidanceVersion] = {}
    for version in GuidanceVersion.objects.filter(page__in=pages, language__in={wanted, FALLBACK}).order_by("number"):
        latest[(version.page_id, version.language)] = version
    shown = []
    for page in pages:
        newest = latest.get((page.pk, wanted)) or latest.get((page.pk, FALLBACK))
        if newest is not None:
            shown.append(Shown(page=page, version=newest, fallback=newest.language != wanted))
    return shown


def _next_number(page: GuidancePage, language: str) -> int:
    top = page.versions.filter(language=language).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def guidance_save(
    *,
    page: GuidancePage,
    language: str,
    title: str,
    summary: str,
    body: str,
    author: Member,
    restored_from: int | None = None,
) -> GuidanceVersion:
    """A new version of ``page`` in ``language``: from now on, what visitors read."""
    if not may_edit(author, page.organization):
        raise GuidanceError("only the organization's administrators and advocates edit its guidance")
    if language not in LANGUAGES:
        raise GuidanceError(f"unknown language: {language!r}")
    with transaction.atomic():
        # Lock the page so two editors saving at once get consecutive numbers; the unique
        # constraint is the last line of defence.
        GuidancePage.objects.select_for_update().filter(pk=page.pk).first()
        version = GuidanceVersion.objects.create(
            page=page,
            language=language,
            number=_next_number(page, language),
            title=title,
            summary=summary,
            body=body,
            author=author,
            restored_from=restored_from,
        )
        ledger_append(
            organization_id=page.organization_id,
            actor=author.pseudonym,
            action="guidance.restored" if restored_from is not None else "guidance.saved",
            refs={
                "page": page.slug,
                "language": language,
                "version": version.number,
                **({"from": restored_from} if restored_from is not None else {}),
            },
            payload={"title": title, "summary": summary, "body": body},
        )
    return version


def guidance_restore(*, version: GuidanceVersion, author: Member) -> GuidanceVersion:
    """An earlier version's words, saved again as the newest version (history is never
    rewritten: the versions in between stay)."""
    return guidance_save(
        page=version.page,
        language=version.language,
        title=version.title,
        summary=version.summary,
        body=version.body,
        author=author,
        restored_from=version.number,
    )


RESOURCE_FIELDS = ("name", "offers", "contact", "languages", "hours")


def _resource_payload(resource: Resource) -> dict[str, str]:
    return {name: getattr(resource, name) for name in RESOURCE_FIELDS}


def resource_add(*, organization: Organization, author: Member, **fields: str) -> Resource:
    if not may_edit(author, organization):
        raise GuidanceError("only the organization's administrators and advocates edit its directory")
    with transaction.atomic():
        resource = Resource.objects.create(organization=organization, **fields)
        ledger_append(
            organization_id=organization.pk,
            actor=author.pseudonym,
            action="guidance.resource_added",
            refs={"resource": str(resource.pk)},
            payload=_resource_payload(resource),
        )
    return resource


def resource_change(*, resource: Resource, author: Member, **fields: str) -> Resource:
    if not may_edit(author, resource.organization):
        raise GuidanceError("only the organization's administrators and advocates edit its directory")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(resource, name, value)
        resource.changed_at = timezone.now()
        resource.save()
        ledger_append(
            organization_id=resource.organization_id,
            actor=author.pseudonym,
            action="guidance.resource_changed",
            refs={"resource": str(resource.pk)},
            payload=_resource_payload(resource),
        )
    return resource


def resource_remove(*, resource: Resource, author: Member) -> None:
    if not may_edit(author, resource.organization):
        raise GuidanceError("only the organization's administrators and advocates edit its directory")
    with transaction.atomic():
        ledger_append(
            organization_id=resource.organization_id,
            actor=author.pseudonym,
            action="guidance.resource_removed",
            refs={"resource": str(resource.pk)},
        )
        resource.delete()
