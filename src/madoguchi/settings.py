"""Settings, read from the environment so one build serves a laptop and a city.

Every value that differs between deployments comes from an environment variable;
see docs/operations.md for the full list.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("MADOGUCHI_VAR_DIR", Path.cwd() / "var"))


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = _env_bool("MADOGUCHI_DEBUG", False)
SECRET_KEY = os.environ.get("MADOGUCHI_SECRET_KEY", "dev-only-insecure-key-change-me")
# `.localhost` (any name under it resolves to this machine without set-up): the demo's cities
# on demo.localhost and town.localhost, the portal on portal.localhost.
ALLOWED_HOSTS = _env_list("MADOGUCHI_ALLOWED_HOSTS", "127.0.0.1,localhost,.localhost,testserver")
CSRF_TRUSTED_ORIGINS = _env_list("MADOGUCHI_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "madoguchi.core",
    "madoguchi.notify",
    "madoguchi.feedback",
    "madoguchi.catalog",
    "madoguchi.identity",
    "madoguchi.register",
    "madoguchi.applications",
    "madoguchi.payments",
    "madoguchi.casework",
    "madoguchi.handoff",
    "madoguchi.counter",
    "madoguchi.navigator",
    "madoguchi.queueing",
    "madoguchi.administration",
    "madoguchi.insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "madoguchi.core.security.ControlCharacterMiddleware",  # NUL etc. in a URL: a 400 page
    "madoguchi.core.security.ContentSecurityPolicyMiddleware",  # django-csp (Security headers)
    "madoguchi.core.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "madoguchi.core.security.NoStoreMiddleware",  # Cache-Control: no-store on personal pages
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "madoguchi.core.middleware.MunicipalityMiddleware",
    # A logged-in session ends 12 hours after its login however busy (core/session_limit.py).
    "madoguchi.core.session_limit.AbsoluteSessionLimitMiddleware",
    # Language, 文字サイズ, contrast: after the city is known (a choice is saved on the account).
    "madoguchi.core.i18n.middleware.PreferencesMiddleware",
    # ルビ on やさしい日本語 pages: the last step of the page (it needs the language set above).
    "madoguchi.core.i18n.ruby.RubyMiddleware",
]

ROOT_URLCONF = "madoguchi.urls"
WSGI_APPLICATION = "madoguchi.wsgi.application"
ASGI_APPLICATION = "madoguchi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "madoguchi.core.context_processors.municipality",
                "madoguchi.core.context_processors.preferences",
            ],
        },
    }
]


def _database_from_url(url: str) -> dict:
    if url.startswith("sqlite:///"):
        # Kept per process too: opening a SQLite connection (Django's functions, the PRAGMAs,
        # the schema read again) cost a submission more CPU than all its statements.
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.removeprefix("sqlite:///"),
                "CONN_MAX_AGE": int(os.environ.get("MADOGUCHI_DB_CONN_MAX_AGE", "60"))}
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise ValueError("DATABASE_URL must be sqlite:///path or postgres://…")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": parsed.username or "",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        # Connections kept per process; 0 behind pgbouncer in transaction mode (below).
        "CONN_MAX_AGE": int(os.environ.get("MADOGUCHI_DB_CONN_MAX_AGE", "60")),
    }


DATABASES = {
    "default": _database_from_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'madoguchi.sqlite3'}")
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers proceed while one request writes; the timeout queues writers.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# Behind pgbouncer in transaction mode (docs/operations.md §12): no connection kept past a request
# and no server-side cursor, which would not outlive the transaction pgbouncer ends. The queue
# streams' LISTEN needs a session of its own: MADOGUCHI_LISTEN_DATABASE_URL, straight to
# PostgreSQL (or a session-mode pool), when DATABASE_URL is the transaction-mode pool.
MADOGUCHI_DB_POOLER = os.environ.get("MADOGUCHI_DB_POOLER", "")
if MADOGUCHI_DB_POOLER == "transaction" and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
MADOGUCHI_LISTEN_DATABASE = (_database_from_url(os.environ["MADOGUCHI_LISTEN_DATABASE_URL"])
                             if os.environ.get("MADOGUCHI_LISTEN_DATABASE_URL") else None)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/staff/login/"

# Brute-force protection (django-axes) for the staff login and /admin/: after
# MADOGUCHI_LOGIN_FAILURE_LIMIT failures an account, and an address, are locked for
# MADOGUCHI_LOGIN_COOLOFF_MINUTES. Failures during the lock do not extend it, so a stranger
# cannot keep a clerk out for good; an administrator unlocks at once (`madoguchi axes_reset_username
# NAME`, or /admin/ → Axes). MADOGUCHI_LOGIN_LOCK_BY lists what is counted: names joined by "+"
# count together ("username+ip_address": a name from one address). See docs/operations.md.
INSTALLED_APPS += ["axes", "anymail"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last: turns a lockout into the page
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked client before any check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("MADOGUCHI_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("MADOGUCHI_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [
    part.split("+") if "+" in part else part
    for part in _env_list("MADOGUCHI_LOGIN_LOCK_BY", "username,ip_address")
]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "madoguchi.core.actors.client_ip"  # as everywhere (below)
# The proxies (addresses or networks) whose X-Real-IP names the client; empty: the peer is.
# deploy/madoguchi.env.example sets 127.0.0.1 for nginx on the same machine.
MADOGUCHI_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("MADOGUCHI_TRUSTED_PROXIES", "").split(",")
                             if p.strip()]
AXES_LOCKOUT_CALLABLE = "madoguchi.identity.bruteforce.lockout_response"
AXES_CLIENT_STR_CALLABLE = "madoguchi.identity.bruteforce.client_str"  # no names in log lines
AXES_USERNAME_CALLABLE = "madoguchi.identity.bruteforce.username"  # bounded, no NUL
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit log

LANGUAGE_CODE = "ja"
# Every page a resident or visitor sees speaks these (docs/i18n.md); each name is written in its
# own language, as the switch shows it. やさしい日本語 is a language of its own here (ja-easy,
# locale ja_Easy): its own .po file, and ルビ on its kanji.
LANGUAGES = [
    ("ja", "日本語"),  # ja-only: a language's own name
    ("ja-easy", "やさしい日本語"),  # ja-only: a language's own name
    ("en", "English"),
    ("zh-hans", "中文（简体）"),  # ja-only: a language's own name (Chinese, not Japanese)
    ("ko", "한국어"),
    ("vi", "Tiếng Việt"),
    ("pt-br", "Português (Brasil)"),
]
# Staff pages (department queue, counter, register, 会計課) need only these two.
MADOGUCHI_STAFF_LANGUAGES = ["ja", "en"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Served by WhiteNoise straight from the package (no collectstatic needed on one machine);
# set MADOGUCHI_STATIC_ROOT and run `madoguchi collectstatic` to serve from a directory.
STATIC_ROOT = os.environ.get("MADOGUCHI_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]
if STATIC_ROOT:
    # Collected files carry a content hash in their names (site.3f2a9c1d8e4b.css), so
    # WhiteNoise and nginx let browsers keep them a year. Only with a STATIC_ROOT: the manifest
    # exists after collectstatic, which one machine (`make run`) and the tests do without. Not
    # WhiteNoise's compressed variant: nginx compresses on the fly, and brotli-compressing the
    # admin's and the API docs' files costs half a minute of CPU at every collectstatic.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

# Sessions: short for residents at shared terminals; the page warns before expiry
# and drafts are saved server-side so nothing is lost when a session ends.
SESSION_COOKIE_AGE = int(os.environ.get("MADOGUCHI_SESSION_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
# On top of that idle timeout, a logged-in session (staff or resident) ends this long after its
# login whatever happens in between (core/session_limit.py): 12 hours by default.
MADOGUCHI_SESSION_ABSOLUTE_SECONDS = int(os.environ.get("MADOGUCHI_SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Security headers (docs/operations.md, セキュリティヘッダー). Production values unless
# MADOGUCHI_DEBUG is on: `make run` (plain http) gets cookies without Secure, no HSTS, and the
# Content-Security-Policy as report-only (violations show in the browser console).
SESSION_COOKIE_SECURE = _env_bool("MADOGUCHI_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("MADOGUCHI_HSTS_SECONDS", 31536000 if SESSION_COOKIE_SECURE else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("MADOGUCHI_HSTS_INCLUDE_SUBDOMAINS", False)
# The header a TLS-terminating proxy sets, e.g. X-Forwarded-Proto (it must overwrite the client's).
_PROXY_SSL_HEADER = os.environ.get("MADOGUCHI_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
_CSP = {"DIRECTIVES": {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],  # the signature preview is a data: URL
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],  # plus the デジタル認証アプリ's origins (core/security.py)
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}}
CONTENT_SECURITY_POLICY = None if DEBUG else _CSP
CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP if DEBUG else None
MADOGUCHI_CSP_FORM_ACTION = _env_list("MADOGUCHI_CSP_FORM_ACTION")
# django-ninja serves the API docs' Swagger UI from its own static files when installed as an
# app (otherwise from a CDN with an inline script, which the policy blocks).
INSTALLED_APPS += ["ninja"]
MADOGUCHI_PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "browsing-topics", "camera",
    "display-capture", "geolocation", "gyroscope", "hid", "magnetometer", "microphone", "midi",
    "payment", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking"))
# Pages an anonymous visitor may cache (regular expressions on the path); every other response
# is Cache-Control: no-store (core/security.py NoStoreMiddleware).
MADOGUCHI_CACHEABLE_PATHS = [
    r"/", r"/procedures/[\w-]+/", r"/navi/", r"/queue/", r"/queue/kiosk/", r"/api/health", r"/api/procedures(/[\w-]+)?",
    r"/api/navigator/events", r"/api/postal-codes/[\w-]+", r"/api/openapi\.json", r"/api/docs",
    r"/opendata/",  # the open-data page; its files set their own Cache-Control and validators
]

# Uploads: the limit a resident is told about per file, enforced while the body streams in
# (applications/uploads.py); files in a body over MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES are all
# refused. The proxy must cap the body at the same size (docs/operations.md, アップロード).
MADOGUCHI_ATTACHMENT_MAX_BYTES = int(os.environ.get("MADOGUCHI_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES = int(os.environ.get(
    "MADOGUCHI_UPLOAD_MAX_REQUEST_BYTES", 5 * MADOGUCHI_ATTACHMENT_MAX_BYTES))
MADOGUCHI_IMAGE_MAX_PIXELS = int(os.environ.get("MADOGUCHI_IMAGE_MAX_PIXELS", 40_000_000))
FILE_UPLOAD_HANDLERS = [
    "madoguchi.applications.uploads.AttachmentLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # the text fields of one POST, files excluded
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)  # larger bodies spool files to disk
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# Encryption at rest: the deployment's key-encryption keys (Fernet, comma-separated, newest
# first): they wrap each city's data keys (core/keyring.py) and still read data written before
# per-city keys. Rotation: prepend a new key, `madoguchi rotate_keys --rewrap`, then drop the
# old one (docs/operations.md).
MADOGUCHI_ENCRYPTION_KEYS = _env_list(
    "MADOGUCHI_ENCRYPTION_KEYS",
    # A fixed development key so `make run` works on a fresh machine. Never use in production:
    # `madoguchi check --deploy` refuses it.
    "bWFkb2d1Y2hpLWRldmVsb3BtZW50LWtleS0wMDAwMDA=",
)

# The municipality served when the request's host names none (one-city deployments).
# A city's data keys are stored wrapped (core/keyring.py). The wrapper new keys use:
# "settings" (by MADOGUCHI_ENCRYPTION_KEYS), "file" (MADOGUCHI_CITY_KEK_DIR/<slug>.key), or
# one a module in MADOGUCHI_KEY_WRAPPER_MODULES registers (a KMS/HSM; docs/operations.md).
MADOGUCHI_KEY_WRAPPER = os.environ.get("MADOGUCHI_KEY_WRAPPER", "settings")
MADOGUCHI_CITY_KEK_DIR = os.environ.get("MADOGUCHI_CITY_KEK_DIR", "")
MADOGUCHI_KEY_WRAPPER_MODULES = _env_list("MADOGUCHI_KEY_WRAPPER_MODULES")
MADOGUCHI_DEFAULT_MUNICIPALITY = os.environ.get("MADOGUCHI_DEFAULT_MUNICIPALITY", "demo")
# Each process keeps the city and its departments at most this long (core/cities.py).
# Hosts that serve no city but the prefecture's portal (choose your city: core/portal.py).
MADOGUCHI_PORTAL_HOSTS = _env_list("MADOGUCHI_PORTAL_HOSTS", "portal.localhost")
MADOGUCHI_CITY_CACHE_SECONDS = float(os.environ.get("MADOGUCHI_CITY_CACHE_SECONDS", "5"))
MADOGUCHI_CATALOG_DIRS = [BASE_DIR / "catalog" / "procedures"] + [
    Path(p) for p in _env_list("MADOGUCHI_CATALOG_EXTRA_DIRS")
]
# One folder per city (by slug) with `procedures/*.yaml` (local procedures) and `overrides.yaml`.
MADOGUCHI_MUNICIPAL_CATALOG_DIR = Path(os.environ.get(
    "MADOGUCHI_MUNICIPAL_CATALOG_DIR", BASE_DIR / "catalog" / "municipalities"))
MADOGUCHI_PDF_FONT = os.environ.get("MADOGUCHI_PDF_FONT", "")
MADOGUCHI_PUBLIC_URL = os.environ.get("MADOGUCHI_PUBLIC_URL", "http://127.0.0.1:8000")
# The department whose staff are 会計課 (the daily close, refunds, 領収書): payments/office.py.
MADOGUCHI_ACCOUNTS_DEPARTMENT = os.environ.get("MADOGUCHI_ACCOUNTS_DEPARTMENT", "kaikei")

# The outbox: "inline" dispatches right after the commit in the same process (one
# machine); "worker" leaves messages to `madoguchi run_outbox` processes. In both modes a
# `run_outbox` loop retries what was not sent (`make run` starts one beside the web server).
MADOGUCHI_OUTBOX_MODE = os.environ.get("MADOGUCHI_OUTBOX_MODE", "inline")
# How long a worker's claim on a message lasts: a worker killed mid-send leaves the message to
# others after this (longer than one send can take: EMAIL_TIMEOUT is 10 s per step).
MADOGUCHI_OUTBOX_LEASE_SECONDS = float(os.environ.get("MADOGUCHI_OUTBOX_LEASE_SECONDS", "120"))
# Sent and failed mail keep their (encrypted) address this long, then `madoguchi dispose`
# erases it; the row stays as the sending record.
MADOGUCHI_OUTBOX_RETENTION_DAYS = int(os.environ.get("MADOGUCHI_OUTBOX_RETENTION_DAYS", "7"))
# Hand-off to the business systems (handoff/, docs/casework.md). Targets per city in
# <MADOGUCHI_HANDOFF_CONFIG_DIR>/<slug>/handoff.yaml (by default beside the city's catalogue);
# a file target's relative directory is under MADOGUCHI_HANDOFF_DIR. "inline": delivered right
# after the commit, `run_handoffs` retrying; "worker": only `run_handoffs` delivers.
MADOGUCHI_HANDOFF_MODE = os.environ.get("MADOGUCHI_HANDOFF_MODE", MADOGUCHI_OUTBOX_MODE)
MADOGUCHI_HANDOFF_CONFIG_DIR = os.environ.get("MADOGUCHI_HANDOFF_CONFIG_DIR", "")
MADOGUCHI_HANDOFF_DIR = Path(os.environ.get("MADOGUCHI_HANDOFF_DIR", VAR_DIR / "handoff"))
MADOGUCHI_HANDOFF_LEASE_SECONDS = float(os.environ.get("MADOGUCHI_HANDOFF_LEASE_SECONDS", "120"))
MADOGUCHI_HANDOFF_RETRY_SECONDS = float(os.environ.get("MADOGUCHI_HANDOFF_RETRY_SECONDS", "30"))
MADOGUCHI_HANDOFF_RETRY_MAX_SECONDS = float(os.environ.get("MADOGUCHI_HANDOFF_RETRY_MAX_SECONDS", "3600"))
# No delivery this long after the hand-off (or a 再送): 失敗, listed on /staff/handoffs/.
MADOGUCHI_HANDOFF_GIVE_UP_HOURS = float(os.environ.get("MADOGUCHI_HANDOFF_GIVE_UP_HOURS", "24"))
MADOGUCHI_OTP_TTL_SECONDS = 600
# Retention (`madoguchi dispose`, run daily): abandoned drafts and their files, used codes.
MADOGUCHI_DRAFT_RETENTION_DAYS = int(os.environ.get("MADOGUCHI_DRAFT_RETENTION_DAYS", "90"))
# What `madoguchi dispose` runs, in order; each returns counts (never personal data).
MADOGUCHI_RETENTION_TASKS = [
    "madoguchi.applications.retention.dispose",
    "madoguchi.navigator.retention.dispose_plans",  # 手続ナビ plans untouched for 30 days
    "madoguchi.queueing.retention.dispose_contacts",  # e-mail addresses of past tickets/bookings
    "madoguchi.counter.retention.dispose_pairing_codes",  # the counter tablets' lapsed codes
    "madoguchi.notify.retention.erase_recipients",  # addresses of mail sent or failed a week ago
    "madoguchi.identity.retention.dispose_challenges",  # card challenges no session can claim
    "madoguchi.feedback.retention.purge_used_links",  # used survey links, once the links have expired
]
MADOGUCHI_OTP_MAX_ATTEMPTS = 5

# E-mail one-time codes: limits per client address (django-ratelimit), counted in a database
# cache that every app process shares (identity migration 0005 creates its table); no limit per
# target address that a stranger could use up: a live code younger than
# MADOGUCHI_OTP_RESEND_SECONDS is not replaced (docs/identity.md).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                  "LOCATION": "madoguchi_ratelimit_cache"},
}
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_IP_META_KEY = "madoguchi.core.actors.client_ip"  # the client behind a trusted proxy
MADOGUCHI_OTP_CLIENT_RATE = os.environ.get("MADOGUCHI_OTP_CLIENT_RATE", "20/10m")
# Checks of a notice on the public /verify/ page per client address (pyHanko parses each upload).
MADOGUCHI_VERIFY_CLIENT_RATE = os.environ.get("MADOGUCHI_VERIFY_CLIENT_RATE", "30/m")
MADOGUCHI_OTP_VERIFY_CLIENT_RATE = os.environ.get("MADOGUCHI_OTP_VERIFY_CLIENT_RATE", "30/10m")
MADOGUCHI_OTP_RESEND_SECONDS = int(os.environ.get("MADOGUCHI_OTP_RESEND_SECONDS", "60"))

# My Number card (JPKI). The trust anchors stand for J-LIS's root; `make run` points them at the
# test CA it creates in var/jpki-ca. CRLs are read from paths or URLs and refreshed.
MADOGUCHI_JPKI_DIR = Path(os.environ.get("MADOGUCHI_JPKI_DIR", VAR_DIR / "jpki-ca"))
# The official seal (電子公印) on notices (core/pdf/seal.py, docs/notices.md). Without a seal a
# city's notices are refused in production; development issues them unsigned with a warning.
MADOGUCHI_SEAL_CA_DIR = Path(os.environ.get("MADOGUCHI_SEAL_CA_DIR", VAR_DIR / "seal-ca"))
MADOGUCHI_SEAL_REQUIRED = _env_bool("MADOGUCHI_SEAL_REQUIRED", not DEBUG)
MADOGUCHI_SEAL_TRUST_ROOTS = [p for p in os.environ.get("MADOGUCHI_SEAL_TRUST_ROOTS", "").split(":") if p] or (
    [str(MADOGUCHI_SEAL_CA_DIR / "root.pem")] if DEBUG else [])
# CRL files of the seal's CA, downloaded by the operator from LGPKI's repository: revocation is
# checked against them (none: not checked; docs/notices.md).
MADOGUCHI_SEAL_CRLS = [p for p in os.environ.get("MADOGUCHI_SEAL_CRLS", "").split(":") if p]
MADOGUCHI_JPKI_TRUST_ANCHORS = _env_list("MADOGUCHI_JPKI_TRUST_ANCHORS")
MADOGUCHI_JPKI_INTERMEDIATES = _env_list("MADOGUCHI_JPKI_INTERMEDIATES")
MADOGUCHI_JPKI_CRLS = _env_list("MADOGUCHI_JPKI_CRLS")
MADOGUCHI_JPKI_CRL_REFRESH_SECONDS = int(os.environ.get("MADOGUCHI_JPKI_CRL_REFRESH_SECONDS", "3600"))
MADOGUCHI_CARD_CHALLENGE_SECONDS = 300

# The counter's tablet: seconds the thanks and receipt numbers stay after filing before the
# tablet shows 「次の方をお待ちください」 on its own. See docs/counter.md.
MADOGUCHI_COUNTER_THANKS_SECONDS = int(os.environ.get("MADOGUCHI_COUNTER_THANKS_SECONDS", "60"))

# デジタル認証アプリ (OpenID Connect); login with it is off while the issuer is empty.
# See docs/identity.md (設定).
MADOGUCHI_DIGITAL_AUTH_ISSUER = os.environ.get("MADOGUCHI_DIGITAL_AUTH_ISSUER", "")
MADOGUCHI_DIGITAL_AUTH_DISCOVERY_URL = os.environ.get("MADOGUCHI_DIGITAL_AUTH_DISCOVERY_URL", "")
MADOGUCHI_DIGITAL_AUTH_CLIENT_ID = os.environ.get("MADOGUCHI_DIGITAL_AUTH_CLIENT_ID", "")
MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI = os.environ.get("MADOGUCHI_DIGITAL_AUTH_REDIRECT_URI", "")
MADOGUCHI_DIGITAL_AUTH_CLIENT_AUTH_METHOD = os.environ.get("MADOGUCHI_DIGITAL_AUTH_CLIENT_AUTH_METHOD", "private_key_jwt")
MADOGUCHI_DIGITAL_AUTH_PRIVATE_KEY_FILE = os.environ.get("MADOGUCHI_DIGITAL_AUTH_PRIVATE_KEY_FILE", "")
MADOGUCHI_DIGITAL_AUTH_KEY_ID = os.environ.get("MADOGUCHI_DIGITAL_AUTH_KEY_ID", "")
MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_FILE = os.environ.get("MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_FILE", "")
MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_ID = os.environ.get("MADOGUCHI_DIGITAL_AUTH_ENCRYPTION_KEY_ID", "")
MADOGUCHI_DIGITAL_AUTH_CLIENT_SECRET = os.environ.get("MADOGUCHI_DIGITAL_AUTH_CLIENT_SECRET", "")
MADOGUCHI_DIGITAL_AUTH_SCOPES = os.environ.get("MADOGUCHI_DIGITAL_AUTH_SCOPES", "openid name address birthdate gender")
MADOGUCHI_DIGITAL_AUTH_SIGN_ENDPOINT = os.environ.get("MADOGUCHI_DIGITAL_AUTH_SIGN_ENDPOINT", "")
MADOGUCHI_DIGITAL_AUTH_ACR_VALUES = os.environ.get("MADOGUCHI_DIGITAL_AUTH_ACR_VALUES", "aal3 crl")
MADOGUCHI_DIGITAL_AUTH_TIMEOUT_SECONDS = float(os.environ.get("MADOGUCHI_DIGITAL_AUTH_TIMEOUT_SECONDS", "10"))

EMAIL_BACKEND = os.environ.get(
    "MADOGUCHI_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("MADOGUCHI_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("MADOGUCHI_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("MADOGUCHI_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MADOGUCHI_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("MADOGUCHI_SMTP_STARTTLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("MADOGUCHI_MAIL_FROM", "no-reply@madoguchi.invalid")

# Logging: no answer value in any log line. Records carry code locations and exception types,
# never exception messages (they quote values); error reports hide POST values and locals.
# See madoguchi/core/logsafe.py and docs/operations.md (ログ).
LOGGING_CONFIG = "madoguchi.core.logsafe.configure"
DEFAULT_EXCEPTION_REPORTER_FILTER = "madoguchi.core.logsafe.NoValuesReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "madoguchi.core.logsafe.NoValuesExceptionReporter"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MADOGUCHI_LOG_LEVEL", "INFO")},
    # the `stripe` library logs every request and answer at INFO: two lines per poll of the
    # reconciliation job; its warnings and errors still come through
    "loggers": {"stripe": {"level": "WARNING"}},
}

# The audit log's daily digests handed outside the database (core/audit_chain.py, `audit_seal`):
# one append-only JSON-lines file per city in this directory ("" writes none; keep it where the
# database's owner cannot write), and a mail to the city's department coded
# MADOGUCHI_AUDIT_DIGEST_DEPARTMENT (its e-mail) and to MADOGUCHI_AUDIT_DIGEST_TO: comma-separated
# `slug=address` (that city's) or bare addresses (every city's).
MADOGUCHI_AUDIT_DIGEST_DIR = os.environ.get("MADOGUCHI_AUDIT_DIGEST_DIR", "")
MADOGUCHI_AUDIT_DIGEST_TO = os.environ.get("MADOGUCHI_AUDIT_DIGEST_TO", "")
MADOGUCHI_AUDIT_DIGEST_DEPARTMENT = os.environ.get("MADOGUCHI_AUDIT_DIGEST_DEPARTMENT", "joho")

# 支援措置 (applications/protection_holds.py): a city's own procedures whose requests for someone's
# certificate (its 戸籍の附票の写し) are held like the 住民票の写し's, as JSON {"code": {"scope": "",
# "persons": "persons"}}; `madoguchi check` names a wrong entry (madoguchi.E030).
MADOGUCHI_PROTECTED_CERTIFICATES = os.environ.get("MADOGUCHI_PROTECTED_CERTIFICATES", "")

# Days before a procedure's last day on which My Page's deadline reminder is mailed.
MADOGUCHI_DEADLINE_REMINDER_DAYS = tuple(int(d) for d in os.environ.get(
    "MADOGUCHI_DEADLINE_REMINDER_DAYS", "3,1").split(",") if d.strip())

# E-mail delivery reports (bounces, complaints) through django-anymail's tracking webhooks at
# /notify/anymail/<esp>/tracking/ (notify/bounces.py); the mail itself goes through EMAIL_BACKEND.
# Only the ESP named here has its webhook served (anymail's view for an ESP whose keys are not
# set would answer a 500); "" (SMTP, no ESP) serves none. A key not set is left out, so anymail
# says ImproperlyConfigured and the webhook answers 404 with an error in the log.
MADOGUCHI_EMAIL_ESP = os.environ.get("MADOGUCHI_EMAIL_ESP", "")  # mailgun, amazon_ses, sendgrid, postmark, …
ANYMAIL = {name: value for name, value in {
    "WEBHOOK_SECRET": os.environ.get("MADOGUCHI_ANYMAIL_WEBHOOK_SECRET", ""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MADOGUCHI_MAILGUN_WEBHOOK_SIGNING_KEY", ""),
}.items() if value}
