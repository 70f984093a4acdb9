"""The people ``python -m bench load`` sends at a running deployment (run by locust, headless).

Survivors save and autosave their records, name someone in escrow and move their case
(pause, resume); advocates read their inbox, the records shared with them and the cases.
``CHORUS_LOAD_PEOPLE`` names a JSON file of who they are (made by bench/load.py);
The command line names the classes: ``Survivor Advocate`` for the mix, ``Bare`` for the
baseline.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
from typing import Any

from locust import HttpUser, constant, task
from tests.deployment import Visitor  # bench/load.py puts the repository on the path

PASSWORD = os.environ.get("CHORUS_LOAD_PASSWORD", "")
with open(os.environ["CHORUS_LOAD_PEOPLE"], encoding="utf-8") as people_file:
    PEOPLE = json.load(people_file)
SURVIVORS = itertools.cycle(PEOPLE["survivors"])
ADVOCATES = itertools.cycle(PEOPLE["advocates"])


class Person(HttpUser):
    abstract = True
    wait_time = constant(0)  # closed loop: each person sends the next request as soon as one ends

    def sign_in(self, email: str, totp: str = "") -> None:
        """Signed in outside the measurements (sign-in is Argon2id's cost, measured by its own
        bench): the session and token are handed to locust's client."""
        assert self.host, "locust is started with --host"
        visitor = Visitor(self.host)
        visitor.sign_in(email, PASSWORD, totp)
        self.client.cookies.update(visitor.http.cookies)
        self.token = visitor.token

    def send(self, path: str, data: dict[str, Any], *, name: str, expect: int = 302) -> None:
        with self.client.post(
            path, {**data, "csrfmiddlewaretoken": self.token}, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    def read(self, path: str, *, name: str) -> None:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")


class Survivor(Person):
    weight = 3

    def on_start(self) -> None:
        me = next(SURVIVORS)
        self.record, self.case, self.paused = me["record"], me["case"], False
        self.sign_in(me["email"])

    @task(4)
    def autosave(self) -> None:
        text = f"what happened, as I remember it now ({random.getrandbits(48):x})"
        self.send(f"/records/{self.record}/draft/", {"what": text}, name="record: autosave draft", expect=200)

    @task(4)
    def save(self) -> None:
        text = f"what happened, saved ({random.getrandbits(48):x})"
        self.send(f"/records/{self.record}/", {"what": text, "when": "last spring"}, name="record: save version")

    @task(2)
    def records(self) -> None:
        self.read("/records/", name="record: list")

    @task(1)
    def escrow(self) -> None:
        address = f"someone-{random.getrandbits(40):x}@example.org"
        choices = {"tell_me": "yes", "would_meet": "no", "release": "contact"}
        self.send("/escrow/new/", {"kind_0": "email", "text_0": address, **choices}, name="escrow: submit entry")

    @task(1)
    def move_case(self) -> None:
        step = "resume" if self.paused else "pause"
        self.send(f"/cases/{self.case}/act/{step}/", {}, name="case: pause or resume")
        self.paused = not self.paused


class Advocate(Person):
    weight = 1

    def on_start(self) -> None:
        me = next(ADVOCATES)
        self.sign_in(me["email"], me["totp"])

    @task(1)
    def inbox(self) -> None:
        self.read("/advocates/inbox/", name="advocate: inbox")

    @task(3)
    def shared(self) -> None:
        self.read(f"/advocates/shared/{secrets.choice(PEOPLE['grants'])}/", name="advocate: read shared record")

    @task(1)
    def case(self) -> None:
        self.read(f"/cases/{secrets.choice(PEOPLE['cases'])}/", name="advocate: case page")


class Bare(HttpUser):
    """The same deployment's cheapest Django view: the baseline for the ratio."""

    wait_time = constant(0)

    @task
    def health(self) -> None:
        self.client.get("/healthz/", name="bare Django view")
