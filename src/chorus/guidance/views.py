"""Guidance for friends and allies: read by anyone, signed in or not; edited by the
organization's administrators and advocates. The organization is the one in the address,
as for reporting without an account."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus.accounts.access import member_required, signed_in_member
from chorus.accounts.models import Member, Organization
from chorus.guidance.forms import PageForm, ResourceForm
from chorus.guidance.markdown import render as render_markdown
from chorus.guidance.models import FALLBACK, LANGUAGES, GuidancePage, GuidanceVersion, Resource
from chorus.guidance.services import (
    RESOURCE_FIELDS,
    current,
    guidance_restore,
    guidance_save,
    may_edit,
    pages_shown,
    resource_add,
    resource_change,
    resource_remove,
)


def _organization(slug: str) -> Organization:
    return get_object_or_404(Organization, slug=slug)


def _page(organization: Organization, page_slug: str) -> GuidancePage:
    return get_object_or_404(GuidancePage, organization=organization, slug=page_slug)


def _editor(request: HttpRequest, organization: Organization) -> Member:
    """The signed-in administrator or advocate of ``organization``; 403 for anyone else."""
    member = signed_in_member(request)
    if not may_edit(member, organization):
        raise PermissionDenied
    return member


def _language_name(code: str) -> str:
    return str(translation.get_language_info(code)["name_local"])


@require_GET
def guidance(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _organization(slug)
    language = translation.get_language()
    return render(
        request,
        "guidance/index.html",
        {
            "guide_organization": organization,
            "pages": pages_shown(organization, language),
            "may_edit": may_edit(request.user, organization),
        },
    )


@require_GET
def guidance_page(request: HttpRequest, slug: str, page_slug: str) -> HttpResponse:
    organization = _organization(slug)
    page = _page(organization, page_slug)
    shown = current(page, translation.get_language())
    if shown is None:
        raise Http404
    return render(
        request,
        "guidance/page.html",
        {
            "guide_organization": organization,
            "shown": shown,
            "html": render_markdown(shown.version.body),
            "wanted_language": _language_name(translation.get_language()),
            "resources": Resource.objects.filter(organization=organization) if page.shows_resources else [],
            "may_edit": may_edit(request.user, organization),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
def guidance_edit(request: HttpRequest, slug: str, page_slug: str) -> HttpResponse:
    """Write a new version in one language; "Preview" shows it as visitors will see it,
    without saving."""
    organization = _organization(slug)
    editor = _editor(request, organization)
    page = _page(organization, page_slug)
    language = request.GET.get("language", "")
    if language not in LANGUAGES:
        language = translation.get_language() if translation.get_language() in LANGUAGES else FALLBACK
    version = page.versions.filter(language=language).order_by("-number").first()
    initial = {"language": language}
    if version is not None:
        initial |= {"title": version.title, "summary": version.summary, "body": version.body}
    form = PageForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        else:
            saved = guidance_save(
                page=page,
                language=language,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                body=form.cleaned_data["body"],
                author=editor,
            )
            messages.success(
                request,
                _("Saved as version %(number)d in %(language)s. Visitors now read this version.")
                % {"number": saved.number, "language": _language_name(language)},
            )
            return redirect("guidance_history", slug=organization.slug, page_slug=page.slug)
    return render(
        request,
        "guidance/edit.html",
        {
            "guide_organization": organization,
            "page": page,
            "form": form,
            "preview": preview,
            "language": language,
            "language_name": _language_name(language),
            "languages": [(code, _language_name(code)) for code in LANGUAGES],
            "current": version,
        },
    )


@require_GET
@member_required
def guidance_history(request: HttpRequest, slug: str, page_slug: str) -> HttpResponse:
    organization = _organization(slug)
    _editor(request, organization)
    page = _page(organization, page_slug)
    versions = list(page.versions.select_related("author").order_by("language", "-number"))
    chains = [
        (_language_name(code), [version for version in versions if version.language == code]) for code in LANGUAGES
    ]
    shown = current(page, translation.get_language())
    return render(
        request,
        "guidance/history.html",
        {"guide_organization": organization, "page": page, "chains": chains, "shown": shown},
    )


def _version(page: GuidancePage, version_id: UUID) -> GuidanceVersion:
    return get_object_or_404(GuidanceVersion.objects.select_related("author", "page"), page=page, pk=version_id)


@require_GET
@member_required
def guidance_version(request: HttpRequest, slug: str, page_slug: str, version_id: UUID) -> HttpResponse:
    organization = _organization(slug)
    _editor(request, organization)
    page = _page(organization, page_slug)
    version = _version(page, version_id)
    newest = page.versions.filter(language=version.language).order_by("-number").first()
    return render(
        request,
        "guidance/version.html",
        {
            "guide_organization": organization,
            "page": page,
            "version": version,
            "html": render_markdown(version.body),
            "is_current": newest is not None and newest.pk == version.pk,
            "language_name": _language_name(version.language),
        },
    )


@require_POST
@member_required
def guidance_version_restore(request: HttpRequest, slug: str, page_slug: str, version_id: UUID) -> HttpResponse:
    organization = _organization(slug)
    editor = _editor(request, organization)
    page = _page(organization, page_slug)
    version = _version(page, version_id)
    restored = guidance_restore(version=version, author=editor)
    messages.success(
        request,
        _("Version %(old)d is back as version %(new)d. Visitors now read it; nothing in between was deleted.")
        % {"old": version.number, "new": restored.number},
    )
    return redirect("guidance_history", slug=organization.slug, page_slug=page.slug)


@require_GET
@member_required
def guidance_resources(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _organization(slug)
    _editor(request, organization)
    return render(
        request,
        "guidance/resources.html",
        {"guide_organization": organization, "resources": Resource.objects.filter(organization=organization)},
    )


def _resource(organization: Organization, resource_id: UUID) -> Resource:
    return get_object_or_404(Resource, organization=organization, pk=resource_id)


@require_http_methods(["GET", "POST"])
@member_required
def guidance_resource_new(request: HttpRequest, slug: str) -> HttpResponse:
    organization = _organization(slug)
    editor = _editor(request, organization)
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        resource = resource_add(
            organization=organization, author=editor, **{name: form.cleaned_data[name] for name in RESOURCE_FIELDS}
        )
        messages.success(request, _("%(name)s is in the directory.") % {"name": resource.name})
        return redirect("guidance_resources", slug=organization.slug)
    return render(request, "guidance/resource_form.html", {"guide_organization": organization, "form": form})


@require_http_methods(["GET", "POST"])
@member_required
def guidance_resource_edit(request: HttpRequest, slug: str, resource_id: UUID) -> HttpResponse:
    organization = _organization(slug)
    editor = _editor(request, organization)
    resource = _resource(organization, resource_id)
    form = ResourceForm(request.POST or None, initial={name: getattr(resource, name) for name in RESOURCE_FIELDS})
    if request.method == "POST" and form.is_valid():
        resource_change(resource=resource, author=editor, **{name: form.cleaned_data[name] for name in RESOURCE_FIELDS})
        messages.success(request, _("Saved the changes to %(name)s.") % {"name": resource.name})
        return redirect("guidance_resources", slug=organization.slug)
    return render(
        request,
        "guidance/resource_form.html",
        {"guide_organization": organization, "form": form, "resource": resource},
    )


@require_http_methods(["GET", "POST"])
@member_required
def guidance_resource_remove(request: HttpRequest, slug: str, resource_id: UUID) -> HttpResponse:
    """GET asks; POST removes."""
    organization = _organization(slug)
    editor = _editor(request, organization)
    resource = _resource(organization, resource_id)
    if request.method == "POST":
        name = resource.name
        resource_remove(resource=resource, author=editor)
        messages.success(request, _("%(name)s is no longer in the directory.") % {"name": name})
        return redirect("guidance_resources", slug=organization.slug)
    return render(request, "guidance/resource_remove.html", {"guide_organization": organization, "resource": resource})
