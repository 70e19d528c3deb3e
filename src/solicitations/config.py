"""Settings, read from SOLICITATIONS_* environment variables (pydantic-settings)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOLICITATIONS_", extra="ignore")

    database_url: str = Field("sqlite:///./solicitations.db", description="SQLAlchemy URL of the store")
    sqlite_synchronous: str = Field(
        "FULL", description="SQLite PRAGMA synchronous: FULL survives power loss; NORMAL is faster"
    )
    redis_url: str | None = Field(
        None, description="Redis URL for rate-limit buckets shared by many nodes; unset = in-process buckets"
    )
    admin_token: str | None = Field(None, description="Bearer token of the admin API; unset = no admin API")
    access_token_ttl_seconds: int = Field(3600, description="Lifetime of minted access tokens")
    token_cache_seconds: float = Field(
        1.0, description="How long a node trusts a token lookup: the bound on revocation taking effect"
    )
    plan_rate: float | None = Field(
        None, description="Override every operation's default rate (req/s), e.g. for test suites and benchmarks"
    )
    plan_burst: int | None = Field(None, description="Override every operation's default burst")
    max_body_bytes: int = Field(1024 * 1024, description="Larger request bodies get 413")
    access_log: bool = Field(True, description="One JSON log line per request")
    metrics: bool = Field(True, description="Count requests, latencies, 429s and outcomes, served at /metrics")
    log_level: str = Field("INFO", description="Python logging level")
