from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pyotp
from django.core import mail
from django.db.models import Model
from django.test import Client

from chorus.accounts.models import Member
from tests.personas import PASSWORD


def fields_with_types(instance: Model) -> dict[str, tuple[type, object]]:
    """Each concrete field's value with its type, to compare a read written as SQL with the
    ORM's: SQLite's 1 for a boolean equals True, and must not pass."""
    values = {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}
    return {name: (type(value), value) for name, value in values.items()}


def sign_in(client: Client, member: Member, password: str = PASSWORD, totp_secret: str | None = None) -> None:
    """Sign in through the real pages, so the vault key is derived and kept."""
    response = client.post("/sign-in/", {"email": member.email, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    if response["Location"] == "/sign-in/two-factor/":
        assert totp_secret, "this member has two-factor sign-in"
        response = client.post("/sign-in/two-factor/", {"code": pyotp.TOTP(totp_secret).now()})
        assert response.status_code == 302
    assert response["Location"] == "/"


def last_link(path_prefix: str) -> str:
    """The path of the newest emailed link starting with ``path_prefix``."""
    body = str(mail.outbox[-1].body)
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}[A-Za-z0-9_-]+/)", body)
    assert match, body
    return match.group(1)


def open_vault(client: Client, member: Member, vault_key: bytes) -> None:
    """For a client signed in with ``force_login``: hold the vault key as sign-in would."""
    from django.conf import settings
    from django.http import HttpRequest

    from chorus.accounts import vault

    request = HttpRequest()
    request.session = client.session
    vault.vault_open(request, str(member.pk), vault_key)
    request.session.save()
    client.cookies[settings.CHORUS_VAULT_COOKIE_NAME] = request.chorus_vault_cookie  # type: ignore[attr-defined]


def run_node(script: str, command: str, request: dict[str, Any]) -> Any:
    """Run one of js/'s Node entry points (``js/<script>``) on ``request`` (JSON in, JSON out)."""
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        ["node", str(root / "js" / script), command],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def migrated_to(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to ``targets`` (forwards or back) and return the apps as
    they were then, for a migration test to make rows of the old shape."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrated_to_latest() -> None:
    """Migrate the test database forward to every app's newest migration again."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
