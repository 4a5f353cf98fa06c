"""Configuration classes read from the environment (12-factor)."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_int(name: str, default: int) -> int:
    """An integer from the environment, or the default."""
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Production defaults; every value can be overridden by an environment variable."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'workflow.db'}"
    DATABASE_POOL_SIZE = _env_int("DATABASE_POOL_SIZE", 5)
    PORT = _env_int("PORT", 8050)
    # JSON bodies are small; a bigger request is refused with 413 before it is read.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
    # How often the portal's bell asks for the unread count.
    PORTAL_POLL_SECONDS = _env_int("PORTAL_POLL_SECONDS", 15)
    # The analytics pages' figures are shared for this long per filter set (0: always computed).
    REPORTS_CACHE_SECONDS = _env_int("REPORTS_CACHE_SECONDS", 60)

    # Authentication
    JWT_ISSUER = os.environ.get("JWT_ISSUER", "workflow-manager")
    JWT_ALGORITHM = "HS256"  # pinned: tokens signed with anything else are refused
    JWT_EXPIRES_SECONDS = _env_int("JWT_EXPIRES_SECONDS", 3600)
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_COST", 65536)
    LOGIN_MAX_FAILURES_PER_ACCOUNT = _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)
    LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
    LOGIN_FAILURE_WINDOW_SECONDS = _env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true")
    # Reverse proxies in front of the web process: their X-Forwarded-For/-Proto are trusted, so the
    # login throttle counts the client's address, not the proxy's (0: the peer is the client).
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    # Optional services
    REDIS_URL = os.environ.get("REDIS_URL")
    AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL")
    AWS_REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    S3_BUCKET = os.environ.get("S3_BUCKET")
    SNS_TOPIC_ARN = os.environ.get("SNS_TOPIC_ARN")
    SMTP_URL = os.environ.get("SMTP_URL")
    MAIL_FROM = os.environ.get("MAIL_FROM", "workflow@localhost")

    # Task attachments: S3 when S3_BUCKET is set, else this folder (default: instance/attachments).
    ATTACHMENT_MAX_BYTES = _env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    # Download links are short-lived: a leaked link stops working soon.
    ATTACHMENT_URL_SECONDS = _env_int("ATTACHMENT_URL_SECONDS", 300)
    LOCAL_STORAGE_DIR = os.environ.get("LOCAL_STORAGE_DIR")
    # Without SMTP_URL, email goes through SES unless switched off here.
    MAIL_SES = os.environ.get("MAIL_SES", "true").lower() in ("1", "true")
    # SMS goes through SNS (publish to a phone number).
    SMS_ENABLED = os.environ.get("SMS_ENABLED", "true").lower() in ("1", "true")
    # Absolute links in emails and SMS.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8050")

    # Notification outbox: retries with exponential backoff, then dead (an Admin retries it).
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 8)
    OUTBOX_BACKOFF_SECONDS = _env_int("OUTBOX_BACKOFF_SECONDS", 30)
    OUTBOX_BACKOFF_MAX_SECONDS = _env_int("OUTBOX_BACKOFF_MAX_SECONDS", 3600)
    # A claimed message not marked by then is claimed again (its dispatcher died). A live dispatcher renews
    # its lease before a send that might outlast it.
    OUTBOX_LEASE_SECONDS = _env_int("OUTBOX_LEASE_SECONDS", 120)
    # The most one send may take, every round trip included; at most a third of the lease (checked at start).
    OUTBOX_SEND_TIMEOUT_SECONDS = _env_int("OUTBOX_SEND_TIMEOUT_SECONDS", 15)
    OUTBOX_BATCH_SIZE = _env_int("OUTBOX_BATCH_SIZE", 50)
    OUTBOX_POLL_SECONDS = _env_int("OUTBOX_POLL_SECONDS", 1)
    # Webhook receivers on loopback, private, link-local or other non-public addresses are refused (SSRF)
    # unless this is on: on-premises receivers, tests.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS = os.environ.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "false").lower() in ("1", "true")
    # The outbox dispatcher and the scheduled duties in threads of the web process (the embedded default
    # works alone; production runs them on the Procfile's worker and beat).
    EMBEDDED_BACKGROUND = False

    # Background exports: `celery` (the Procfile's worker, on REDIS_URL; the default with REDIS_URL), `thread`
    # (a pool in this process: the embedded default) or `inline` (in the request).
    EXPORT_RUNNER = os.environ.get("EXPORT_RUNNER") or ("celery" if os.environ.get("REDIS_URL") else "thread")
    EXPORT_THREADS = _env_int("EXPORT_THREADS", 2)
    # A running export renews its lease as it goes; one not renewed for this long (its worker died) is
    # taken over by another worker, at most EXPORT_MAX_ATTEMPTS runs in all, then failed with the reason.
    EXPORT_LEASE_SECONDS = _env_int("EXPORT_LEASE_SECONDS", 60)
    EXPORT_MAX_ATTEMPTS = _env_int("EXPORT_MAX_ATTEMPTS", 3)

    # Scheduled duties: Celery beat in production, a thread of `python app.py` in the embedded default.
    SCHEDULE_REMINDERS_SECONDS = _env_int("SCHEDULE_REMINDERS_SECONDS", 300)
    SCHEDULE_SLA_GAUGES_SECONDS = _env_int("SCHEDULE_SLA_GAUGES_SECONDS", 60)
    SCHEDULE_ESCALATIONS_SECONDS = _env_int("SCHEDULE_ESCALATIONS_SECONDS", 60)
    SCHEDULE_EXPORTS_SECONDS = _env_int("SCHEDULE_EXPORTS_SECONDS", 30)
    SCHEDULE_FACTS_SECONDS = _env_int("SCHEDULE_FACTS_SECONDS", 10)
    # The daily digest goes at this time (HH:MM) on each user's clock (their time zone; UTC while unset),
    # checked every SCHEDULE_DIGEST_SECONDS; the snapshot once a day at its UTC time.
    SCHEDULE_DIGEST_AT = os.environ.get("SCHEDULE_DIGEST_AT", "07:00")
    SCHEDULE_DIGEST_SECONDS = _env_int("SCHEDULE_DIGEST_SECONDS", 900)
    SCHEDULE_SNAPSHOT_AT = os.environ.get("SCHEDULE_SNAPSHOT_AT", "01:00")
    # Report subscriptions: how often beat looks for those whose hour has come on their owner's clock; a file
    # up to SUBSCRIPTION_ATTACH_MAX_BYTES rides in the e-mail too; the e-mailed link works SUBSCRIPTION_LINK_DAYS.
    SCHEDULE_SUBSCRIPTIONS_SECONDS = _env_int("SCHEDULE_SUBSCRIPTIONS_SECONDS", 300)
    SUBSCRIPTION_ATTACH_MAX_BYTES = _env_int("SUBSCRIPTION_ATTACH_MAX_BYTES", 256 * 1024)
    SUBSCRIPTION_LINK_DAYS = _env_int("SUBSCRIPTION_LINK_DAYS", 7)
    # Where beat keeps when each duty last ran (default instance/celerybeat-schedule).
    BEAT_SCHEDULE_FILE = os.environ.get("BEAT_SCHEDULE_FILE")

    # CloudWatch metrics (request latency and errors, notifications, SLA gauges), batched by a background thread.
    METRICS_ENABLED = os.environ.get("METRICS_ENABLED", "false").lower() in ("1", "true")
    METRICS_NAMESPACE = os.environ.get("METRICS_NAMESPACE", "WorkflowManager")
    METRICS_FLUSH_SECONDS = _env_int("METRICS_FLUSH_SECONDS", 10)
    METRICS_BATCH_SIZE = _env_int("METRICS_BATCH_SIZE", 200)
    # Logs: JSON lines on stdout; also to CloudWatch Logs when a group is named.
    LOG_JSON = os.environ.get("LOG_JSON", "true").lower() in ("1", "true")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    CLOUDWATCH_LOG_GROUP = os.environ.get("CLOUDWATCH_LOG_GROUP")
    CLOUDWATCH_LOG_STREAM = os.environ.get("CLOUDWATCH_LOG_STREAM")
    CLOUDWATCH_LOG_FLUSH_SECONDS = _env_int("CLOUDWATCH_LOG_FLUSH_SECONDS", 5)

    # Demo users and data are only ever created by the embedded default.
    DEMO = False
    TESTING = False


class EmbeddedConfig(Config):
    """`python app.py`: SQLite under instance/, demo data, a local secret."""

    DEMO = True
    SECRET_KEY = os.environ.get("SECRET_KEY") or "embedded-demo-secret-not-for-production"
    # No AWS here by default: email only if SMTP_URL is set.
    MAIL_SES = os.environ.get("MAIL_SES", "false").lower() in ("1", "true")
    SMS_ENABLED = os.environ.get("SMS_ENABLED", "false").lower() in ("1", "true")
    EMBEDDED_BACKGROUND = True
    # Readable log lines in a terminal.
    LOG_JSON = os.environ.get("LOG_JSON", "false").lower() in ("1", "true")


class TestingConfig(Config):
    """The test suite: cheap password hashing, a fixed secret, the database from the test runner."""

    TESTING = True
    SECRET_KEY = "testing-secret-key-long-enough-for-every-hmac-algorithm-0123456789"
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    REDIS_URL = None
    PORTAL_POLL_SECONDS = 2  # browser tests wait for the bell at most this long
    REPORTS_CACHE_SECONDS = 0  # tests read what they just wrote
    # Outside channels are off unless a test points them at its own servers.
    SNS_TOPIC_ARN = None
    SMTP_URL = None
    MAIL_SES = False
    SMS_ENABLED = False
    # The test runner owns the log handlers; metrics only where a test points them at moto.
    LOG_JSON = False
    CLOUDWATCH_LOG_GROUP = None
    METRICS_ENABLED = False
    # Exports run inside the test's transaction; tests of the background path choose `thread`.
    EXPORT_RUNNER = "inline"


def from_environment() -> type[Config]:
    """Production settings when anything is configured (DATABASE_URL or SECRET_KEY), else the embedded demo."""
    if os.environ.get("DATABASE_URL") or os.environ.get("SECRET_KEY"):
        return Config
    return EmbeddedConfig
