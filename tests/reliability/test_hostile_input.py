"""Hostile input at every URL Chorus has: property-based fuzzing of every form and endpoint.

For each URL of the access matrix, as a persona allowed to use it, Hypothesis sends
forms made of the field names Chorus uses anywhere (and made-up ones) with hostile
values — control characters, right-to-left overrides, overlong text, impossible dates
and numbers, markup, several values for one field — files of random bytes with random
names and types, raw bodies that are not what the endpoint expects, and query strings.
No request may end in a server error, and every refusal must explain itself: an error
page with a heading, or a JSON answer with an ``error``.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chorus.cases.machine import ACTIONS
from chorus.records.fields import PARTS
from tests.personas import Personas
from tests.web.test_access_matrix import MATRIX, _client_for

EXAMPLES = 20
SOURCE = Path(__file__).resolve().parents[2] / "src" / "chorus"


def _field_names() -> list[str]:
    """Every form field name in Chorus's forms, templates and case steps."""
    names: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"^\s+(\w+) = forms\.\w+", text, re.MULTILINE))
        names |= set(re.findall(r'\bField\(\s*"(\w+)"', text))
    for path in SOURCE.rglob("*.html"):
        names |= set(re.findall(r'\bname="(\w+)"', path.read_text(encoding="utf-8")))
    names |= {part.name for part in PARTS} | {f"kind_{row}" for row in range(3)} | {f"text_{row}" for row in range(3)}
    names.discard("csrfmiddlewaretoken")
    return sorted(names)


FIELDS = _field_names()
HOSTILE_WORDS = [
    "", " ", "\x00", "\r\n", "\t", "0", "-1", "1e309", "NaN", "99999999999999999999999999",
    "2026-02-30", "9999-12-31", "0001-01-01", "31/12/2026", str(uuid.UUID(int=0)), str(uuid.uuid4()),
    "../../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%s%n%x", '{"blinded": [1]}',
    "a" * 20_000, "\u202eevil", "yes", "no", "true", "on", "email", "phone", "formal", "support",
    "https://evil.example/", "//evil.example", "javascript:alert(1)", "@@@", "+", "\ufeff", "🙂" * 300,
]  # fmt: skip
VALUE = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300),
    st.integers().map(str),
)


def _form(own: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Fields named as on the page itself (most often), anywhere in Chorus, or made up."""
    names = [st.sampled_from(own)] if own else []
    return st.dictionaries(
        st.one_of(*names, st.sampled_from(FIELDS), st.from_regex(r"\A[a-z_]{1,12}\Z")),
        st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3)),
        max_size=8,
    )


UPLOAD = st.builds(
    lambda name, data, kind: SimpleUploadedFile(name or "x", data, content_type=kind),
    st.one_of(st.sampled_from(["a.jpg", "a.pdf", "a.txt", "a.mp3", "../../x.png", "a" * 300, "a.exe"]), st.text()),
    st.one_of(st.binary(max_size=4000), st.sampled_from([b"%PDF-1.4\n", b"\xff\xd8\xff\xe0", b"ID3\x03", b""])),
    st.sampled_from(["image/jpeg", "application/pdf", "text/plain", "audio/mpeg", "application/octet-stream", ""]),
)


def _request(own: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "form": _form(own),
            "upload": st.one_of(st.none(), UPLOAD),
            "raw": st.one_of(st.none(), st.none(), st.binary(max_size=2000)),
            "raw_type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
            "query": _form(own),
        }
    )


STEPS = [action.name for action in ACTIONS]


def _persona(allowed: set[str]) -> str:
    """A member allowed to use the URL if there is one (they reach the most code)."""
    members = sorted(allowed - {"outsider", "other_org"})
    for preferred in ("survivor", "advocate", "admin"):
        if preferred in members:
            return preferred
    return members[0] if members else "outsider"


def _names_on_its_page(client: Client, url: str) -> list[str]:
    """The field names of the page that posts to ``url``: the URL's own page, or for an
    action URL (``…/draft/``, ``…/act/need/``) the nearest page above it."""
    path = url
    while path.count("/") > 1:
        page = client.get(path)
        if page.status_code == 200 and page.get("Content-Type", "").startswith("text/html"):
            return sorted(set(re.findall(r'\bname="([\w-]+)"', page.content.decode())) - {"csrfmiddlewaretoken"})
        path = path.rstrip("/").rsplit("/", 1)[0] + "/"
    return []


def _refusal_explains_itself(response: Any) -> bool:
    if not 400 <= response.status_code < 500 or response.status_code == 405:
        return True
    kind = response.get("Content-Type", "")
    body = response.content.decode(errors="replace")
    if kind.startswith("application/json"):
        return bool(response.json().get("error"))
    return "<h1>" in body and len(re.sub(r"<[^>]+>", "", body).strip()) > 0


def _send(client: Client, url: str, method: str, request: dict[str, Any]) -> Any:
    if method == "get":
        return client.get(url, request["query"])
    if request["raw"] is not None:
        return client.post(url, request["raw"], content_type=request["raw_type"])
    data = dict(request["form"])
    if request["upload"] is not None:
        data["attachment"] = request["upload"]
    return client.post(url, data)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_no_input_makes_any_url_fail_or_answer_unclearly(name: str, personas: Personas) -> None:
    entry = MATRIX[name]
    kwargs = entry.kwargs(personas)
    persona = _persona(entry.allowed)
    client = _client_for(persona, personas)
    methods = ["post"] if entry.method == "post" else ["get", "post"]  # pages post their forms to themselves
    own = _names_on_its_page(client, reverse(name, kwargs={**kwargs, "name": "need"} if name == "case_act" else kwargs))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=_request(own), step=st.sampled_from(STEPS), method=st.sampled_from(methods))
    def hostile(request: dict[str, Any], step: str, method: str) -> None:
        url = reverse(name, kwargs={**kwargs, "name": step} if name == "case_act" else kwargs)
        response = _send(client, url, method, request)  # a server error raises here
        assert response.status_code < 500, f"{name} as {persona}: {response.status_code}"
        assert _refusal_explains_itself(response), (
            f"{name} as {persona}: {response.status_code} without an explanation: {response.content[:300]!r}"
        )

    hostile()
