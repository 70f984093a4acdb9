"""The transparency page's preparation figures: a share per role, never a name, and nothing
about a group small enough to point at someone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chorus.insights.transparency import prepared_share
from tests.escrow.factory import client_for
from tests.personas import Personas, add_member
from tests.preparation.factory import unprepared

pytestmark = pytest.mark.django_db


def _rows(personas: Personas) -> str:
    page = client_for(personas.survivor, personas.vault_keys["survivor"]).get(reverse("transparency")).content.decode()
    return page.split('id="preparation-shares"', 1)[1].split("</table>", 1)[0]


def test_a_small_group_shows_no_share(personas: Personas) -> None:
    unprepared(personas.organization, "Ana", {"panel"})
    rows = _rows(personas)
    assert '<th scope="row">Panel member</th><td>not shown</td>' in rows
    assert '<th scope="row">Appeal panel member</th><td>nobody holds this role</td>' in rows
    assert "Ana" not in rows


def test_a_group_at_the_threshold_shows_a_rounded_share(personas: Personas) -> None:
    for name in ("panel2", "panel3", "panel4", "panel5", "panel6", "panel7", "panel8"):
        add_member(personas.organization, name, {"panel"})  # prepared, as seeded
    unprepared(personas.organization, "Ana", {"panel"})
    unprepared(personas.organization, "Bea", {"panel"})
    rows = _rows(personas)  # 8 of 10 panel members prepared
    assert '<th scope="row">Panel member</th><td>about 80%</td>' in rows
    assert "Ana" not in rows and "Bea" not in rows


@pytest.mark.parametrize(
    ("holders", "prepared", "shown"),
    [(0, 0, "nobody holds this role"), (4, 4, "not shown"), (4, 0, "not shown"), (5, 5, "all (100%)"),
     (5, 0, "none (0%)"), (6, 5, "about 80%"), (20, 19, "about 90%"), (20, 1, "about 10%"), (7, 3, "about 40%")],
)  # fmt: skip
def test_each_share_is_printed_as_the_rule_says(holders: int, prepared: int, shown: str) -> None:
    assert prepared_share(holders, prepared, 5) == shown
