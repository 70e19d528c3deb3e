"""Fixtures: a real SQLite file per test, the app in-process with a settable clock, servers on loopback."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from helpers import (
    ADMIN_TOKEN,
    APP,
    ON_POSTGRES,
    POSTGRES_URL,
    SELLER,
    TEST_REDIS_URL,
    Clock,
    ServerProcess,
    drop_databases,
    fresh_database_url,
    postgres_conninfo,
)
from smtp_sink import SmtpServer
from solicitations.bootstrap import Container, bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app


@pytest.fixture(scope="session", autouse=True)
def _postgres_pass() -> Iterator[None]:
    """On the PostgreSQL pass, PostgreSQL must answer; every database the tests made is dropped at the end."""
    if ON_POSTGRES:
        try:
            psycopg.connect(postgres_conninfo(), connect_timeout=3).close()
        except psycopg.Error:
            missing_service(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    yield
    drop_databases()


@pytest.fixture(autouse=True)
def _work_in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative defaults (`./solicitations.db`, the Maildir `./mail`) land in the test's folder, never the repo."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return fresh_database_url(tmp_path)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        maildir=str(tmp_path / "mail"),
        admin_token=ADMIN_TOKEN,
        access_log=False,
        plan_rate=1000.0,
        plan_burst=1000,
        token_cache_seconds=0.0,
        redis_url=TEST_REDIS_URL,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def argon2() -> PasswordHasher | None:
    """The container's argon2id parameters: None for production's; a module overrides this for cheaper ones."""
    return None


@pytest.fixture
def container(settings: Settings, clock: Clock, argon2: PasswordHasher | None) -> Iterator[Container]:
    c = bootstrap(settings, clock, argon2=argon2)
    yield c
    c.close()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The ASGI app in-process; admin calls need `admin_headers`."""
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def token(client: TestClient, admin_headers: dict[str, str]) -> str:
    """An access token of SELLER through APP with the Buyer Solicitation role."""
    response = client.post(
        "/admin/v1/access-tokens",
        json={"sellerId": SELLER, "applicationId": APP, "roles": ["Buyer Solicitation"]},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real `solicitations serve` process on loopback, with its own database and the real clock."""
    process = ServerProcess(fresh_database_url(tmp_path), log_path=tmp_path / "server.log").start()
    yield process
    process.stop()


REQUIRE_SERVICES = os.environ.get("SOLICITATIONS_REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("SOLICITATIONS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def missing_service(reason: str) -> None:
    """Skip on a machine without the service; fail in CI, where SOLICITATIONS_REQUIRE_SERVICES=1."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (SOLICITATIONS_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """The shared Redis; tests keep apart by using their own seller ids."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        missing_service(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def redis_server_binary() -> str:
    """redis-server, for tests that stop and restart a Redis of their own."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server is not installed")
    assert binary is not None
    return binary


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a loopback port, keeping what it receives in `smtp.sink`."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def postgres() -> None:
    """PostgreSQL must answer, whichever pass this is (tests of the scale-out setup)."""
    try:
        psycopg.connect(postgres_conninfo(), connect_timeout=3).close()
    except psycopg.Error:
        missing_service(f"PostgreSQL is not reachable at {POSTGRES_URL}")
