"""The one settings module, driven by environment variables.

KAM_HOME        folder for the SQLite file and the DuckDB ledger (default ./var)
DATABASE_URL    operational store, e.g. postgresql://user:pw@host/db (default SQLite)
KAM_LEDGER_URL  ledger engine: duckdb:///path.duckdb or postgresql://...?schema=kam_ledger
KAM_LEDGER_MEMORY  memory DuckDB may hold before it spills to disk, e.g. 1GB (default 1GB)
KAM_PORT        web port (default 8000)
KAM_CURRENCY    reporting currency, ISO 4217 (default EUR)
KAM_FISCAL_YEAR_START  first month of the fiscal year (default 1)
KAM_PRODUCTION  "1" turns on the production security settings
KAM_UPLOAD_MAX_BYTES  largest ledger file the web accepts (default 512 MiB)
KAM_ALLOWED_HOSTS  host names the site answers to, comma-separated
KAM_CSRF_TRUSTED_ORIGINS  origins allowed to post forms (default https://<each allowed host>)
KAM_LOGIN_MAX_FAILURES  failed sign-ins of one user name that lock it (default 5)
KAM_LOGIN_MAX_FAILURES_PER_ADDRESS  failed sign-ins from one address that lock it (default 20)
KAM_LOGIN_LOCK_MINUTES  window that counts failures, and length of a lock-out (default 15)
KAM_PROXY_HOPS  reverse proxies in front of KAM that append to X-Forwarded-For (default 0)
KAM_SESSION_IDLE_MINUTES  sign out after this long without a request (default 30)
KAM_SESSION_MAX_HOURS  sign out this long after signing in, however active (default 12)
KAM_RISK_CLIENT_SHARE  share of revenue or margin one client may carry unflagged (default 0.10)
KAM_RISK_TOP_N  how many of the largest clients the second risk test takes together (default 5)
KAM_RISK_TOP_SHARE  share those top clients may carry together before a warning (default 0.50)
"""

from __future__ import annotations

import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def _refused(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r}: {expected}")


def _whole(name: str, default: int, low: int, high: int) -> int:
    """An environment variable that must be a whole number from `low` to `high`."""
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise _refused(name, value, f"a whole number from {low} to {high}")
    return number


def _share(name: str, default: str) -> Decimal:
    """An environment variable that must be a share above 0 and at most 1."""
    value = os.environ.get(name, default)
    try:
        share = Decimal(value)
    except InvalidOperation:
        share = Decimal(-1)
    if not share.is_finite() or not 0 < share <= 1:
        raise _refused(name, value, "a share above 0 and at most 1, e.g. 0.80")
    return share


BASE_DIR = Path(__file__).resolve().parent
KAM_HOME = Path(os.environ.get("KAM_HOME", "var")).resolve()
KAM_HOME.mkdir(parents=True, exist_ok=True)
KAM_CURRENCY = os.environ.get("KAM_CURRENCY", "EUR").strip().upper()
if not re.fullmatch(r"[A-Z]{3}", KAM_CURRENCY):
    raise _refused("KAM_CURRENCY", KAM_CURRENCY, "a three-letter ISO 4217 code, e.g. EUR or RON")
KAM_PORT = _whole("KAM_PORT", 8000, 1, 65535)
KAM_FISCAL_YEAR_START = _whole("KAM_FISCAL_YEAR_START", 1, 1, 12)
KAM_LEDGER_URL = os.environ.get("KAM_LEDGER_URL", f"duckdb:///{KAM_HOME / 'ledger.duckdb'}")
KAM_LEDGER_MEMORY = os.environ.get("KAM_LEDGER_MEMORY", "1GB")
KAM_ABC_A = str(_share("KAM_ABC_A", "0.80"))
KAM_ABC_B = str(_share("KAM_ABC_B", "0.95"))
if Decimal(KAM_ABC_A) > Decimal(KAM_ABC_B):
    raise _refused("KAM_ABC_B", KAM_ABC_B, f"at least KAM_ABC_A ({KAM_ABC_A}): B comes after A")
PRODUCTION = os.environ.get("KAM_PRODUCTION") == "1"
KAM_UPLOAD_MAX_BYTES = _whole("KAM_UPLOAD_MAX_BYTES", 512 << 20, 1, 1 << 50)
KAM_IMPORT_INLINE = False  # tests run import jobs in the request instead of a thread
# Uploaded files above 2.5 MiB stream to a temporary file, never into memory;
# form fields other than files stay under Django's 2.5 MiB default.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

DEBUG = os.environ.get("KAM_DEBUG") == "1"
SECRET_KEY = os.environ.get("KAM_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise RuntimeError("KAM_SECRET_KEY must be set in production")
    SECRET_KEY = "kam-development-only-key-" + "x" * 40
ALLOWED_HOSTS = os.environ.get("KAM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
# ".example.com" in the allowed hosts trusts https://*.example.com
CSRF_TRUSTED_ORIGINS = os.environ.get(
    "KAM_CSRF_TRUSTED_ORIGINS",
    ",".join(f"https://{'*' if h.startswith('.') else ''}{h}" for h in ALLOWED_HOSTS if h != "*"),
).split(",")
KAM_LOGIN_MAX_FAILURES = int(os.environ.get("KAM_LOGIN_MAX_FAILURES", "5"))
KAM_LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("KAM_LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))
KAM_LOGIN_LOCK_MINUTES = int(os.environ.get("KAM_LOGIN_LOCK_MINUTES", "15"))
KAM_PROXY_HOPS = int(os.environ.get("KAM_PROXY_HOPS", "0"))
KAM_SESSION_IDLE_MINUTES = int(os.environ.get("KAM_SESSION_IDLE_MINUTES", "30"))
KAM_SESSION_MAX_HOURS = int(os.environ.get("KAM_SESSION_MAX_HOURS", "12"))
# dependency risk (kam.analytics.core.risk): refused at start when out of range
KAM_RISK_CLIENT_SHARE = float(os.environ.get("KAM_RISK_CLIENT_SHARE", "0.10"))
KAM_RISK_TOP_N = int(os.environ.get("KAM_RISK_TOP_N", "5"))
KAM_RISK_TOP_SHARE = float(os.environ.get("KAM_RISK_TOP_SHARE", "0.50"))
if not (0 < KAM_RISK_CLIENT_SHARE <= 1 and 0 < KAM_RISK_TOP_SHARE <= 1 and KAM_RISK_TOP_N >= 1):
    raise RuntimeError(
        "KAM_RISK_CLIENT_SHARE and KAM_RISK_TOP_SHARE must lie in (0, 1] and KAM_RISK_TOP_N be >= 1"
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # django-ninja is not an installed app: importing it costs every command and
    # process a quarter of a second. Its templates and static files (the API docs
    # page, without a CDN) are found through TEMPLATES and STATICFILES_DIRS below.
    "kam.people",
    "kam.audit",
    "kam.clients",
    "kam.ledger",
    "kam.analytics",
    "kam.accounts",
    "kam.planning",
    "kam.api",
    "kam.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kam.web.middleware.security_headers",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kam.web.middleware.user_language",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kam.web.middleware.session_timeouts",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"
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
            ],
        },
    },
]

_DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{KAM_HOME / 'kam.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(_DATABASE_URL, conn_max_age=60)}
except ValueError:  # an unknown scheme, or no URL at all
    _parts = urlsplit(_DATABASE_URL)  # shown without its user, password or query
    _shown = f"{_parts.scheme}://{_parts.hostname or ''}{_parts.path}" if _parts.scheme else "…"
    raise _refused("DATABASE_URL", _shown, "a URL such as postgresql://user:pw@host/db") from None
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        # One writer at a time: a second import, or a page saving a change, waits for
        # the first import's snapshot (20 s on a 10M-line ledger) instead of failing
        # after SQLite's 5 s with "database is locked".
        "timeout": 60,
        # Memory-mapped reads: a deep page of a 100k-client list walks its index
        # three times faster than through SQLite's page cache.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ro", _("Romanian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KAM_TIME_ZONE", "Europe/Bucharest")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = KAM_HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = not PRODUCTION

# The cookie lives as long as the absolute time-out; kam.web.middleware.session_timeouts
# ends a session earlier when it has been idle.
SESSION_COOKIE_AGE = KAM_SESSION_MAX_HOURS * 3600
# "__Host-" cookies are refused by browsers unless secure, host-only and for path /
SESSION_COOKIE_NAME = "__Host-sessionid" if PRODUCTION else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if PRODUCTION else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("KAM_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}


def _package_dir(package: str, *parts: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations is not None
    return Path(next(iter(spec.submodule_search_locations)), *parts)


# plotly.js comes from the installed plotly package; htmx from django-htmx; Swagger UI
# from django-ninja (found without importing it).
STATICFILES_DIRS = [
    ("plotly", _package_dir("plotly", "package_data")),
    _package_dir("ninja", "static"),
]
TEMPLATES[0]["DIRS"] = [_package_dir("ninja", "templates")]
