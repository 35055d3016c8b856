"""One settings module, driven by the environment.

With no environment at all it runs as the embedded default used by ``make demo``:
SQLite under ``var/``, Celery eager, local-memory cache, console email, DEBUG on and a
generated development secret. Setting ``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``,
``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DJANGO_ENV=production`` switches to real
services; see README.md for the full table.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)


def _development_secret() -> str:
    """A per-checkout secret, generated once so sessions survive a restart."""
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "Production needs SECRET_KEY from the environment (50+ random characters)."
        )
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs ALLOWED_HOSTS from the environment.")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret()
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------

INSTALLED_APPS = [
    # Project apps first so their templates override third-party ones.
    "core",
    "accounts",
    "points",
    "volunteers",
    "cms",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.api.v2",
    "wagtail.embeds",
    "wagtail.sites",
    "accounts.apps.UsersAdminConfig",  # wagtail.users with our user forms
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "allauth.socialaccount",
    # Volunteers link LINE to be told things there (core.notify.LineChannel).
    "allauth.socialaccount.providers.line",
    # API
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "phonenumber_field",
    "csp",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id; /healthz answers before
    # host validation and sessions; bodies too large or holding NULs are refused
    # before anything reads them (core.middleware).
    "core.middleware.RequestIdMiddleware",
    "core.middleware.HealthCheckMiddleware",
    "core.middleware.BadInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.CsvBomMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.AdminAccessPolicyMiddleware",
    # Last before the view: input some Wagtail and allauth views answer with a 500.
    "core.middleware.ThirdPartyInputMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Anonymous GETs of public pages and feeds read from the replica, when there is one.
    "core.middleware.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.site",
                "core.context_processors.display",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Data ---------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{(VAR_DIR / 'db.sqlite3').as_posix()}"
    )
}
# Persistent connections: a new PostgreSQL connection per request costs more than a
# check-in's queries (bench/bench_checkin.py). Health-checked before reuse.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Behind PgBouncer in transaction mode a server-side cursor (QuerySet.iterator() on
# PostgreSQL, used by the nightly jobs to stream) may land on another server
# connection: set DATABASE_DISABLE_SERVER_SIDE_CURSORS=1 there (Django's own advice).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the dev server and a shell share the demo database.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )


def replica_database(url: str, primary: dict) -> dict:
    """The ``replica`` alias: a PostgreSQL streaming replica (a hot standby) at ``url``,
    with the primary's options. It only ever serves reads inside ``core.db.replica_reads``
    (reports, exports, anonymous public pages; see README, "Production and scale-out").

    ``connect_timeout`` is short: an unreachable replica costs a request at most that
    long before it reads from the primary, and ``core.db`` then leaves the replica alone
    for ``REPLICA_RETRY_SECONDS``.

    ``TEST["MIRROR"]``: in tests Django must neither create a test database on the
    standby nor flush it (it is read-only; both would fail). A mirror is exactly that:
    Django's ``set_as_test_mirror`` copies only the primary's test database *name* into
    this alias, keeping its own host and port, and test cases skip mirrors when they
    create, flush or serialise databases. On a physical replica the test database the
    runner creates on the primary arrives by itself through streaming replication, so
    the alias then really reads the standby's copy (tests/platform/test_replica.py).
    """
    replica = {**primary, **environ.Env.db_url_config(url)}
    replica["OPTIONS"] = {**primary.get("OPTIONS", {}), **replica.get("OPTIONS", {})}
    replica["OPTIONS"].setdefault("connect_timeout", 2)
    replica["TEST"] = {"MIRROR": "default"}
    return replica


# Reads that may leave the primary (core.db): set DATABASE_REPLICA_URL to a streaming
# replica of DATABASE_URL. REPLICA_READS=0 keeps every read on the primary without
# removing the alias (e.g. while the replica is rebuilt).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = replica_database(DATABASE_REPLICA_URL, DATABASES["default"])
REPLICA_READS = env.bool("REPLICA_READS", default=bool(DATABASE_REPLICA_URL))
# After a failed connection to the replica, how long reads stay on the primary before
# the replica is tried again.
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=5.0)
DATABASE_ROUTERS = ["core.db.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="ikiiki"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Never lose work (README, "Celery"): a task is acknowledged only once it has finished,
# and put back on the queue when its worker process dies (kill -9, out of memory).
# Tasks are therefore at-least-once and idempotent; retries: core.tasks.ReliableTask.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task past its soft limit gets SoftTimeLimitExceeded and is retried; the hard limit
# kills its process. The longest task (the monthly statements) takes seconds today.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# A message taken by a worker that vanished without a word (the whole worker killed,
# the machine lost) goes back to the queue after the visibility timeout. It must exceed
# the hard time limit (300 s) plus the longest retry wait a worker holds unacknowledged
# (core.tasks.RETRY_BACKOFF_MAX, 600 s), or a running or waiting task would be handed
# to a second worker: 1200 s (20 minutes, the worst delay after such a crash).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1200),
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long a send claim (core.outbox) is held: longer than the hard time limit, so a
# live attempt never loses it; how long a sent message without a *_sent_at field is
# remembered, so a redelivered task does not send it again.
SEND_CLAIM_SECONDS = CELERY_TASK_TIME_LIMIT + 60
SENT_MEMORY_SECONDS = 30 * 86400
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Tokyo"
CELERY_BEAT_SCHEDULE = {
    "points-expire": {
        "task": "points.expire_points",
        "schedule": crontab(hour=0, minute=15),
    },
    "vouchers-expire": {
        "task": "points.expire_vouchers",
        "schedule": crontab(hour=0, minute=20),
    },
    "activities-close-forgotten": {
        "task": "volunteers.close_forgotten_checkouts",
        "schedule": crontab(minute="*/30"),
    },
    # Self check-ins no host confirmed within a day go to the review queue.
    "checkins-expire-unconfirmed": {
        "task": "volunteers.expire_unconfirmed_checkins",
        "schedule": crontab(minute=5),
    },
    # Idempotent scans' first answers, kept a day for retries, then deleted.
    "scan-receipts-purge": {
        "task": "volunteers.purge_scan_receipts",
        "schedule": crontab(minute=40),
    },
    "standing-requests-generate": {
        "task": "volunteers.generate_standing_requests",
        "schedule": crontab(hour=1, minute=30),
    },
    # Insurance dates derived again from the enrolments: on 1 April a volunteer
    # enrolled for the new fiscal year becomes insured (shortly after midnight).
    "insurance-dates-refresh": {
        "task": "volunteers.refresh_insurance_dates",
        "schedule": crontab(hour=0, minute=5),
    },
    # Hourly through the evening: an assignment made after 17:00 for the next day is
    # still reminded (each assignment once: the claim is a conditional UPDATE).
    "assignment-reminders": {
        "task": "volunteers.send_reminders",
        "schedule": crontab(hour="17-21", minute=0),
    },
    # Residents and volunteers who left more than the retention period ago (APPI).
    "personal-data-retention": {
        "task": "volunteers.personal_data_retention",
        "schedule": crontab(hour=2, minute=10),
    },
    # Volunteers told ExchangeSettings.expiry_notice_weeks before their points or
    # vouchers expire: in the morning, so a reply or a question reaches the centre open.
    "expiry-notices": {
        "task": "points.send_expiry_notices",
        "schedule": crontab(hour=9, minute=30),
    },
    "statements-generate": {
        "task": "points.generate_statements",
        "schedule": crontab(day_of_month=1, hour=1, minute=0),
    },
}

# --- Accounts -----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"  # where each role lands
# A form sent with a stale or missing CSRF token gets the styled 403 page.
CSRF_FAILURE_VIEW = "accounts.error_pages.csrf_failure"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[いきいきポイント] "
# allauth's defaults, written out so operators see them: the failed-login limit is
# what turns a password-guessing run into a clear message instead of more tries.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Accept the previous and next 30-second code too: phones' clocks drift.
MFA_TOTP_TOLERANCE = 1
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="いきいきポイント")

HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app", "browser")
# One query per X-Session-Token lookup instead of two (core/tokens.py).
HEADLESS_TOKEN_STRATEGY = "core.tokens.SessionTokenStrategy"  # noqa: S105 (a class path)

# --- LINE ---------------------------------------------------------------------------
# Two channels of one LINE provider (README "LINE"): LINE Login, through which a
# volunteer links their LINE account (its userId is the SocialAccount's uid), and the
# Messaging API, through which notices are pushed to them. Without LINE_LOGIN_CHANNEL_ID
# the provider lists no app (no LINE button anywhere); without the access token the
# LINE channel is not among the notification channels.
LINE_LOGIN_CHANNEL_ID = env.str("LINE_LOGIN_CHANNEL_ID", default="")
LINE_LOGIN_CHANNEL_SECRET = env.str("LINE_LOGIN_CHANNEL_SECRET", default="")
LINE_CHANNEL_ACCESS_TOKEN = env.str("LINE_CHANNEL_ACCESS_TOKEN", default="")
LINE_API_BASE_URL = env.str("LINE_API_BASE_URL", default="https://api.line.me")
LINE_CONNECT_TIMEOUT = env.float("LINE_CONNECT_TIMEOUT", default=5)
LINE_TIMEOUT = env.float("LINE_TIMEOUT", default=10)
LINE_ENABLED = bool(
    LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN
)

SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
# LINE links to an existing account only: no signing up, no signing in through it
# (sign-in stays email + password or code, with TOTP for staff).
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "line": {
        # profile: the userId (pushes go to it) and display name; no email asked.
        "SCOPE": ["profile", "openid"],
        # Offer to add the city's official account as a friend while linking: LINE
        # delivers pushes only to users who did.
        "AUTH_PARAMS": {"bot_prompt": "aggressive"},
        "APPS": (
            [{"client_id": LINE_LOGIN_CHANNEL_ID, "secret": LINE_LOGIN_CHANNEL_SECRET}]
            if LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET
            else []
        ),
    }
}

PHONENUMBER_DEFAULT_REGION = "JP"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

# --- API ----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with the depth and NUL checks (core.badinput): bad input is a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "core.badinput.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "いきいきポイント・支えあい API",
    "DESCRIPTION": "Community points and volunteer coordination platform, API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Wagtail's own admin API is DRF too; the public schema documents /api/v1/ only.
    "PREPROCESSING_HOOKS": ["core.api.only_api_v1"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: the docs work offline and without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Wagtail ------------------------------------------------------------------------

WAGTAIL_SITE_NAME = env.str("SITE_NAME", default="いきいきポイント・支えあいセンター")
WAGTAILADMIN_BASE_URL = env.str("BASE_URL", default="http://127.0.0.1:8000")
# One source of truth for the site's name and address (core.site): the CMS API's links,
# and Wagtail's Site record, which cms.services.site.site_settings_sync keeps in line.
WAGTAILAPI_BASE_URL = WAGTAILADMIN_BASE_URL
# The admin signs in through allauth so that the MFA stage applies to the back office.
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_I18N_ENABLED = False
# Users created in the back office need no password: they sign in by emailed code or
# set one through "forgot password" (accounts.users_admin).
WAGTAILUSERS_PASSWORD_REQUIRED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("ja", "日本語"), ("en", "English")]
# One time zone for everyone (Asia/Tokyo): the account page then offers no list of
# 600 English zone names. No banners pointing to wagtail.org's English pages, and no
# update check calling out to the internet from the admin.
WAGTAIL_USER_TIME_ZONES = ["Asia/Tokyo"]
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
# The database's own full-text search, with Japanese cut into bigrams (core.japanese_search).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "core.japanese_search"}}
# Wagtail warns when a page model's search_fields lack Page's own; ours hold them all,
# wrapped to be indexed as bigrams (core.japanese_search.index_fields), which the
# check's identity test cannot see (tests/cms/test_japanese_search.py checks them).
SILENCED_SYSTEM_CHECKS = ["wagtailsearch.W001"]
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "xlsx", "csv", "txt"]
MAX_UPLOAD_SIZE = 10 * 1024 * 1024

# --- Public site (cms) --------------------------------------------------------------

# Collaboration-proposal attachments: largest file, most files per proposal.
PROPOSAL_ATTACHMENT_MAX_SIZE = env.int("PROPOSAL_ATTACHMENT_MAX_SIZE", default=MAX_UPLOAD_SIZE)
PROPOSAL_ATTACHMENT_MAX_COUNT = 5
# Submissions allowed per user and per address in an hour (spam guard).
PROPOSAL_SUBMIT_LIMIT = env.int("PROPOSAL_SUBMIT_LIMIT", default=5)
VOLUNTEER_SIGNUP_LIMIT = env.int("VOLUNTEER_SIGNUP_LIMIT", default=5)
# With moderation on, association editors cannot publish events themselves: their
# events go through the "district events" workflow (city staff approve).
CMS_EVENT_MODERATION = env.bool("CMS_EVENT_MODERATION", default=False)

# --- Internationalisation -----------------------------------------------------------

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
# Dates and times Django prints by itself (admin list columns, inspect views) in the
# style of core.formats: 2026年12月3日(木) 06:56.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploads only their owner and staff may download (never under MEDIA_URL).
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email --------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# A mail server that accepts and never answers must not hang a worker (or a request).
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="いきいきポイント <noreply@example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -----------------------------------------------------------------------

# Proxies in front of the web processes, each appending to X-Forwarded-For (README,
# "Behind a proxy"). The client's address, which per-address limits key on (allauth's
# and the project's, core.clientip), is the entry this many places from the right;
# 0 uses REMOTE_ADDR and ignores the header (what a client writes there is not trusted).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Request bodies (core.middleware.BadInputMiddleware refuses larger ones with a 413 from
# Content-Length, before anything is read): forms and JSON, and multipart uploads
# (a proposal's attachments at most, plus its form fields).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_BODY_MAX_SIZE", default=2 * 1024 * 1024)
UPLOAD_REQUEST_MAX_SIZE = env.int(
    "UPLOAD_REQUEST_MAX_SIZE",
    default=PROPOSAL_ATTACHMENT_MAX_SIZE * PROPOSAL_ATTACHMENT_MAX_COUNT + 1024 * 1024,
)
#: Deepest nesting of arrays and objects a JSON body may have (400 ``json_too_deep``).
JSON_MAX_DEPTH = 32

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
# Content-Security-Policy (django-csp): scripts and styles from our own origin only;
# the few inline <style> blocks carry the request's nonce. Style attributes (a bar's
# width, Wagtail's markup) are allowed: they cannot run code. Under /admin/ Wagtail 8
# still writes inline scripts, so CSP_ADMIN_REPLACE allows inline there
# (core.middleware.ContentSecurityPolicyMiddleware); the rest of the policy holds.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
CSP_INLINE_PATHS = ["/admin/", "/api/docs/"]
CSP_ADMIN_REPLACE = {
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
}
# Answers with live voucher codes or a person's data: never stored by a browser or a
# proxy cache (core.middleware.NoStoreMiddleware; prefixes of the path).
NO_STORE_PATHS = [
    "/me/",
    "/shop/",
    "/api/v1/",
    "/_allauth/",
    "/accounts/",
    "/admin/",
]
# Wagtail's admin shows Gravatar pictures by default: a request to a third party
# carrying a hash of each user's email address. Initials instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# No page uses a browser API for the camera, microphone or location: QR codes are
# read by the phone's own camera app, which opens the code's URL.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer polls over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- Logging ------------------------------------------------------------------------

# One JSON object per line in production (LOG_FORMAT=json), each with the request's id
# (X-Request-ID, core.middleware.RequestIdMiddleware); plain lines in development.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.logging.RequestIdFilter"},
        # Voucher codes and search terms never reach a log line (core.logmask).
        "mask_personal_data": {"()": "core.logmask.MaskPersonalData"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # runserver's request lines, through the masking handler (Django's default
        # handler for them would not mask).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Wagtail runs its own background tasks (reference and search index updates)
        # through django_tasks, which logs each task's start and end at INFO: four
        # lines for every page published.
        "django_tasks": {"level": "WARNING"},
    },
}

# Error reporting, off unless SENTRY_DSN is set (pip install '.[sentry]'). No personal
# data is sent: no user, cookies, headers' values or request bodies.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError as error:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install '.[sentry]'."
        ) from error
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=DJANGO_ENV),
        send_default_pii=False,
        max_request_body_size="never",
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Points and vouchers ------------------------------------------------------------

# Keys for voucher-code lookup digests and sealing (points.codes). Required in
# production (a `check --deploy` error without it); elsewhere it falls back to
# SECRET_KEY. To rotate: put the new key here and the old one in VOUCHER_CODE_OLD_KEYS
# (comma-separated), so vouchers issued under it still open (see README).
VOUCHER_CODE_KEY = env.str("VOUCHER_CODE_KEY", default="")
VOUCHER_CODE_OLD_KEYS = env.list("VOUCHER_CODE_OLD_KEYS", default=[])

# --- Mutual-aid matching -----------------------------------------------------------

# Points each preference adds to a volunteer's rank (volunteers.selectors.suggest).
# "fairness" is split by this month's assignments: weight / (1 + assignments).
MATCHING_WEIGHTS = {
    "continuity": env.int("MATCHING_WEIGHT_CONTINUITY", default=30),
    "fairness": env.int("MATCHING_WEIGHT_FAIRNESS", default=20),
    "same_district": env.int("MATCHING_WEIGHT_SAME_DISTRICT", default=15),
    "resident_preference": env.int("MATCHING_WEIGHT_RESIDENT_PREFERENCE", default=25),
    "car": env.int("MATCHING_WEIGHT_CAR", default=15),
}
# How people are told things (core.notify): offers, assignments, expiry notices.
VOLUNTEER_NOTIFICATION_CHANNELS = ["core.notify.LineChannel"] if LINE_CHANNEL_ACCESS_TOKEN else []
# Email last: a retry after it failed re-pushes LINE with the same retry key (409, not
# delivered twice); core.notify.deliver also remembers each channel that has sent.
VOLUNTEER_NOTIFICATION_CHANNELS.append("core.notify.EmailChannel")
# How many days ahead beat creates the requests of standing requests.
STANDING_REQUESTS_DAYS_AHEAD = env.int("STANDING_REQUESTS_DAYS_AHEAD", default=14)

# --- Reports and open data ------------------------------------------------------------

# Open data (the fiscal-year statistics as CSV): counts from 1 up to this minus one are
# hidden (総務省's convention for counts that could point at a person), shown as the
# mark below. Secondary suppression is not applied (see README, "Reports and open data").
OPEN_DATA_MIN_COUNT = env.int("OPEN_DATA_MIN_COUNT", default=3)
OPEN_DATA_SUPPRESSED_MARK = env.str("OPEN_DATA_SUPPRESSED_MARK", default="X")

# --- Demo ---------------------------------------------------------------------------

# seed_demo runs these in order; each app appends its own seeder.
# ``seed_city``: the generated city for benchmarks, in dependency order.
CITY_SEEDERS = ["volunteers.city.seed", "cms.city.seed"]

DEMO_SEEDERS = [
    "accounts.demo.seed",
    "points.demo.seed",
    "points.demo.seed_shops",
    "volunteers.demo.seed",
    "volunteers.demo.seed_aid",
    "volunteers.demo.seed_year",
    "cms.demo.seed",
]
