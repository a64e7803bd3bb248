"""Settings from the environment. Every variable here is documented in the README."""

import os


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _workers_flag(args: list[str]) -> int | None:
    """The value of gunicorn's ``-w N`` / ``-wN`` / ``--workers N`` / ``--workers=N``."""
    for i, arg in enumerate(args):
        value = None
        if arg in ("-w", "--workers") and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--workers="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-w") and arg[2:].isdigit():
            value = arg[2:]
        if value and value.isdigit():
            return int(value)
    return None


def serving_processes(environ=os.environ, argv: list[str] | None = None) -> int:
    """How many processes serve the app, as far as we can tell: ``SYMPOSIUM_PROCESSES`` (set it
    when your process manager starts several), else ``WEB_CONCURRENCY`` (gunicorn's default
    worker count), else gunicorn's ``--workers`` in ``GUNICORN_CMD_ARGS`` or on its command
    line; else 1."""
    import sys

    for name in ("SYMPOSIUM_PROCESSES", "WEB_CONCURRENCY"):
        value = (environ.get(name) or "").strip()
        if value.isdigit():
            return int(value)
    found = _workers_flag((environ.get("GUNICORN_CMD_ARGS") or "").split())
    if found is None:
        argv = sys.argv if argv is None else argv
        if argv and "gunicorn" in os.path.basename(argv[0]):
            found = _workers_flag(argv[1:])
    return found or 1


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` / ``postgres://`` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = (
        normalise_database_url(os.environ["DATABASE_URL"])
        if os.environ.get("DATABASE_URL")
        else None
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SYMPOSIUM_BASE_URL = os.environ.get("SYMPOSIUM_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "ar")
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("ar", "en", "fr")
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies by default when the site is served over HTTPS (production)
    SESSION_COOKIE_SECURE = _bool(
        "SESSION_COOKIE_SECURE",
        os.environ.get("SYMPOSIUM_BASE_URL", "").lower().startswith("https://"),
    )
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Mail
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "symposium@localhost")
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 5)
    # The mail server accepts SMTPUTF8 (non-ASCII addresses); otherwise they are refused at entry
    MAIL_SMTPUTF8 = _bool("MAIL_SMTPUTF8", False)
    # A delivery run's claim on its emails, renewed while it sends (docs/mail.md)
    MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS") or 60)
    # The periodic sweep: render owed emails and deliver the outbox this often
    MAIL_SWEEP_SECONDS = float(os.environ.get("MAIL_SWEEP_SECONDS") or 60)
    # /healthz says "degraded" when an email has waited longer than this
    MAIL_QUEUE_MAX_AGE_SECONDS = float(os.environ.get("MAIL_QUEUE_MAX_AGE_SECONDS") or 900)
    # The reminder sweep (reminders before events, "programme changed"): this often
    REMINDER_SWEEP_SECONDS = float(os.environ.get("REMINDER_SWEEP_SECONDS") or 60)

    # Background jobs
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL")
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND")
    JOBS_EAGER = _bool("JOBS_EAGER", False)
    # In-process jobs give way to requests (symposium/job_gate.py): a job waits for its web
    # process to be quiet (no request for JOBS_QUIET_SECONDS), at most JOBS_YIELD_SECONDS
    # (0: never waits). Emails owed during a registration surge then go out after it.
    JOBS_YIELD_SECONDS = float(os.environ.get("JOBS_YIELD_SECONDS") or 30)
    JOBS_QUIET_SECONDS = float(os.environ.get("JOBS_QUIET_SECONDS") or 0.05)
    # Periodic jobs (the mail sweep) in a thread of the web process; Celery beat instead when
    # CELERY_BROKER_URL is set
    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", True)

    # Rate limits
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Shared store (Redis) unreachable: every limit is counted in this process's memory instead
    # (logged by Flask-Limiter), never a 500; the store is tried again with back-off.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Fail fast when Redis does not answer, instead of holding the request
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    REGISTRATION_RATE_LIMIT = os.environ.get("REGISTRATION_RATE_LIMIT", "30 per minute")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")

    # Webhooks (docs/api.md): private, loopback and link-local receivers are refused unless
    # WEBHOOK_ALLOW_PRIVATE (tests, a receiver on the same host)
    WEBHOOK_ALLOW_PRIVATE = _bool("WEBHOOK_ALLOW_PRIVATE", False)
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS") or 5)
    WEBHOOK_RETRY_SECONDS = float(os.environ.get("WEBHOOK_RETRY_SECONDS") or 30)
    WEBHOOK_MAX_ATTEMPTS = _int("WEBHOOK_MAX_ATTEMPTS", 8)
    WEBHOOK_DISABLE_AFTER = _int("WEBHOOK_DISABLE_AFTER", 15)
    WEBHOOK_SWEEP_SECONDS = float(os.environ.get("WEBHOOK_SWEEP_SECONDS") or 30)
    # Delivered and failed webhook deliveries stay in the log this many days
    WEBHOOK_LOG_DAYS = _int("WEBHOOK_LOG_DAYS", 30)

    # Public pages and feeds: how long a browser or a shared cache may keep them (seconds)
    PUBLIC_CACHE_MAX_AGE = _int("PUBLIC_CACHE_MAX_AGE", 60)
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120 per minute")

    # Storage (PDFs, uploads); default: inside the instance folder
    STORAGE_DIR = os.environ.get("STORAGE_DIR")
    # Speakers' slides (PDF): the largest upload accepted, in bytes (docs/materials.md)
    MATERIALS_MAX_BYTES = _int("MATERIALS_MAX_BYTES", 20 * 1024 * 1024)
    PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-01")
    # Worker processes for bulk PDF rendering: unset/0/auto = one per CPU (at most 4); 1 = none
    PDF_WORKERS = os.environ.get("PDF_WORKERS", "")
    # wsgi.py: load the PDF fonts and render a throwaway certificate at start (first real one
    # fast; docs/performance.md). Off in tests; the flask CLI and dev server never warm up.
    PDF_WARM_UP = _bool("PDF_WARM_UP", True)

    # Registration emails are rendered in the background this many seconds after the commit,
    # so that a burst of registrations shares one run (docs/registration.md)
    REGISTRATION_EMAIL_DELAY = float(os.environ.get("REGISTRATION_EMAIL_DELAY") or 1.0)


class TestingConfig(Config):
    TESTING = True
    PDF_WARM_UP = False
    # Messages made outside a request (services, commands) come out in English in tests
    BABEL_DEFAULT_LOCALE = "en"
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    JOBS_EAGER = True
    SYMPOSIUM_BASE_URL = "http://symposium.test"
    MAIL_SERVER = None
    CELERY_BROKER_URL = None
    SESSION_COOKIE_SECURE = False
    SCHEDULER_ENABLED = False
