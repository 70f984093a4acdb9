"""Django settings for Chorus. Every value comes from ``chorus.config.env``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url

from chorus.config.env import ImproperSetting, read
from chorus.config.keyfiles import private_dir, private_file, read_or_create

REPO_ROOT = Path(__file__).resolve().parents[3]

_data_dir = Path(read("CHORUS_DATA_DIR"))
DATA_DIR = private_dir(_data_dir if _data_dir.is_absolute() else REPO_ROOT / _data_dir)


SECRET_KEY = read("CHORUS_SECRET_KEY") or read_or_create(DATA_DIR / "secret-key", 48, setting="CHORUS_SECRET_KEY").hex()
DEBUG = read("CHORUS_DEBUG")
ALLOWED_HOSTS = read("CHORUS_ALLOWED_HOSTS")
CHORUS_BASE_URL = read("CHORUS_BASE_URL")
CHORUS_HTTPS = read("CHORUS_HTTPS")
CHORUS_QUICK_EXIT_URL = read("CHORUS_QUICK_EXIT_URL")

# The ledger's signing key lives outside the data folder by default, so a copy of the
# database and its folder (a backup, a stolen disk image) does not carry the key that signs
# the ledger's heads. Deployments put it on a separate volume or secret store.
_signing_key_file = read("CHORUS_LEDGER_SIGNING_KEY_FILE")
CHORUS_LEDGER_SIGNING_KEY_PATH = (
    Path(_signing_key_file) if _signing_key_file else DATA_DIR.with_name(DATA_DIR.name + "-keys") / "ledger-signing.key"
)
CHORUS_LEDGER_PUBLIC_KEY = read("CHORUS_LEDGER_PUBLIC_KEY")
_legacy_signing_key = DATA_DIR / "ledger-signing.key"
if not _signing_key_file and _legacy_signing_key.exists() and not CHORUS_LEDGER_SIGNING_KEY_PATH.exists():
    private_dir(CHORUS_LEDGER_SIGNING_KEY_PATH.parent)
    _legacy_signing_key.replace(CHORUS_LEDGER_SIGNING_KEY_PATH)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "chorus.web",
    "chorus.ledger",
    "chorus.accounts",
    "chorus.records",
    "chorus.escrow",
    "chorus.cases",
    "chorus.insights",
    "chorus.notices",
    "chorus.retention",
    "chorus.guidance",
    "chorus.preparation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "chorus.accounts.sessions.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "chorus.web.csrf.CsrfMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chorus.web.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "chorus.accounts.middleware.VaultMiddleware",
    "chorus.accounts.middleware.TwoFactorEnrolmentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chorus.web.middleware.NoStoreMiddleware",
    "chorus.web.middleware.MethodNotAllowedMiddleware",
]

ROOT_URLCONF = "chorus.config.urls"
WSGI_APPLICATION = "chorus.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorus.web.context.chorus",
            ],
        },
    }
]

_database_url = read("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'chorus.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except Exception as error:  # dj-database-url raises several kinds on a bad URL
    raise ImproperSetting(f"DATABASE_URL: not a database address ({error})") from error
# A kept connection is checked before each request reuses it, so a database restart
# costs the requests in flight at that moment, not every later one.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        private_file(Path(DATABASES["default"]["NAME"]))  # before SQLite makes it world-readable
    # A busy timeout lets several processes share the file; IMMEDIATE transactions take
    # the write lock up front so a read-then-write never fails half way.
    # WAL lets readers go on while one process writes; synchronous=NORMAL makes a commit
    # durable across a crash of Chorus (not of the machine) without an fsync per commit.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # secure_delete: deleted rows are overwritten, not left in free space (Debian's SQLite
        # does this by default; other builds do not).
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;",
    }

AUTH_USER_MODEL = "accounts.Member"
AUTHENTICATION_BACKENDS = ["chorus.accounts.backends.MemberBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
MESSAGE_STORAGE = "chorus.web.messages.SealedCookieStorage"
PASSWORD_HASHERS = ["chorus.accounts.hashers.VaultArgon2idHasher"]
LOGIN_URL = "sign_in"

CHORUS_ARGON2 = {
    "memory_kib": read("CHORUS_ARGON2_MEMORY_KIB"),
    "iterations": read("CHORUS_ARGON2_ITERATIONS"),
    "parallelism": read("CHORUS_ARGON2_PARALLELISM"),
}
CHORUS_INVITATION_TTL_HOURS = read("CHORUS_INVITATION_TTL_HOURS")
CHORUS_ROLE_PROPOSAL_TTL_HOURS = read("CHORUS_ROLE_PROPOSAL_TTL_HOURS")
CHORUS_PASSWORD_RESET_TTL_MINUTES = read("CHORUS_PASSWORD_RESET_TTL_MINUTES")
CHORUS_SIGNIN_MAX_FAILURES = read("CHORUS_SIGNIN_MAX_FAILURES")
CHORUS_SIGNIN_MAX_FAILURES_PER_IP = read("CHORUS_SIGNIN_MAX_FAILURES_PER_IP")
CHORUS_SIGNIN_LOCKOUT_MINUTES = read("CHORUS_SIGNIN_LOCKOUT_MINUTES")
CHORUS_ANONYMOUS_REPORTS_PER_HOUR = read("CHORUS_ANONYMOUS_REPORTS_PER_HOUR")

# Attachments: held in memory while they are checked and cleaned, then stored encrypted.
CHORUS_ATTACHMENT_MAX_BYTES = read("CHORUS_ATTACHMENT_MAX_MB") * 1024 * 1024
_attachments_dir = read("CHORUS_ATTACHMENTS_DIR")
CHORUS_ATTACHMENTS_DIR = Path(_attachments_dir) if _attachments_dir else DATA_DIR / "attachments"
FILE_UPLOAD_HANDLERS = ["chorus.records.uploads.LimitedMemoryUploadHandler"]
_escrow_key_file = read("CHORUS_ESCROW_KEY_FILE")
CHORUS_ESCROW_KEY_PATH = Path(_escrow_key_file) if _escrow_key_file else DATA_DIR / "escrow-oprf.key"
CHORUS_CUSTODIAN_URL = read("CHORUS_CUSTODIAN_URL")
CHORUS_CUSTODIAN_TOKEN = read("CHORUS_CUSTODIAN_TOKEN")
CHORUS_CUSTODIAN_PUBLIC_KEY = read("CHORUS_CUSTODIAN_PUBLIC_KEY")
CHORUS_WITNESS_PUBLIC_KEY = read("CHORUS_WITNESS_PUBLIC_KEY")
CHORUS_LEDGER_WITNESS_MINUTES = read("CHORUS_LEDGER_WITNESS_MINUTES")
CHORUS_CUSTODIAN_DIR = DATA_DIR / "custodian"
CHORUS_ESCROW_EVALUATIONS_PER_HOUR = read("CHORUS_ESCROW_EVALUATIONS_PER_HOUR")
CHORUS_CUSTODIAN_TOTAL_PER_HOUR = read("CHORUS_CUSTODIAN_TOTAL_PER_HOUR")
CHORUS_ESCROW_ACTIVE_LIMIT = read("CHORUS_ESCROW_ACTIVE_LIMIT")
CHORUS_PANEL_SIZE = read("CHORUS_PANEL_SIZE")
CHORUS_APPEAL_DAYS = read("CHORUS_APPEAL_DAYS")
CHORUS_TRAINING_MAX_VALIDITY_YEARS = read("CHORUS_TRAINING_MAX_VALIDITY_YEARS")
CHORUS_RETENTION_FORMAL_DAYS = read("CHORUS_RETENTION_FORMAL_DAYS")
CHORUS_RETENTION_OTHER_DAYS = read("CHORUS_RETENTION_OTHER_DAYS")
CHORUS_INSIGHTS_THRESHOLD = read("CHORUS_INSIGHTS_THRESHOLD")
CHORUS_INSIGHTS_EPSILON = read("CHORUS_INSIGHTS_EPSILON")
# gunicorn stops a request after this; a team key being rotated waits that long (twice over)
# for requests that fetched the retired public key before re-sealing (records.services.rotation).
CHORUS_REQUEST_TIMEOUT = read("CHORUS_REQUEST_TIMEOUT")

CHORUS_EXPORT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# Database sessions that move their idle expiry forward at most once a minute instead of
# writing the row on every request (chorus.accounts.sessions).
SESSION_ENGINE = "chorus.accounts.sessions"
SESSION_COOKIE_AGE = read("CHORUS_SESSION_IDLE_MINUTES") * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = CHORUS_HTTPS
SESSION_COOKIE_NAME = "__Host-chorus_session" if CHORUS_HTTPS else "chorus_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_SECURE = CHORUS_HTTPS
LANGUAGE_COOKIE_SECURE = CHORUS_HTTPS
CSRF_COOKIE_NAME = "__Host-chorus_csrf" if CHORUS_HTTPS else "chorus_csrf"
CSRF_FAILURE_VIEW = "chorus.web.views.csrf_failure"
CHORUS_VAULT_COOKIE_NAME = "__Host-chorus_vault" if CHORUS_HTTPS else "chorus_vault"
CHORUS_MESSAGES_COOKIE_NAME = "__Host-chorus_messages" if CHORUS_HTTPS else "chorus_messages"  # chorus.web.messages

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 63072000 if CHORUS_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = CHORUS_HTTPS
CHORUS_TRUSTED_PROXIES = read("CHORUS_TRUSTED_PROXIES")
if CHORUS_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # TLS ends at the proxy, which redirects plain HTTP itself (deploy/nginx/chorus.conf); this
    # catches a proxy that forwards plain HTTP anyway. The health check is asked on loopback.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
# `check --deploy`: Chorus's CSRF middleware is a subclass of Django's (chorus.E001 checks it is
# installed instead); HSTS preload is a decision for the owner of the whole domain, and the
# preload list takes registrable domains only, not the subdomain Chorus usually runs on.
SILENCED_SYSTEM_CHECKS = ["security.W003", "security.W021"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
    }
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

LANGUAGE_CODE = "en"
# Each language is named in itself on the switcher; a member's choice is kept on their account.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [Path(__file__).resolve().parents[1] / "locale"]
# One date format per language, for people: long dates ("28 November 2026", "28 de noviembre de
# 2026") and the 24-hour clock, in chorus/config/formats/<language>/formats.py. Dates are typed
# as day, month and year (chorus.web.dates). ISO 8601 appears only in data exports.
FORMAT_MODULE_PATH = ["chorus.config.formats"]
# Outside a request (commands, the worker) no language is active: read typed dates day first
# there too, never month first.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _email_settings(url: str) -> dict[str, object]:
    if url == "console:":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtp+starttls", "smtps"} or not parts.hostname:
        raise ImproperSetting("CHORUS_EMAIL_URL: expected console: or smtp://host:port (or smtp+starttls://, smtps://)")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+starttls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": 10,
    }


globals().update(_email_settings(read("CHORUS_EMAIL_URL")))
DEFAULT_FROM_EMAIL = read("CHORUS_EMAIL_FROM")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "chorus": {"handlers": ["console"], "level": read("CHORUS_LOG_LEVEL")},
        # Request bodies never reach logs: Django's request logger prints only the path.
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}
