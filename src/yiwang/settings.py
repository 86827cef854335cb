"""Configuration, read once from environment variables with safe local defaults.

No other module reads the environment (ARCHITECTURE.md rule 7).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("YIWANG_VAR_DIR", Path.cwd() / "var")).resolve()


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("YIWANG_DEBUG", False)
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}"
DATABASE_URL = os.environ.get("YIWANG_DATABASE_URL") or DEFAULT_DATABASE_URL
USING_LOCAL_DEFAULT_DB = DATABASE_URL == DEFAULT_DATABASE_URL


def _secret_key() -> str:
    configured = os.environ.get("YIWANG_SECRET_KEY")
    if configured:
        return configured
    if not DEBUG and not USING_LOCAL_DEFAULT_DB:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "YIWANG_SECRET_KEY 未设置：关闭调试且使用非本地数据库时必须提供密钥。"
        )
    # Local use: a key generated once and kept beside the local database.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# The division this node serves (GB/T 2260 code); empty: the single root division.
NODE_DIVISION_CODE = os.environ.get("YIWANG_NODE_DIVISION", "")
# The divisions that get scheduled bulletins (comma-separated codes); empty: every city
# holding unit grids (reports.bulletins.actions.bulletin_divisions).
BULLETIN_DIVISIONS = tuple(
    code.strip()
    for code in os.environ.get("YIWANG_BULLETIN_DIVISIONS", "").split(",")
    if code.strip()
)
# Bulletins one person may issue on demand ("count/period", django-ratelimit): building a
# city's monthly bulletin takes seconds of database time.
BULLETIN_ISSUE_RATE = os.environ.get("YIWANG_BULLETIN_ISSUE_RATE", "30/h")
# Threads (each with its own PostgreSQL connection) that build a monthly bulletin's
# rankings side by side (reports.bulletins.parallel); 1 builds them one after the other.
BULLETIN_BUILD_THREADS = max(1, int(os.environ.get("YIWANG_BULLETIN_BUILD_THREADS", "4")))
TILE_URL = os.environ.get("YIWANG_TILE_URL", "")
ALLOWED_HOSTS = [h for h in os.environ.get("YIWANG_ALLOWED_HOSTS", "*").split(",") if h]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("YIWANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    # Serves the API docs page with its own Swagger UI files (never a CDN).
    "ninja",
    # Counts failed sign-ins per account and per address and locks them out.
    "axes",
    "yiwang.core",
    "yiwang.org",
    "yiwang.geo",
    "yiwang.catalog",
    "yiwang.cases",
    # Channels that file cases through the case actions: public, phone, Open311, 12345, video.
    "yiwang.intake",
    # Reading the case loop: indicators and scores; hotspots, bulletins and the dashboard.
    "yiwang.evaluation",
    "yiwang.reports",
    "yiwang.web",
    # The demo city loader (`yiwang load_demo`); it may import every app, no app imports it.
    "yiwang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Refuses bytes that are not UTF-8 and gives every /api/ error the API's shape.
    "yiwang.web.edge.EdgeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it turns a lockout found during authentication into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"
ASGI_APPLICATION = "yiwang.asgi.application"

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
                "yiwang.web.context.shell",
            ],
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["CONN_MAX_AGE"] = 0
        # WAL + busy timeout + IMMEDIATE transactions let the web process and the
        # worker write at the same time without "database is locked" errors.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=20000;"
                "PRAGMA foreign_keys=ON;"
            ),
        }
        config["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # The analysis pages run short aggregates over many rows; PostgreSQL's JIT spends
        # about 0.8 s compiling each of them, more than it takes to run them
        # (bench/bench_people.py), so it is off for this application's connections.
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

# The axes backend comes first: it refuses a locked-out account or address before any password
# is checked, and counts every failure (web login, admin login and the token endpoint alike).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it to exist
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"


def _media_storage(kind: str) -> dict[str, Any]:
    """Where uploaded files (case photos, exports) live: files under MEDIA_ROOT, or an
    S3-compatible bucket through django-storages. Either way they are private: the app
    serves them to signed-in users in scope, and never hands out a public URL (objects
    get no ACL of their own, so the bucket's private default applies; URLs are signed)."""
    from django.core.exceptions import ImproperlyConfigured

    if kind in ("", "local"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured("YIWANG_STORAGE 只能是 local（默认）或 s3。")
    bucket = os.environ.get("YIWANG_S3_BUCKET", "")
    if not bucket:
        raise ImproperlyConfigured("YIWANG_STORAGE=s3 时必须设置 YIWANG_S3_BUCKET。")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Empty: AWS itself; otherwise any S3-compatible endpoint (MinIO, Ceph, OSS …).
            "endpoint_url": os.environ.get("YIWANG_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("YIWANG_S3_REGION") or None,
            # Empty: boto3's own chain (instance role, AWS_* variables, config files).
            "access_key": os.environ.get("YIWANG_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("YIWANG_S3_SECRET_KEY") or None,
            "location": os.environ.get("YIWANG_S3_PREFIX", "").strip("/"),
            "addressing_style": os.environ.get("YIWANG_S3_ADDRESSING_STYLE") or None,
            "default_acl": None,
            "querystring_auth": True,
            # Names are content digests: the same name is the same bytes.
            "file_overwrite": True,
        },
    }


STORAGE_KIND = os.environ.get("YIWANG_STORAGE", "local").strip().lower()
STORAGES = {
    "default": _media_storage(STORAGE_KIND),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Grid and component files are posted whole to the import endpoints.
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "yiwang.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS in production the cookies must not travel in clear text.
SESSION_COOKIE_SECURE = _flag("YIWANG_SECURE_COOKIES", not DEBUG and not USING_LOCAL_DEFAULT_DB)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Sign-in lockout (django-axes). Failures within the cool-off window are counted per user name
# and, separately, per client address (across user names); at the limit both are refused until
# the window has passed since the last failure or an administrator unlocks them.
AXES_FAILURE_LIMIT = int(os.environ.get("YIWANG_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("YIWANG_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Guesses during a lockout do not push its end further: the page can say when to come back.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success must not wipe the address's count: an attacker with one valid account could
# otherwise reset it between guesses at other accounts.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "yiwang.web.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "yiwang.core.clientip.client_ip"
# Unlocking goes through the audited page of 系统管理员, not axes' own admin.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False
# Behind N reverse proxies the client is the N-th address from the right of X-Forwarded-For.
TRUSTED_PROXY_COUNT = int(os.environ.get("YIWANG_TRUSTED_PROXY_COUNT", "0"))

# Token issuing limits (django-ratelimit, counted in the default cache), "count/period".
TOKEN_RATE_PER_ADDRESS = os.environ.get("YIWANG_TOKEN_RATE_PER_ADDRESS", "20/m")
TOKEN_RATE_PER_USERNAME = os.environ.get("YIWANG_TOKEN_RATE_PER_USERNAME", "5/m")
# Public reporting (no login), per client address, same counting: reports sent (refused ones
# too), and tracking-code look-ups (a guesser enumerating codes). Phones behind a carrier's
# NAT share an address, so the defaults are generous for people and still stop a script.
PUBLIC_REPORT_RATE = os.environ.get("YIWANG_PUBLIC_REPORT_RATE", "20/h")
PUBLIC_TRACK_RATE = os.environ.get("YIWANG_PUBLIC_TRACK_RATE", "60/h")


def _cache(url: str) -> dict[str, Any]:
    """Redis when a URL is given; otherwise files under VAR_DIR, shared by every local process
    (a web server and a worker) with no service to run."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "yiwang",
        }
    if url:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "YIWANG_CACHE_URL 只支持 redis:// 地址（留空则使用本地文件缓存）。"
        )
    return {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "KEY_PREFIX": "yiwang",
    }


CACHE_URL = os.environ.get("YIWANG_CACHE_URL", "")
CACHES = {"default": _cache(CACHE_URL)}

# Content-Security-Policy on every answer: scripts and styles only from this site's own static
# files (no inline script, no eval); map tiles from the configured tile server.
# A tile URL's "{s}" subdomain placeholder becomes the CSP wildcard "*".
_TILE_ORIGIN = (
    "/".join(TILE_URL.split("/")[:3]).replace("{s}", "*") if TILE_URL.startswith("http") else ""
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *([_TILE_ORIGIN] if _TILE_ORIGIN else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Jobs the worker runs on its own, every so many seconds (see yiwang.core.periodic).
PERIODIC_TASKS = {
    "yiwang.core.exports.tasks.prune_expired_exports": 3600,
    "yiwang.core.periodic.prune_task_results": 24 * 3600,
    "yiwang.org.tasks.prune_expired_tokens": 3600,
    "yiwang.cases.tasks.prune_idempotency_keys": 3600,
    "yiwang.cases.tasks.sweep_photo_files": 24 * 3600,
    "yiwang.org.tasks.prune_sign_in_logs": 24 * 3600,
    "yiwang.intake.tasks.fail_interrupted_imports": 600,
    # 重点监管: a check task for each supervised hotspot whose frequency has come round.
    "yiwang.reports.tasks.generate_spot_checks": 3600,
    # 日盘点 / 周分析 / 月通报: issue the scheduled bulletins that are due (from 08:00), and
    # catch up missed ones when the worker starts (docs/reports.md, "Bulletins").
    "yiwang.reports.tasks.issue_due_bulletins": 3600,
    # 指挥大屏: the open-case counts of every scope a screen polls, taken ahead of its polls;
    # shorter than reports.dashboard.SNAPSHOT_SECONDS (15), the oldest a poll may show.
    "yiwang.reports.tasks.refresh_dashboard_counts": 10,
    # 12345 hotline: queue the outcome of hotline cases from their timeline, send the outbox.
    "yiwang.intake.tasks.hotline_outbound": int(
        os.environ.get("YIWANG_HOTLINE_OUTBOUND_EVERY", "30")
    ),
}
# Finished background-task results (the worker's log of runs) are kept this many days.
TASK_RESULT_RETENTION_DAYS = max(1, int(os.environ.get("YIWANG_TASK_RESULT_DAYS", "7")))
# Sign-in logs (every attempt, every failure) are kept this many days: at least six months
# (Cybersecurity Law of the PRC, art. 21).
SIGN_IN_LOG_RETENTION_DAYS = max(180, int(os.environ.get("YIWANG_SIGN_IN_LOG_DAYS", "180")))

# 12345 hotline work orders (docs/intake.md): a signed request whose timestamp is further
# than this from our clock is refused (replay protection); outbound webhooks are retried
# with exponential back-off (base × 2^(attempt-1), at most HOTLINE_RETRY_MAX_SECONDS) and
# given up after HOTLINE_MAX_ATTEMPTS; a batch holds at most HOTLINE_BATCH_MAX_ROWS orders.
HOTLINE_SIGNATURE_TOLERANCE_SECONDS = int(
    os.environ.get("YIWANG_HOTLINE_SIGNATURE_TOLERANCE", "300")
)
HOTLINE_RETRY_BASE_SECONDS = int(os.environ.get("YIWANG_HOTLINE_RETRY_BASE", "30"))
HOTLINE_RETRY_MAX_SECONDS = int(os.environ.get("YIWANG_HOTLINE_RETRY_MAX", "3600"))
HOTLINE_MAX_ATTEMPTS = int(os.environ.get("YIWANG_HOTLINE_MAX_ATTEMPTS", "8"))
HOTLINE_TIMEOUT_SECONDS = float(os.environ.get("YIWANG_HOTLINE_TIMEOUT", "10"))
# A background hotline import still 导入中 after this many minutes was interrupted (its
# worker stopped); the worker marks it failed (nothing was imported) every 10 minutes.
HOTLINE_IMPORT_STALE_MINUTES = int(os.environ.get("YIWANG_HOTLINE_IMPORT_STALE_MINUTES", "60"))
HOTLINE_BATCH_MAX_ROWS = int(os.environ.get("YIWANG_HOTLINE_BATCH_MAX_ROWS", "5000"))
# 311 open-data files uploaded on the web page (系统管理员): the largest accepted, and how
# long a worker's import may run before it is taken as interrupted.
OPENDATA_UPLOAD_MAX_BYTES = int(
    os.environ.get("YIWANG_OPENDATA_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024))
)
OPENDATA_IMPORT_STALE_MINUTES = int(os.environ.get("YIWANG_OPENDATA_IMPORT_STALE_MINUTES", "240"))
# An upload of more orders than this on the operators' page is imported by the worker, with
# a progress bar (a 5,000-order batch takes several seconds even in bulk: bench/README.md).
HOTLINE_BATCH_IMMEDIATE_ROWS = int(os.environ.get("YIWANG_HOTLINE_BATCH_IMMEDIATE_ROWS", "500"))

# Exports: an XLSX of more rows than this is built by the worker (progress bar, download
# link) instead of in the request; a finished file stays downloadable this many hours.
EXPORT_IMMEDIATE_ROWS = int(os.environ.get("YIWANG_EXPORT_IMMEDIATE_ROWS", "500"))
EXPORT_RETENTION_HOURS = int(os.environ.get("YIWANG_EXPORT_RETENTION_HOURS", "24"))

# Spatial tolerances (metres / square metres) used by the grid importer.
GRID_OVERLAP_TOLERANCE_M2 = float(os.environ.get("YIWANG_GRID_OVERLAP_TOLERANCE_M2", "1.0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"yiwang": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
