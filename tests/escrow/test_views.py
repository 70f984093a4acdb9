"""The escrow pages as a member and an advocate use them."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from chorus.escrow.models import Entry, Group, GroupMember, Match
from chorus.escrow.services.entries import escrow_tag
from chorus.escrow.services.groups import group_invite
from chorus.escrow.services.matches import match_open
from chorus.ledger.models import LedgerHead
from chorus.ledger.services import chain_for
from chorus.records.services.team import team_key_ensure
from tests.escrow.factory import SAM, client_for, matched_group, member_owner, name
from tests.personas import Personas
from tests.records.factory import advocate_reader, survivor_owner


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
    assert "Your entry is sealed" in second_page


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
    # One slip cannot withdraw: the entry page links to a question, and only its button withdraws.
    assert "<form" not in page.split("<main", 1)[1].split("</main>")[0]
    asked = client.get(entry_url.group(1) + "withdraw/")
    assert asked.status_code == 200
    question = asked.content.decode()
    assert "<h1>Withdraw the entry you made on " in question and "cannot be restored" in question
    assert '<button type="submit" class="danger">Withdraw this entry</button>' in question
    assert f'href="{entry_url.group(1)}">Keep the entry and go back' in question
    assert not Entry.objects.get().withdrawn_at
    response = client.post(entry_url.group(1) + "withdraw/", follow=True)
    assert "You withdrew this entry" in response.content.decode()
    assert Entry.objects.get().withdrawn_at
    # Asking again, once withdrawn, just shows the entry.
    assert client.get(entry_url.group(1) + "withdraw/")["Location"] == entry_url.group(1)


def _main_text(html: str) -> str:
    """What a person reads in the page's main part: no tags, scripts or attributes."""
    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<script.*?</script>", "", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_identifier_rows_are_numbered_and_the_first_one_is_required(personas: Personas) -> None:
    client = client_for(personas.survivor, personas.vault_keys["survivor"])
    page = client.get(reverse("escrow_new")).content.decode()
    labels = [re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"<label for=\"id_(?:kind|text)_\d\">(.*?)</label>", page, flags=re.S)]
    assert labels == [
        "Kind of identifier 1",
        "Identifier 1 (required)",
        *[f"{kind} {number} (optional)" for number in (2, 3, 4) for kind in ("Kind of identifier", "Identifier")],
    ]
    # The page's script finds each row's kind, text and error place, as before.
    assert page.count("data-row>") == 4 and page.count("data-row-error hidden") == 4
    # Identifier 1 left empty (another row filled): a clear error on row 1, and nothing else lost.
    response = client.post(
        reverse("escrow_new"),
        {"kind_0": "email", "text_0": "  ", "kind_1": "phone", "text_1": "+44 20 7946 0958", "tell_me": "yes",
         "would_meet": "no", "release": "contact", "statement": "At the depot."},
    )  # fmt: skip
    assert response.status_code == 200 and not Entry.objects.exists()
    html = response.content.decode()
    assert re.search(r'id="id_text_0_error">(<span class="sr">Error: </span>)?Write at least identifier 1: an email', html)
    assert "+44 20 7946 0958" in html and "At the depot." in html


def test_the_pages_speak_plainly_of_keeping_a_name_sealed(personas: Personas) -> None:
    _match, group = matched_group(personas)
    survivor = client_for(personas.survivor, personas.vault_keys["survivor"])
    entry = Entry.objects.filter(owner_tag=escrow_tag(survivor_owner(personas))).get()
    new_page = survivor.get(reverse("escrow_new")).content.decode()
    assert "Keep it sealed" in new_page and "until someone else names them too" in new_page
    for url in ("escrow", "escrow_new"):
        assert "escrow" not in _main_text(survivor.get(reverse(url)).content.decode()).lower(), url
    for url, args in (("escrow_entry", [entry.pk]), ("escrow_withdraw", [entry.pk]), ("escrow_group", [group.pk])):
        assert "escrow" not in _main_text(survivor.get(reverse(url, args=args)).content.decode()).lower(), url
    admin = client_for(personas.admin, personas.vault_keys["admin"])
    assert "escrow" not in _main_text(admin.get(reverse("escrow_settings")).content.decode()).lower()


def test_an_invitation_says_which_of_her_own_entries_it_is_about(personas: Personas) -> None:
    survivor_owned = survivor_owner(personas)
    name(survivor_owned, ("phone", "+44 20 7946 0958"))  # another entry of hers, not matched
    theirs = name(survivor_owned, ("email", SAM), ("instagram", "@sam.lee.bay"))
    robin = member_owner(personas, "robin")
    name(robin, ("email", "  sam.lee@EXAMPLE.ORG"), statement="Robin's own words")
    Entry.objects.filter(pk=theirs.pk).update(created_at=timezone.now() - timedelta(days=40))
    reader = advocate_reader(personas)
    group = group_invite(reader, match_open(reader, Match.objects.get()), {"Survivor A", "Survivor B"})
    survivor = client_for(personas.survivor, personas.vault_keys["survivor"])
    when = formats.date_format(timezone.localtime(timezone.now() - timedelta(days=40)), "DATE_FORMAT")
    invitations = _main_text(survivor.get(reverse("escrow")).content.decode()).split(" Invitations ")[1]
    invitations = invitations.split(" Your entries ")[0]  # her list of entries names all of them, rightly
    for text in (invitations, _main_text(survivor.get(reverse("escrow_group", args=[group.pk])).content.decode())):
        assert f"About the entry you made on {when}: {SAM}, @sam.lee.bay. See your entry" in text, text
        # Only what she wrote: never the other person's spelling, words or name.
        assert "EXAMPLE.ORG" not in text and "Robin" not in text and "7946" not in text
    page = survivor.get(reverse("escrow_group", args=[group.pk])).content.decode()
    assert f'href="/escrow/entries/{theirs.pk}/">See your entry' in page


def test_advocate_opens_invites_and_the_group_decides(personas: Personas) -> None:
    match, group = matched_group(personas)
    advocate = client_for(personas.advocate, personas.vault_keys["advocate"])
    page = advocate.get(reverse("match_detail", args=[match.pk])).content.decode()
    assert "Email address: sam.lee@example.org" in page and "Survivor B" in page
    assert "Invited to the group." in page
    named_on = re.findall(r"<dt>Named on</dt><dd>([^<]*)</dd>", page)
    assert named_on and all(not re.fullmatch(r"\d{4}-\d\d-\d\d", day) and day != "—" for day in named_on), named_on

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
