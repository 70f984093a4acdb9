"""The escrow pages as a member and an advocate use them."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from chorus.escrow.models import Group, GroupMember, Match
from chorus.ledger.models import LedgerHead
from chorus.ledger.services import chain_for
from chorus.records.services.team import team_key_ensure
from tests.escrow.factory import SAM, client_for, matched_group, member_owner
from tests.personas import Personas


def _submit(client: Client, text: str, kind: str = "email", **extra: str) -> object:
    data = {"kind_0": kind, "text_0": text, "tell_me": "yes", "would_meet": "yes", "release": "contact"}
    return client.post(reverse("escrow_new"), {**data, **extra}, follow=True)


def _stable(html: str) -> str:
    """The page without what differs between any two requests (tokens, ids, times)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'<script id="escrow-setup" type="application/json">.*?</script>', "", html, flags=re.S)  # per member
    html = re.sub(r"/escrow/entries/[0-9a-f-]+/", "/escrow/entries/ID/", html)
    return re.sub(r"\d{1,2} \w+ \d{4}", "DATE", html)


def test_the_answer_is_the_same_whether_or_not_the_entry_matched(personas: Personas) -> None:
    """No oracle: the second submitter's response (and list) equals the first's."""
    first = client_for(personas.survivor, personas.vault_keys["survivor"])
    robin = member_owner(personas, "robin")
    second = client_for(robin.member, robin.vault_key)
    team_key_ensure(personas.organization)  # made once, at the first share or entry ever
    head = LedgerHead.objects.filter(chain=chain_for(personas.organization.pk))
    before = head.get().seq
    unmatched = _submit(first, SAM)
    assert Match.objects.count() == 0
    between = head.get().seq
    matched = _submit(second, "sam.lee@example.org")
    assert Match.objects.count() == 1
    # Members see the ledger's head: a match must not add events there either.
    assert head.get().seq - between == between - before
    assert unmatched.status_code == matched.status_code == 200  # type: ignore[attr-defined]
    assert unmatched.redirect_chain == matched.redirect_chain  # type: ignore[attr-defined]
    first_page = _stable(unmatched.content.decode()).replace(SAM, "X")  # type: ignore[attr-defined]
    second_page = _stable(matched.content.decode()).replace("sam.lee@example.org", "X")  # type: ignore[attr-defined]
    first_page = first_page.replace(personas.survivor.display_name, "NAME")
    second_page = second_page.replace(robin.member.display_name, "NAME")  # type: ignore[union-attr]
    assert first_page == second_page
    assert "Your entry is held in escrow" in second_page


def test_a_bad_identifier_keeps_everything_and_names_the_row(personas: Personas) -> None:
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    response = client.post(
        reverse("escrow_new"),
        {
            "kind_0": "email",
            "text_0": SAM,
            "kind_1": "phone",
            "text_1": "12345",
            "tell_me": "yes",
            "would_meet": "no",
            "release": "contact",
            "statement": "In the stairwell.",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_text_1_error"' in html and "country code" in html
    assert SAM in html and "In the stairwell." in html  # nothing typed is lost


def test_withdraw_from_the_entry_page(personas: Personas) -> None:
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    _submit(client, SAM)
    entry_url = re.search(r'href="(/escrow/entries/[0-9a-f-]+/)"', client.get(reverse("escrow")).content.decode())
    assert entry_url is not None
    page = client.get(entry_url.group(1)).content.decode()
    assert "Your contact and your few words" in page
    assert "On the server, in memory, because JavaScript was off" in page
    response = client.post(entry_url.group(1) + "withdraw/", follow=True)
    assert "You withdrew this entry" in response.content.decode()


def test_advocate_opens_invites_and_the_group_decides(personas: Personas) -> None:
    match, group = matched_group(personas)
    advocate = client_for(personas.advocate, personas.vault_keys["advocate"])
    page = advocate.get(reverse("match_detail", args=[match.pk])).content.decode()
    assert "Email address: sam.lee@example.org" in page and "Survivor B" in page
    assert "Invited to the group." in page

    survivor = client_for(personas.survivor, personas.vault_keys["survivor"])
    assert "waiting for your answer" in survivor.get(reverse("escrow")).content.decode()
    group_url = reverse("escrow_group", args=[group.pk])
    survivor.post(reverse("escrow_group_respond", args=[group.pk]), {"answer": "join"})
    survivor.post(group_url, {"body": "I am glad I am not alone."})
    survivor.post(reverse("escrow_group_choice", args=[group.pk]), {"choice": "restorative"})
    robin_member = GroupMember.objects.get(group=group, name="Survivor B")
    assert robin_member.joined_at is None
    assert Group.objects.get().outcome == ""
    # The advocate reads the thread but cannot decide.
    team_page = advocate.get(reverse("team_group", args=[group.pk])).content.decode()
    assert "I am glad I am not alone." in team_page
    assert 'name="choice"' not in team_page
    refused = advocate.post(reverse("escrow_group_choice", args=[group.pk]), {"choice": "formal"})
    assert refused.status_code == 404


def test_the_advocate_tells_a_survivor_who_asked_and_only_them(personas: Personas) -> None:
    from chorus.escrow.services.entries import Choices, Named, entry_submit
    from tests.escrow.factory import name
    from tests.records.factory import survivor_owner

    name(survivor_owner(personas), ("email", SAM), would_meet=False)
    robin = member_owner(personas, "robin")
    entry_submit(
        robin, named=[Named("email", SAM)], choices=Choices(tell_me=False, would_meet=False, release="contact")
    )
    match = Match.objects.get()
    advocate = client_for(personas.advocate, personas.vault_keys["advocate"])
    page = advocate.get(reverse("match_detail", args=[match.pk])).content.decode()
    assert "Write to Survivor A" in page and "Write to Survivor B" not in page
    tell = reverse("match_tell", args=[match.pk])
    refused = advocate.post(tell, {"name": "Survivor B", "body": "Hello"}, follow=True).content.decode()
    assert "did not ask to be told" in refused
    advocate.post(tell, {"name": "Survivor A", "body": "Two people named the same person. Could we talk?"})
    survivor = client_for(personas.survivor, personas.vault_keys["survivor"])
    assert "Could we talk?" in survivor.get(reverse("escrow")).content.decode()
    robin_client = client_for(robin.member, robin.vault_key)
    assert "Could we talk?" not in robin_client.get(reverse("escrow")).content.decode()
