"""Settings, read from SOLICITATIONS_* environment variables (pydantic-settings)."""

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A bearer token guessed or brute-forced opens every seller's data: 32 characters (e.g. `openssl rand -hex 16`
# or longer) put it out of reach, and an empty one would match an empty `Authorization: Bearer `.
BEARER_TOKEN_MIN = 32


class Settings(BaseSettings):
    # Errors never echo a value: settings hold tokens, passwords and URLs with credentials.
    model_config = SettingsConfigDict(env_prefix="SOLICITATIONS_", extra="ignore", hide_input_in_errors=True)

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
    sandbox: bool = Field(
        False, description="Answer as Amazon's sandbox: the models' static cases only (`serve --sandbox` sets true)"
    )
    admin_token: str | None = Field(
        None, description=f"Bearer token of the admin API, {BEARER_TOKEN_MIN}+ characters; unset = no admin API"
    )
    metrics_token: str | None = Field(
        None, description="Bearer token of /metrics for scrapers; unset = the admin token (none: no /metrics)"
    )
    emulator: bool = Field(
        False, description="Emulator mode: a movable clock at /admin/v1/clock (`serve --emulator` sets it); one process"
    )
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
    max_header_bytes: int = Field(
        32 * 1024, ge=1024, description="Request line and headers larger than this get 431 and the connection closed"
    )
    client_timeout_seconds: float = Field(
        10.0, gt=0, description="Time a client has to send a request's line and headers, and to resume a stalled body"
    )
    keep_alive_seconds: int = Field(5, ge=1, description="Idle keep-alive connections are closed after this long")
    max_connections: int = Field(
        1000, ge=1, description="Open connections (and requests in flight) per process; past that, 503 at once"
    )
    listen_backlog: int = Field(2048, ge=1, description="Connections the kernel queues before the server accepts them")
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

    @field_validator("admin_token", "metrics_token")
    @classmethod
    def _strong_bearer_token(cls, value: str | None) -> str | None:
        """Refuse to start rather than guard the admin API (or /metrics) with a guessable or empty token."""
        if value is not None and (len(value) < BEARER_TOKEN_MIN or not value.isprintable() or " " in value):
            raise ValueError(
                f"must be at least {BEARER_TOKEN_MIN} printable characters without spaces (e.g. `openssl rand -hex "
                f"32`), or unset; got {len(value)} characters"
            )
        return value
