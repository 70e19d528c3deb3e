"""Finding 1: an empty admin token made `Authorization: Bearer ` (empty) an admin. Every way of building the
service now refuses a token that is empty, blank or short, with a message naming the setting."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from helpers import free_port, wait_until
from solicitations.config import Settings
from solicitations.entrypoints.cli import app
from solicitations.entrypoints.http.asgi import from_environment

WEAK = ["", " ", " " * 40, "secret", "x" * 31, "a" * 20 + " " + "b" * 20]


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOLICITATIONS_")}
    return env | {"SOLICITATIONS_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}", **settings}


@pytest.mark.parametrize("token", WEAK)
def test_settings_refuse_a_weak_admin_token(token: str) -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(admin_token=token)


def test_a_long_admin_token_or_none_is_accepted() -> None:
    assert Settings(admin_token="k" * 32).admin_token == "k" * 32
    assert Settings(admin_token=None).admin_token is None


@pytest.mark.parametrize("token", ["", "short"])
def test_the_asgi_factory_refuses_a_weak_admin_token(token: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("SOLICITATIONS_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("SOLICITATIONS_ADMIN_TOKEN", token)
    with pytest.raises(ValidationError, match="at least 32"):
        from_environment()


def test_cli_commands_refuse_a_weak_admin_token_with_a_clear_message(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOLICITATIONS_ADMIN_TOKEN", "")
    result = CliRunner().invoke(app, ["--database-url", f"sqlite:///{tmp_path / 'db.sqlite'}", "db", "upgrade"])
    assert result.exit_code == 2
    assert "SOLICITATIONS_ADMIN_TOKEN" in result.output
    assert "at least 32" in result.output
    assert not (tmp_path / "db.sqlite").exists()


@pytest.mark.e2e
def test_serve_exits_at_once_with_an_empty_admin_token(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "solicitations", "serve", "--port", str(free_port())],
        env=clean_env(tmp_path, SOLICITATIONS_ADMIN_TOKEN=""),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "SOLICITATIONS_ADMIN_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_the_demo_without_an_admin_token_makes_a_long_one_and_prints_it(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "solicitations", "serve", "--demo", "--port", str(port)],
            env=clean_env(tmp_path, SOLICITATIONS_MAILDIR=str(tmp_path / "mail")),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: re.search(r"admin token: (\S+)", log.read_text()), 20, "the banner names an admin token")
        token = re.search(r"admin token: (\S+)", log.read_text())[1]  # type: ignore[index]
        assert len(token) >= 32
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(base), 20, "the demo serves")
        assert httpx.get(base + "/admin/v1/applications", headers={"Authorization": "Bearer x"}).status_code == 401
        ok = httpx.get(base + "/admin/v1/applications", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    finally:
        process.terminate()
        process.wait(10)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=0.5).status_code == 200
    except httpx.TransportError:
        return False
