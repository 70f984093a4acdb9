"""The rows a case page works from (``core.case_rows_load``, SQL written once) are what the
ORM's prefetch of the same relations gives, in the same order, on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from chorus.cases.models import Allegation, Case, Decision, Measure, Milestone, Party
from chorus.cases.services.core import case_rows_load
from tests.cases.factory import PANELS, formal_decided, opened, people
from tests.helpers import fields_with_types
from tests.personas import Personas

pytestmark = pytest.mark.django_db

RELATIONS = ["parties", "measures", "milestones", "periods", "decisions", "allegations"]
# What the page follows from each row, loaded in the same query.
FOLLOWED = {"measures": "owner", "milestones": "verifier", "decisions": "allegation"}


def _by_the_orm(case_id: Any) -> Case:
    case = Case.objects.get(pk=case_id)
    prefetch_related_objects(
        [case],
        Prefetch("parties", queryset=Party.objects.order_by("added_at", "id")),
        Prefetch("measures", queryset=Measure.objects.select_related("owner")),
        Prefetch("milestones", queryset=Milestone.objects.select_related("verifier")),
        "periods",
        Prefetch("decisions", queryset=Decision.objects.select_related("allegation")),
        "allegations",
    )
    return case


def _rich_case(personas: Personas) -> Case:
    """A decided formal case with measures (one owned, one not) and milestones besides. Every
    relation's rows were written in another order than they are read in."""
    crowd = people(personas, *PANELS)
    case = formal_decided(crowd)
    owner, verifier = case.parties.order_by("added_at")[:2]
    soon = timezone.now() + timedelta(days=30)
    # Added, entered and numbered backwards: the last written is read first, so a read in the
    # order rows were written (a table scan without ORDER BY) differs from the ORM's.
    for rows, column in ((case.parties.order_by("added_at"), "added_at"), (case.periods.all(), "entered_at")):
        for back, row in enumerate(rows):
            type(row)._default_manager.filter(pk=row.pk).update(**{column: timezone.now() - timedelta(hours=back)})
    case.allegations.update(number=5)
    Allegation.objects.create(case=case, number=2)
    Measure.objects.create(case=case, number=2, kind="supportive", category="room", owner=owner)
    Measure.objects.create(case=case, number=1, kind="interim", category="schedule", expires_at=soon)
    Milestone.objects.create(case=case, number=2, due_at=soon, verifier=verifier)
    Milestone.objects.create(case=case, number=1, due_at=soon, verifier=owner)
    other = opened(crowd, "support", summary="Another case, not this one.")  # rows that must stay out
    Measure.objects.create(case=other, number=1, kind="supportive", category="room")
    return case


def test_each_relation_holds_the_orm_s_rows_in_its_order(personas: Personas, django_assert_num_queries: Any) -> None:
    case = _rich_case(personas)
    expected = _by_the_orm(case.pk)
    loaded = Case.objects.get(pk=case.pk)
    with django_assert_num_queries(len(RELATIONS)):
        case_rows_load(loaded)
    with django_assert_num_queries(0):  # the page's reads and what it follows from them
        for relation in RELATIONS:
            rows, wanted = list(getattr(loaded, relation).all()), list(getattr(expected, relation).all())
            assert rows, relation  # the case has some of each
            if relation == "decisions":  # no order of their own: the database's
                rows, wanted = sorted(rows, key=lambda row: row.pk), sorted(wanted, key=lambda row: row.pk)
            assert [row.pk for row in rows] == [row.pk for row in wanted], relation
            for row, want in zip(rows, wanted, strict=True):
                assert fields_with_types(row) == fields_with_types(want), relation
                assert row.case is loaded
                if relation in FOLLOWED:
                    followed, orm = getattr(row, FOLLOWED[relation]), getattr(want, FOLLOWED[relation])
                    assert (followed is None) == (orm is None), relation
                    if followed is not None:
                        assert fields_with_types(followed) == fields_with_types(orm), relation
    assert [measure.owner is None for measure in loaded.measures.all()] == [True, False]  # numbered 1, 2


def test_what_is_chained_on_a_loaded_relation_reads_as_after_the_orm_s_prefetch(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    case = _rich_case(personas)
    expected = _by_the_orm(case.pk)
    loaded = Case.objects.get(pk=case.pk)
    case_rows_load(loaded)
    for relation in RELATIONS:
        chained, orm = getattr(loaded, relation).all(), getattr(expected, relation).all()
        assert chained.ordered == orm.ordered, relation
        assert str(chained.filter(pk__isnull=False).query) == str(orm.filter(pk__isnull=False).query), relation
    assert loaded.parties.first() == expected.parties.first()
    with django_assert_num_queries(1):  # the owners come with the measures, as after the ORM's prefetch
        owners = [measure.owner for measure in loaded.measures.filter(case=case)]
    assert [owner.pk if owner else None for owner in owners] == [m.owner_id for m in expected.measures.all()]


def test_a_filter_on_a_loaded_relation_still_reads_only_this_case(personas: Personas) -> None:
    case = _rich_case(personas)
    case_rows_load(case)
    mine = set(Measure.objects.filter(case=case).values_list("pk", flat=True))
    assert set(case.measures.filter(kind__in=["supportive", "interim"]).values_list("pk", flat=True)) == mine
    assert Measure.objects.exclude(case=case).exists()


def test_a_case_with_nothing_yet_loads_empty_relations(personas: Personas, django_assert_num_queries: Any) -> None:
    case = opened(people(personas), "support")
    case = Case.objects.get(pk=case.pk)
    joined = list(Party.objects.filter(case=case).order_by("added_at", "id").values_list("pk", flat=True))
    case_rows_load(case)
    with django_assert_num_queries(0):
        assert not list(case.measures.all()) and not list(case.milestones.all()) and not list(case.decisions.all())
        assert [party.pk for party in case.parties.all()] == joined
