"""The command line in-process (typer's CliRunner) on real databases: which database it opens, which it refuses
to create, what a missing id is called, and whose clock it reads."""

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from helpers import SELLER, Clock, order_doc
from solicitations.bootstrap import Container
from solicitations.domain.errors import ApiError
from solicitations.entrypoints.cli import CliContext, app

UNKNOWN_APP = "amzn1.sp.solution.not-registered"


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test says which database it means; mail stays beside the test's files."""
    monkeypatch.delenv("SOLICITATIONS_DATABASE_URL", raising=False)
    monkeypatch.setenv("SOLICITATIONS_MAILDIR", str(tmp_path / "mail"))


def run(*args: str, clock: Clock | None = None, stdin: str | None = None) -> Result:
    obj = CliContext() if clock is None else CliContext(clock=clock)
    return CliRunner().invoke(app, list(args), obj=obj, input=stdin)


# --- a SQLite file that does not exist ------------------------------------------------------------------------------

NEEDS_A_DATABASE = [
    ("outbox", "list"),
    ("outbox", "retry", "--all-dead"),
    ("outbox", "retry", "7"),
    ("plans", "show", SELLER, UNKNOWN_APP),
    ("apps", "list"),
    ("apps", "rotate-secret", UNKNOWN_APP),
    ("apps", "suspend", UNKNOWN_APP),
    ("apps", "resume", UNKNOWN_APP),
    ("authorizations", "grant", "--seller-id", SELLER, "--application-id", UNKNOWN_APP),
    ("authorizations", "revoke", "--seller-id", SELLER, "--application-id", UNKNOWN_APP),
    ("worker",),
]


@pytest.mark.sqlite_only
@pytest.mark.timeout(60)  # a worker that is not refused would run until killed
@pytest.mark.parametrize("args", NEEDS_A_DATABASE, ids=" ".join)
def test_commands_that_need_data_refuse_a_missing_sqlite_file(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "typo.db"
    result = run("--database-url", f"sqlite:///{missing}", *args)
    assert result.exit_code == 2, result.output
    assert f"no database at {missing}" in result.stderr
    assert "solicitations db upgrade" in result.stderr
    assert "Traceback" not in result.output
    assert not missing.exists(), "the refusal must not leave an empty database behind"


@pytest.mark.sqlite_only
def test_the_default_database_is_the_settings_default_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    refused = run("apps", "list")
    assert refused.exit_code == 2
    assert f"no database at {tmp_path / 'solicitations.db'}" in refused.stderr
    assert run("db", "upgrade").exit_code == 0
    assert (tmp_path / "solicitations.db").exists()
    assert run("apps", "list").exit_code == 0


def _orders_file(tmp_path: Path) -> Path:
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(order_doc("111-0000000-0000001")) + "\n")
    return path


CREATE_A_DATABASE = [
    lambda tmp: ("db", "upgrade"),
    lambda tmp: ("orders", "import", str(_orders_file(tmp))),
    lambda tmp: ("apps", "create", "--name", "New Tool"),
    lambda tmp: ("sellers", "put", SELLER, "--name", "New Store"),
    lambda tmp: ("tokens", "issue", "--seller-id", SELLER, "--application-id", "amzn1.sp.solution.new"),
    lambda tmp: ("plans", "set", SELLER, UNKNOWN_APP, "getSolicitationActionsForOrder", "--rate", "2", "--burst", "4"),
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", CREATE_A_DATABASE, ids=["db", "import", "apps", "sellers", "tokens", "plans"])
def test_commands_that_start_a_store_create_the_sqlite_file(tmp_path: Path, command: Any) -> None:
    new = tmp_path / "new.db"
    result = run("--database-url", f"sqlite:///{new}", *command(tmp_path))
    assert result.exit_code == 0, result.output
    assert new.exists()


# --- --database-url -------------------------------------------------------------------------------------------------


def test_database_url_names_the_database_of_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, container: Container
) -> None:
    """The option wins over SOLICITATIONS_DATABASE_URL; without it, the variable is used."""
    elsewhere = tmp_path / "from-the-environment.db"
    monkeypatch.setenv("SOLICITATIONS_DATABASE_URL", f"sqlite:///{elsewhere}")
    created = run("--database-url", database_url, "apps", "create", "--name", "Option Tool")
    assert created.exit_code == 0, created.output
    assert not elsewhere.exists()
    assert [a.name for a in asyncio.run(container.identity.list_applications())] == ["Option Tool"]

    monkeypatch.setenv("SOLICITATIONS_DATABASE_URL", database_url)
    listed = run("apps", "list")
    assert listed.exit_code == 0, listed.output
    assert "Option Tool" in listed.stdout


# --- ids that are not found -----------------------------------------------------------------------------------------

NOT_FOUND = [
    (("apps", "rotate-secret", UNKNOWN_APP), 2, f"application {UNKNOWN_APP} not found"),
    (("apps", "suspend", UNKNOWN_APP), 2, f"application {UNKNOWN_APP} not found"),
    (("apps", "resume", UNKNOWN_APP), 2, f"application {UNKNOWN_APP} not found"),
    (
        ("authorizations", "grant", "--seller-id", SELLER, "--application-id", UNKNOWN_APP),
        2,
        f"application {UNKNOWN_APP} not found",
    ),
    (
        ("authorizations", "revoke", "--seller-id", SELLER, "--application-id", UNKNOWN_APP),
        2,
        f"application {UNKNOWN_APP} not found",
    ),
    (("outbox", "retry", "4242"), 1, "message 4242 not found"),
    (
        ("plans", "set", SELLER, UNKNOWN_APP, "getOrderAddress", "--rate", "1", "--burst", "1"),
        2,
        "operation getOrderAddress not found",
    ),
]


@pytest.mark.parametrize(("args", "exit_code", "named"), NOT_FOUND, ids=[" ".join(a[:2]) for a, _, _ in NOT_FOUND])
def test_not_found_names_the_id(
    database_url: str, container: Container, args: tuple[str, ...], exit_code: int, named: str
) -> None:
    result = run("--database-url", database_url, *args)
    assert result.exit_code == exit_code, result.output
    assert result.stderr == f"The resource specified does not exist. {named}\n"


# --- the clock ------------------------------------------------------------------------------------------------------


def test_the_cli_reads_the_clock_it_is_handed(database_url: str, container: Container, clock: Clock) -> None:
    """A token the CLI issues lives SOLICITATIONS_ACCESS_TOKEN_TTL_SECONDS by the caller's clock (the service's
    here), whatever the wall clock says."""
    issued = run(
        "--database-url",
        database_url,
        "tokens",
        "issue",
        "--seller-id",
        SELLER,
        "--application-id",
        UNKNOWN_APP,
        clock=clock,
    )
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    ttl = timedelta(seconds=container.settings.access_token_ttl_seconds)
    clock.advance(ttl - timedelta(seconds=1))
    assert asyncio.run(container.authenticator.authenticate(token)).seller_id == SELLER
    clock.advance(timedelta(seconds=1))
    with pytest.raises(ApiError):
        asyncio.run(container.authenticator.authenticate(token))


def test_without_a_clock_handed_in_the_cli_reads_the_system_clock() -> None:
    from solicitations.adapters.clock import SystemClock

    assert isinstance(CliContext().clock, SystemClock)
