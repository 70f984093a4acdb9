"""Guidance in the organization's own voice, for friends, colleagues and allies, and the
directory of services it points people to.

Nothing here is private: pages and resources are written to be read by anyone, signed in or
not. A version names its author (a member) so editors can see who changed what; the ledger
records each change under the author's pseudonym with a hash of the text.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from chorus.accounts.models import Member, Organization

# The languages a page has a body in; the first is the one every page always has.
LANGUAGES = ("en", "es")
FALLBACK = LANGUAGES[0]


class GuidancePage(models.Model):
    """One page of guidance. Its words are in its versions, one chain per language."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    # The page that shows the resources directory under its text ("where to get help").
    shows_resources = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("position", "slug")
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="guidance_page_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.slug


class GuidanceVersion(models.Model):
    """A saved text of a page in one language. Never changed: each save, and each restore of
    an earlier text, adds the next number; the highest number is what visitors read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    page = models.ForeignKey(GuidancePage, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(max_length=8)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=150)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown; rendered and sanitized when shown.")
    # No author: Chorus's starting content.
    author = models.ForeignKey(Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=["page", "language", "number"], name="guidance_version_number_unique"),
            models.CheckConstraint(condition=Q(language__in=LANGUAGES), name="guidance_version_language_known"),
            models.CheckConstraint(condition=Q(number__gte=1), name="guidance_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} {self.language} {self.number}"


class Resource(models.Model):
    """A service people can turn to: a helpline, a counselling service, a legal clinic."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=150)
    offers = models.TextField(max_length=1000)
    contact = models.CharField(max_length=300)
    languages = models.CharField(max_length=150, blank=True)
    hours = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name", "created_at")

    def __str__(self) -> str:
        return self.name
