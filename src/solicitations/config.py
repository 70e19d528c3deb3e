"""Settings, read from SOLICITATIONS_* environment variables (pydantic-settings)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOLICITATIONS_", extra="ignore")

    database_url: str = Field("sqlite:///./solicitations.db", description="SQLAlchemy URL of the store")
    database_pool_size: int = Field(
        10,
        description="PostgreSQL reader threads and pooled connections per process; up to three times as many "
        "connections in all, one kept by each reader thread",
    )
    statement_timeout_ms: int = Field(5000, description="PostgreSQL statement and connect timeout")
    sqlite_synchronous: str = Field(
        "FULL", description="SQLite PRAGMA synchronous: FULL survives power loss; NORMAL is faster"
    )
    redis_url: str | None = Field(
        None, description="Redis URL for rate-limit buckets shared by many nodes; unset = in-process buckets"
    )
    in_process_worker: bool = Field(
        True, description="Run a delivery worker inside each server process (`serve --no-worker` sets false)"
    )
    emulator: bool = Field(
        False, description="Emulator mode: a movable clock at /admin/v1/clock (`serve --emulator` sets it); one process"
    )
    admin_token: str | None = Field(None, description="Bearer token of the admin API; unset = no admin API")
    session_secret: str | None = Field(
        None, description="Key signing consent-page session cookies; set the same value on every node"
    )
    access_token_ttl_seconds: int = Field(3600, description="Lifetime of minted access tokens")
    token_cache_seconds: float = Field(
        1.0, description="How long a node trusts a token lookup: the bound on revocation taking effect"
    )
    plan_rate: float | None = Field(
        None, description="Override every operation's default rate (req/s), e.g. for test suites and benchmarks"
    )
    plan_burst: int | None = Field(None, description="Override every operation's default burst")
    secret_check_threads: int = Field(
        2, ge=1, description="Threads hashing client secrets and passwords (argon2id, ~150 ms and 64 MiB each)"
    )
    secret_check_waiting: int = Field(
        32, ge=0, description="Secret checks that may wait for a thread; past that, 503 at once"
    )
    max_body_bytes: int = Field(1024 * 1024, description="Larger request bodies get 413")
    access_log: bool = Field(True, description="One JSON log line per request")
    metrics: bool = Field(True, description="Count requests, latencies, 429s and outcomes, served at /metrics")
    outbox_metrics_cache_seconds: float = Field(
        5.0, ge=0, description="How long /metrics reuses one read of the outbox's counts (one aggregate query)"
    )
    log_level: str = Field("INFO", description="Python logging level")
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL buyers reach this service at: the opt-out links point here"
    )
    mail_from: str = Field(
        "Solicitations <no-reply@solicitations.invalid>",
        description="Sender of the buyers' emails; its domain also names every Message-ID",
    )
    smtp_url: str | None = Field(
        None, description="smtp://user:pass@host:port, smtps://… (TLS), smtp://…?starttls=true; unset = Maildir"
    )
    smtp_timeout_seconds: float = Field(30.0, gt=0, description="Timeout of each SMTP connection and command")
    maildir: str = Field("./mail", description="Maildir the emails go to when no SMTP URL is set")
    delivery_backoff_base_seconds: float = Field(1.0, gt=0, description="First retry's backoff ceiling")
    delivery_backoff_max_seconds: float = Field(600.0, gt=0, description="Largest backoff ceiling")
    delivery_max_attempts: int = Field(12, ge=1, description="Attempts before a message is dead-lettered")
    delivery_lease_seconds: float = Field(
        60.0, gt=0, description="How long a worker owns claimed messages; keep it above the SMTP timeout"
    )
    delivery_poll_seconds: float = Field(0.5, gt=0, description="How often an idle worker looks for due messages")
    delivery_batch_size: int = Field(20, ge=1, le=1000, description="Messages one worker claims and sends at once")
