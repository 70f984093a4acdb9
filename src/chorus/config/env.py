"""Every Chorus setting, declared once: name, default, help text and parser.

The settings module reads the environment only through ``read``; docs/settings.md is
generated from ``SETTINGS`` (``reference_markdown``; ``make docs`` writes it) and a test
checks it is current, so a setting cannot be added without being documented. A setting marked ``secret`` may instead be given
as ``NAME_FILE`` pointing at a file that holds the value.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ImproperSetting(Exception):
    """A setting has a value Chorus cannot use; the message names the setting."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _positive_int(raw: str) -> int:
    value = int(raw.strip())
    if value <= 0:
        raise ValueError("expected a whole number above zero")
    return value


def _optional_positive_int(raw: str) -> int | None:
    return _positive_int(raw) if raw.strip() else None


def _threshold(raw: str) -> int:
    value = int(raw.strip())
    if value < 3:
        raise ValueError("expected a whole number of at least 3 (smaller cells would identify people)")
    return value


def _epsilon(raw: str) -> float:
    if not raw.strip():
        return 0.0
    value = float(raw.strip())
    if not 0 < value <= 10:
        raise ValueError("expected a number above 0 and at most 10, or nothing to add no noise")
    return value


def _training_years(raw: str) -> int:
    value = int(raw.strip())
    if not 1 <= value <= 10:
        raise ValueError("expected a whole number of years from 1 to 10")
    return value


def _str(raw: str) -> str:
    return raw.strip()


def _csv(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return value


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an address starting with http:// or https://")
    return value


def _hex_key(raw: str) -> str:
    value = raw.strip().lower()
    if value and (len(value) != 64 or any(char not in "0123456789abcdef" for char in value)):
        raise ValueError("expected an Ed25519 public key: 64 hexadecimal digits")
    return value


def _networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part, strict=False) for part in _csv(raw))


def _optional_url(raw: str) -> str:
    return _url(raw) if raw.strip() else ""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    parse: Callable[[str], Any] = _str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CHORUS_DATA_DIR",
        "./data",
        "Folder for the embedded SQLite database and generated key files. "
        "Relative paths are taken from the repository root.",
    ),
    Setting(
        "DATABASE_URL",
        "",
        "Database to use, e.g. postgres://user:pass@host/db. Empty means SQLite at CHORUS_DATA_DIR/chorus.sqlite3.",
        secret=True,
    ),
    Setting(
        "CHORUS_SECRET_KEY",
        "",
        "Django's secret key (signs sessions and tokens, derives the server-side "
        "wrapping key for two-factor secrets). Empty means a random key generated once "
        "into CHORUS_DATA_DIR/secret-key.",
        secret=True,
    ),
    Setting("CHORUS_DEBUG", "false", "Show Django's debug pages. Never in production.", _bool),
    Setting(
        "CHORUS_ALLOWED_HOSTS",
        "127.0.0.1,localhost",
        "Comma-separated host names Chorus answers to.",
        _csv,
    ),
    Setting(
        "CHORUS_BASE_URL",
        "http://127.0.0.1:8000",
        "The public address of this Chorus, used in emailed links.",
        _url,
    ),
    Setting(
        "CHORUS_QUICK_EXIT_URL",
        "https://www.google.com/search?q=weather",
        "Where the quick-exit control on every page leads: a neutral page on another site. Choose one "
        "that looks ordinary where your members are.",
        _url,
    ),
    Setting(
        "CHORUS_HTTPS",
        "false",
        "Chorus is served over HTTPS: mark cookies Secure and send HSTS.",
        _bool,
    ),
    Setting(
        "CHORUS_EMAIL_URL",
        "console:",
        "Where mail goes: smtp://[user:pass@]host:port, smtp+starttls://..., or console: "
        "to print messages (development only).",
        secret=True,
    ),
    Setting("CHORUS_EMAIL_FROM", "Chorus <chorus@localhost>", "Sender of Chorus's emails."),
    Setting(
        "CHORUS_ARGON2_MEMORY_KIB",
        "65536",
        "Argon2id memory cost in KiB for passwords (vault key derivation).",
        _positive_int,
    ),
    Setting("CHORUS_ARGON2_ITERATIONS", "3", "Argon2id time cost (passes).", _positive_int),
    Setting("CHORUS_ARGON2_PARALLELISM", "4", "Argon2id lanes.", _positive_int),
    Setting(
        "CHORUS_INVITATION_TTL_HOURS",
        "72",
        "How long an emailed invitation link stays valid.",
        _positive_int,
    ),
    Setting(
        "CHORUS_ROLE_PROPOSAL_TTL_HOURS",
        "168",
        "How long a proposed power role waits for a second person's approval before it lapses.",
        _positive_int,
    ),
    Setting(
        "CHORUS_PASSWORD_RESET_TTL_MINUTES",
        "60",
        "How long a password reset link stays valid.",
        _positive_int,
    ),
    Setting(
        "CHORUS_SIGNIN_MAX_FAILURES",
        "5",
        "Failed sign-ins (password or two-factor) for one address before it is locked.",
        _positive_int,
    ),
    Setting(
        "CHORUS_SIGNIN_MAX_FAILURES_PER_IP",
        "30",
        "Failed sign-ins from one network address before it is locked.",
        _positive_int,
    ),
    Setting(
        "CHORUS_SIGNIN_LOCKOUT_MINUTES",
        "15",
        "How long a lock lasts, and the window in which failures are counted.",
        _positive_int,
    ),
    Setting(
        "CHORUS_SESSION_IDLE_MINUTES",
        "30",
        "A session with no request for this long ends (the vault key goes with it).",
        _positive_int,
    ),
    Setting(
        "CHORUS_ATTACHMENT_MAX_MB",
        "20",
        "Largest attachment accepted, in megabytes (uploads are held in memory, never on disk, until encrypted).",
        _positive_int,
    ),
    Setting(
        "CHORUS_ATTACHMENTS_DIR",
        "",
        "Folder for encrypted attachment files. Empty means CHORUS_DATA_DIR/attachments.",
    ),
    Setting(
        "CHORUS_ANONYMOUS_REPORTS_PER_HOUR",
        "5",
        "Anonymous receipts one network address may create per hour, and wrong receipts it may try.",
        _positive_int,
    ),
    Setting(
        "CHORUS_LEDGER_SIGNING_KEY_FILE",
        "",
        "File holding the Ed25519 seed that signs ledger checkpoints. Empty means "
        "ledger-signing.key in a folder beside CHORUS_DATA_DIR named after it with -keys "
        "(./data-keys by default), generated once, owner-only; never inside the data folder.",
    ),
    Setting(
        "CHORUS_LEDGER_PUBLIC_KEY",
        "",
        "The deployment's published checkpoint key (hex Ed25519) that verification pins. Empty "
        "means the key of CHORUS_LEDGER_SIGNING_KEY_FILE. A key carried by a checkpoint is never trusted.",
        _hex_key,
    ),
    Setting(
        "CHORUS_ESCROW_KEY_FILE",
        "",
        "File holding the seed of the platform's share of the escrow OPRF key. Empty means "
        "CHORUS_DATA_DIR/escrow-oprf.key, generated once. Every app process needs the same file.",
    ),
    Setting(
        "CHORUS_CUSTODIAN_URL",
        "",
        "Address of the custodian service (the second escrow key holder), e.g. http://127.0.0.1:8700. "
        "Empty runs the custodian inside Chorus with its own key file in CHORUS_DATA_DIR/custodian/ "
        "(fine for a demo; a real deployment has an independent body run it).",
        _optional_url,
    ),
    Setting(
        "CHORUS_CUSTODIAN_TOKEN",
        "",
        "Bearer token the custodian expects from Chorus (its --token-file).",
        secret=True,
    ),
    Setting(
        "CHORUS_CUSTODIAN_PUBLIC_KEY",
        "",
        "The custodian's public key (base64, from `chorus custodian public-key`). When set, Chorus "
        "refuses evaluations proved under any other key; empty means trust the key the custodian "
        "publishes at first contact.",
    ),
    Setting(
        "CHORUS_WITNESS_PUBLIC_KEY",
        "",
        "The witness's public key (hex Ed25519, from `chorus custodian witness-key`) that ledger tree "
        "heads must be countersigned with. Empty means the in-process custodian's own witness key "
        "(the embedded default); with CHORUS_CUSTODIAN_URL set, set this.",
        _hex_key,
    ),
    Setting(
        "CHORUS_LEDGER_WITNESS_MINUTES",
        "60",
        "Minutes between the worker's signed, witnessed tree heads of each ledger chain that grew "
        "(important events — decisions, appeals, matches, role grants — get one at once).",
        _positive_int,
    ),
    Setting(
        "CHORUS_ESCROW_EVALUATIONS_PER_HOUR",
        "30",
        "Identifiers one member may have evaluated per hour, at the platform and at the in-process custodian.",
        _positive_int,
    ),
    Setting(
        "CHORUS_CUSTODIAN_TOTAL_PER_HOUR",
        "2000",
        "Evaluations the in-process custodian performs per hour for everyone together.",
        _positive_int,
    ),
    Setting(
        "CHORUS_ESCROW_ACTIVE_LIMIT",
        "20",
        "Identifiers one member may hold in escrow at once (withdrawn ones do not count).",
        _positive_int,
    ),
    Setting(
        "CHORUS_PANEL_SIZE",
        "3",
        "Panel members (and appeal panel members) who must have declared no conflict before a case is decided.",
        _positive_int,
    ),
    Setting("CHORUS_APPEAL_DAYS", "10", "Days after a decision during which either party may appeal.", _positive_int),
    Setting(
        "CHORUS_TRAINING_MAX_VALIDITY_YEARS",
        "3",
        "Years after its completion date that a training record counts for at most, whatever an organization's "
        "usual validity or a record's own end date says (1 to 10), so no administrator can make someone "
        "eligible for appointment for good.",
        _training_years,
    ),
    Setting(
        "CHORUS_RETENTION_FORMAL_DAYS",
        "2557",
        "Days a formal case's content is kept after it ends (default seven years), unless a legal hold is set.",
        _positive_int,
    ),
    Setting(
        "CHORUS_RETENTION_OTHER_DAYS",
        "1095",
        "Days the content of other cases (support, restorative, self-initiated) is kept after they end.",
        _positive_int,
    ),
    Setting(
        "CHORUS_INSIGHTS_THRESHOLD",
        "5",
        'Counts below this are shown as "<5" in published tables (and others withheld so they cannot be '
        "worked out from the totals). At least 3.",
        _threshold,
    ),
    Setting(
        "CHORUS_INSIGHTS_EPSILON",
        "",
        "If set, Laplace noise with this privacy budget (epsilon, e.g. 1.0; smaller means more noise) is added "
        "to each published count before suppression. Empty: exact counts.",
        _epsilon,
    ),
    Setting(
        "CHORUS_BIND",
        "127.0.0.1:8000",
        "Where the production server (gunicorn, `gunicorn -c python:chorus.config.gunicorn`) listens: host:port "
        "or unix:/path. Put a TLS-terminating proxy in front of it.",
    ),
    Setting(
        "CHORUS_TRUSTED_PROXIES",
        "127.0.0.1,::1",
        "Comma-separated addresses or networks of the proxies in front of Chorus. A request from one of them "
        "is taken to come from the address its X-Forwarded-For header names last (the proxy must set it: "
        "`proxy_set_header X-Forwarded-For $remote_addr`), for sign-in and anonymous-report limits; from "
        "anywhere else the header is ignored. Empty trusts no proxy.",
        _networks,
    ),
    Setting(
        "CHORUS_WORKERS",
        "",
        "gunicorn worker processes. Empty means two per CPU core plus one.",
        _optional_positive_int,
    ),
    Setting(
        "CHORUS_REQUEST_TIMEOUT",
        "60",
        "Seconds a gunicorn worker may spend on one request before it is restarted (the request is rolled back).",
        _positive_int,
    ),
    Setting("CHORUS_LOG_LEVEL", "INFO", "Log level for Chorus's own logger.", _log_level),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def read(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """Return the parsed value of a declared setting, failing loudly on a bad value."""
    environ = os.environ if environ is None else environ
    setting = _BY_NAME[name]
    raw = environ.get(name)
    file_name = environ.get(f"{name}_FILE") if setting.secret else None
    if raw is not None and file_name:
        raise ImproperSetting(f"{name}: set either {name} or {name}_FILE, not both")
    if file_name:
        try:
            raw = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperSetting(f"{name}_FILE: cannot read {file_name} ({error.strerror})") from error
    if raw is None:
        raw = setting.default
    try:
        return setting.parse(raw)
    except ValueError as error:
        shown = "" if setting.secret else f" (got {raw!r})"
        raise ImproperSetting(f"{name}: {error}{shown}") from error


def reference_markdown() -> str:
    """docs/settings.md: every setting, its default and what it does."""
    lines = [
        "# Settings",
        "",
        "Every setting is read from the environment; a bad value stops Chorus at start with a message",
        "naming the setting. Secrets may be given as `NAME_FILE` (a path to a file holding the value).",
        "This page is generated from `src/chorus/config/env.py` by `make docs`; a test checks it is current.",
        "",
        "| setting | default | what it does |",
        "|---|---|---|",
    ]
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(empty)"
        secret = f" May be given as `{setting.name}_FILE`." if setting.secret else ""
        lines.append(f"| `{setting.name}` | {default} | {setting.help}{secret} |")
    return "\n".join(lines) + "\n"
