"""Comptoir's one settings module.

Everything an operator changes comes from environment variables (see the table in
README.md); every default is the safe one. `comptoir demo` sets COMPTOIR_DEMO=1, which
relaxes ALLOWED_HOSTS to loopback, serves plain HTTP and static files without collectstatic;
DEBUG stays off unless `comptoir demo --debug` (a phone on the network never sees a
traceback).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import dj_email_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEMO = env_bool("COMPTOIR_DEMO", False)
DATA_DIR = Path(os.environ.get("COMPTOIR_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into the data folder.

    Never a constant in the code: a leaked repository must not sign sessions.
    """
    from_env = os.environ.get("SECRET_KEY", "").strip()
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting at once cannot both write a different key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if (DEBUG or DEMO) else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The public address, for links in emails sent outside a request (the worker's reminders,
# notifications). Empty: http://localhost:8000, right for the demo only.
BASE_URL = os.environ.get("BASE_URL", "").strip().rstrip("/")

INSTALLED_APPS = [
    "comptoir.core",
    "comptoir.accounts",
    "comptoir.dossiers",
    "comptoir.audit",
    "comptoir.notifications",
    "comptoir.documents",
    "comptoir.sharing",
    "comptoir.assignments",
    "comptoir.accounting",
    "comptoir.invoicing",
    "comptoir.capture",
    "comptoir.portability",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "comptoir.core.i18n.LanguageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "comptoir.accounts.middleware.SessionActivityMiddleware",
    "comptoir.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "comptoir.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "comptoir.urls"
WSGI_APPLICATION = "comptoir.wsgi.application"
ASGI_APPLICATION = "comptoir.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "comptoir.core.context_processors.comptoir",
                "comptoir.dossiers.context_processors.switcher",
                "comptoir.notifications.context_processors.notifications",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# SQLite in the data folder unless DATABASE_URL says otherwise (postgres://… in production).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'comptoir.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock
        # at BEGIN so two writers queue on busy_timeout instead of failing mid-transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=10000"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
# Shared between web processes (allauth's rate limits live here): Redis when configured,
# else files in the data folder, which every process on one machine sees.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "comptoir",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# --- Background tasks -----------------------------------------------------------------
TASK_BACKEND = os.environ.get("TASK_BACKEND", "database").strip().lower()
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
        }.get(TASK_BACKEND, "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Authentication (django-allauth) --------------------------------------------------
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
LOGIN_REDIRECT_URL = "core:home"
ACCOUNT_ADAPTER = "comptoir.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Comptoir] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if (DEBUG or DEMO) else "https"
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated here so they are visible and tested.
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
}

# Two-factor authentication: TOTP apps, WebAuthn/passkeys and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or DEMO  # passkeys on http://localhost in the demo
MFA_TOTP_ISSUER = "Comptoir"
USERSESSIONS_TRACK_ACTIVITY = True
# The sessions page's "last seen" is written at most this often per session (and at once
# when the address or browser changes), not on every page: see SessionActivityMiddleware.
SESSION_ACTIVITY_SECONDS = env_int("SESSION_ACTIVITY_SECONDS", 300)
# Ending a session is audited there (allauth sends no signal for it).
USERSESSIONS_ADAPTER = "comptoir.accounts.adapter.UserSessionsAdapter"

# --- Email ----------------------------------------------------------------------------
# EMAIL_URL=smtp://user:pass@host:587/?tls=True in production. Without it, every email is
# kept in the outbox table, readable by staff at /outbox/ (nothing is lost or sent).
EMAIL_URL = os.environ.get("EMAIL_URL", "").strip()


def _mailer_from_url(url: str) -> dict[str, object]:
    parsed = dj_email_url.parse(url)
    options = {
        "host": parsed["EMAIL_HOST"],
        "port": parsed["EMAIL_PORT"],
        "username": parsed["EMAIL_HOST_USER"] or None,
        "password": parsed["EMAIL_HOST_PASSWORD"] or None,
        "use_tls": parsed["EMAIL_USE_TLS"],
        "use_ssl": parsed["EMAIL_USE_SSL"],
        "timeout": parsed.get("EMAIL_TIMEOUT") or 30,
    }
    if parsed["EMAIL_BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
        options = {"file_path": parsed["EMAIL_FILE_PATH"]} if parsed["EMAIL_FILE_PATH"] else {}
    return {"BACKEND": parsed["EMAIL_BACKEND"], "OPTIONS": options}


MAILERS = {
    "default": (
        _mailer_from_url(EMAIL_URL)
        if EMAIL_URL
        else {"BACKEND": "comptoir.core.mail.OutboxEmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Comptoir <noreply@comptoir.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Files and storage ----------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(DATA_DIR / "media")))
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
S3_BUCKET = os.environ.get("S3_BUCKET", "").strip()
_default_storage: dict[str, object]
if S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# The demo serves static files from the source folders (no collectstatic), DEBUG or not.
WHITENOISE_USE_FINDERS = DEBUG or DEMO
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
# Uploads stream to a temporary file beside the media folder (same file system when local:
# storing is then a rename, not a copy) while their SHA-256 is computed.
FILE_UPLOAD_HANDLERS = ["comptoir.documents.uploads.CheckedUploadHandler"]
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "uploads-tmp")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(exist_ok=True)
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Backups and audit anchors ----------------------------------------------------------
# The audit chains' heads are appended daily and at each backup to a file outside the
# database (audit/anchors.py): point this at another disk or a write-once mount.
AUDIT_ANCHORS_DIR = Path(os.environ.get("AUDIT_ANCHORS_DIR", str(DATA_DIR / "anchors")))
# Scheduled backups (job `backup`): off unless BACKUP_DIR is set; the newest BACKUP_KEEP
# are kept. `comptoir backup DEST` works without them.
BACKUP_DIR = os.environ.get("BACKUP_DIR", "").strip()
BACKUP_KEEP = max(1, env_int("BACKUP_KEEP", 7))

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "comptoir_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "media-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
CSRF_COOKIE_HTTPONLY = True
# Behind TLS in production; the demo and the tests talk plain HTTP on loopback.
_behind_tls = env_bool("HTTPS", not (DEBUG or DEMO))
SESSION_COOKIE_SECURE = _behind_tls
CSRF_COOKIE_SECURE = _behind_tls
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _behind_tls)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _behind_tls else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Submitting a firm's domain to the browsers' HSTS preload list is hard to undo and binds
# every subdomain: the operator opts in with SECURE_HSTS_PRELOAD=true; not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind reverse proxies that set X-Forwarded-Proto and append to X-Forwarded-For themselves:
# how many of them there are tells which X-Forwarded-For address is the client's
# (`core/clientip.py`); without TRUST_PROXY_HEADERS the headers are ignored.
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", False)
TRUSTED_PROXY_COUNT = max(env_int("TRUSTED_PROXY_COUNT", 1), 1)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
