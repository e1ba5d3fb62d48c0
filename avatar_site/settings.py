"""Settings for Digital You.

Embedded defaults (SQLite and files under var/) so a laptop needs no server;
PostgreSQL and Redis take over when DATABASE_URL / REDIS_URL are set.
"""

import json
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DIGITAL_YOU_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use DJANGO_SECRET_KEY, else a key generated once and kept in var/ (never in git)."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "personas",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost after SecurityMiddleware so error pages and static files get the policy too.
    "personas.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "avatar_site.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "avatar_site.asgi.application"

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
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL says otherwise. WAL and a busy
# timeout let the web process and the task worker write at the same time.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    # Daphne runs sync code in thread pools, where persistent connections would pile up
    # (Django advises against them under ASGI); a short-lived connection per request is safe.
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": VAR_DIR / "test-db.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Reading uploads and training have queues of their own (personas/tasks.py).
TASK_QUEUES = ["parsing", "training"]
# Redis, when configured, carries websocket events across processes and the task queue.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 defaults to a 5 s socket timeout, which breaks the layer's blocking
            # 5 s reads of idle sockets (channels_redis#422); allow well over that.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }
    INSTALLED_APPS += ["django_rq"]
    # "default" too, though no task goes there: django-rq's lookups without a queue name (a
    # job's result, by id) connect through it.
    RQ_QUEUES = {
        name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 24 * 3600} for name in [*TASK_QUEUES, "default"]
    }
    # Workers (`manage.py worker`) must run jobs with django-tasks' Job class,
    # which calls the task function; rq's own Job cannot.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}
    # Shared by all web processes, so login throttling counts failures across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "digitalyou",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins are throttled per username + client address (personas/security.py).
AUTHENTICATION_BACKENDS = ["personas.security.ThrottledModelBackend"]
LOGIN_THROTTLE_FAILURES = int(os.environ.get("DIGITAL_YOU_LOGIN_MAX_FAILURES", "5"))
LOGIN_THROTTLE_WINDOW_S = int(os.environ.get("DIGITAL_YOU_LOGIN_WINDOW", "900"))
SIGNUP_THROTTLE_ATTEMPTS = int(os.environ.get("DIGITAL_YOU_SIGNUP_MAX_ATTEMPTS", "10"))
SIGNUP_THROTTLE_WINDOW_S = 3600
# Share-by-name lookups per owner and hour: each one tells whether a username exists.
SHARE_LOOKUP_LIMIT = 30
SHARE_LOOKUP_WINDOW_S = 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploads and artifacts are private: no MEDIA_URL is routed, files are only
# streamed through views that check ownership.
MEDIA_URL = "/media-not-served/"
# Uploads, checkpoints and model artifacts go through the default storage: MEDIA_ROOT on a
# shared file system, or any Django storage class (e.g. an object store) named here with its
# options as JSON. Processes keep local copies of remote files in MODEL_CACHE_DIR.
STORAGES = {
    "default": {
        "BACKEND": os.environ.get(
            "DIGITAL_YOU_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": json.loads(os.environ.get("DIGITAL_YOU_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Cookies: HttpOnly and SameSite always; Secure and HSTS when not in debug
# (DJANGO_SECURE_COOKIES=0 serves plain-HTTP deployments such as the browser tests).
SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Scripts read the token from the page's form field (static/js/common.js), never the cookie.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = 31536000 if SECURE_COOKIES else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_COOKIES
# Behind a TLS-terminating proxy (see README "Scaling out") requests arrive as plain HTTP;
# trust its X-Forwarded-Proto so HSTS and secure redirects see them as HTTPS.
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Sent on every response by personas.middleware; no inline script anywhere (JS lives in static/js/).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self' ws: wss:",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Share-link tokens are credentials: redacted from every message (personas/access_log.py).
    "filters": {"redact_share_tokens": {"()": "personas.access_log.RedactShareTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_share_tokens"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# Product limits (all overridable from the environment).
MAX_UPLOAD_MB = int(os.environ.get("DIGITAL_YOU_MAX_UPLOAD_MB", "200"))
MAX_USER_STORAGE_MB = int(os.environ.get("DIGITAL_YOU_MAX_USER_STORAGE_MB", "1000"))
# Every request body but an upload's is refused over this size, before it is read
# (personas/body_limit.py): the site's forms send a few kilobytes.
MAX_REQUEST_KB = int(os.environ.get("DIGITAL_YOU_MAX_REQUEST_KB", "1024"))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_KB * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "personas.upload_handlers.PerFileLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
CHAT_MAX_MESSAGE_CHARS = int(os.environ.get("DIGITAL_YOU_CHAT_MAX_CHARS", "2000"))
CHAT_RATE_LIMIT = int(os.environ.get("DIGITAL_YOU_CHAT_RATE_LIMIT", "20"))  # messages per minute
# Share links: messages a minute over all of a link's visitors, and visitor conversations kept.
CHAT_SHARE_LINK_RATE_LIMIT = int(os.environ.get("DIGITAL_YOU_SHARE_LINK_RATE_LIMIT", "60"))
SHARE_LINK_MAX_CONVERSATIONS = int(
    os.environ.get("DIGITAL_YOU_SHARE_LINK_MAX_CONVERSATIONS", "500")
)
CHAT_IDLE_TIMEOUT_S = int(os.environ.get("DIGITAL_YOU_CHAT_IDLE_TIMEOUT", "900"))
# Open websockets per user and per client address, in each web process.
WS_MAX_PER_USER = int(os.environ.get("DIGITAL_YOU_WS_MAX_PER_USER", "20"))
WS_MAX_PER_ADDRESS = int(os.environ.get("DIGITAL_YOU_WS_MAX_PER_ADDRESS", "50"))
MODEL_CACHE_SIZE = int(os.environ.get("DIGITAL_YOU_MODEL_CACHE_SIZE", "4"))
MODEL_CACHE_DIR = Path(os.environ.get("DIGITAL_YOU_MODEL_CACHE_DIR", VAR_DIR / "storage-cache"))
# Where the general base model lives (trained by `manage.py train_base_model`).
BASE_MODEL_DIR = Path(os.environ.get("DIGITAL_YOU_BASE_MODEL", VAR_DIR / "base_model"))
# A running training run whose heartbeat is older than this is considered dead.
TRAINING_STALE_AFTER_S = int(os.environ.get("DIGITAL_YOU_TRAINING_STALE_AFTER", "120"))
# Held-out pairs scored after each training run (bounds the time evaluation takes).
EVALUATION_MAX_PAIRS = int(os.environ.get("DIGITAL_YOU_EVALUATION_MAX_PAIRS", "200"))
# Overrides (JSON) merged into every training run started from the web: a knob for the browser
# test and demos on slow machines, e.g. '{"epochs": 1, "embedding_dim": 16, "hidden_size": 32}'.
TRAIN_OVERRIDES = json.loads(os.environ.get("DIGITAL_YOU_TRAIN_OVERRIDES") or "{}")
