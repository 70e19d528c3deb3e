"""The operator's identity commands: `solicitations apps|authorizations|sellers ...` as real subprocesses on a
SQLite file; what they print is then used against the token endpoint of an app opened on the same file.
"""

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from helpers import SELLER
from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

pytestmark = pytest.mark.sqlite_only  # reads the SQLite file itself; the store code is the same on PostgreSQL

REDIRECT = "https://cli-app.example.com/callback"
NOT_FOUND = "The resource specified does not exist."
UNKNOWN_APP = "amzn1.sp.solution.does-not-exist"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def cli(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOLICITATIONS_DATABASE_URL": db_url}
    return subprocess.run(
        [sys.executable, "-m", "solicitations", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,  # no controlling terminal: a hidden prompt reads stdin
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], message: str = NOT_FOUND) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def create_app_cli(db_url: str, *extra: str) -> tuple[str, dict[str, str]]:
    out = ok(cli(db_url, "apps", "create", "--name", "CLI App", "--redirect-uri", REDIRECT, *extra))
    fields = dict(re.findall(r"^(application id|client id|client secret):\s+(\S+)$", out, re.MULTILINE))
    assert set(fields) == {"application id", "client id", "client secret"}, out
    return out, fields


@contextmanager
def service(db_url: str) -> Iterator[TestClient]:
    """The HTTP app on the file the CLI wrote, to check what the CLI printed really works."""
    settings = Settings(database_url=db_url, access_log=False, token_cache_seconds=0.0)
    with TestClient(create_app(bootstrap(settings)), raise_server_exceptions=False) as client:
        yield client


def refresh(client: TestClient, client_id: str, secret: str, refresh_token: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": secret,
        "refresh_token": refresh_token,
    }
    return client.post("/auth/o2/token", data=form)


def test_apps_create_prints_ids_and_the_secret_once_and_list_never_shows_it(db_url: str) -> None:
    out, fields = create_app_cli(db_url, "--role", "Buyer Solicitation", "--role", "Product Listing")
    app_id, client_id, secret = fields["application id"], fields["client id"], fields["client secret"]
    assert app_id.startswith("amzn1.sp.solution.")
    assert client_id.startswith("amzn1.application-oa2-client.")
    assert secret.startswith("amzn1.oa2-cs.v1.")
    assert out.count(secret) == 1

    listing = ok(cli(db_url, "apps", "list"))
    [line] = [line for line in listing.splitlines() if app_id in line]
    assert client_id in line
    assert "active" in line
    assert "Buyer Solicitation,Product Listing" in line
    assert "CLI App" in line
    assert secret not in listing
    assert secret.removeprefix("amzn1.oa2-cs.v1.") not in listing

    # the printed secret authenticates, and the database keeps only its argon2 hash
    granted = ok(cli(db_url, "authorizations", "grant", "--seller-id", SELLER, "--application-id", app_id)).strip()
    with service(db_url) as client:
        assert refresh(client, client_id, secret, granted).status_code == 200
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        dump = "\n".join(conn.iterdump())
    assert secret.removeprefix("amzn1.oa2-cs.v1.") not in dump
    assert granted.removeprefix("Atzr|") not in dump
    assert "$argon2id$" in dump


def test_rotate_secret_suspend_and_resume(db_url: str) -> None:
    _, fields = create_app_cli(db_url)
    app_id, client_id, old_secret = fields["application id"], fields["client id"], fields["client secret"]
    refresh_token = ok(cli(db_url, "authorizations", "grant", "--seller-id", SELLER, "--application-id", app_id))
    refresh_token = refresh_token.strip()

    new_secret = ok(cli(db_url, "apps", "rotate-secret", app_id)).strip()
    assert new_secret.startswith("amzn1.oa2-cs.v1.")
    assert new_secret != old_secret
    with service(db_url) as client:
        old = refresh(client, client_id, old_secret, refresh_token)
        assert old.status_code == 401
        assert old.json()["error"] == "invalid_client"
        assert refresh(client, client_id, new_secret, refresh_token).status_code == 200

    assert app_id in ok(cli(db_url, "apps", "suspend", app_id))
    with service(db_url) as client:
        suspended = refresh(client, client_id, new_secret, refresh_token)
        assert suspended.status_code in (400, 401)
        assert "access_token" not in suspended.json()

    assert app_id in ok(cli(db_url, "apps", "resume", app_id))
    assert re.search(rf"^{re.escape(app_id)}\s.*\bactive\b", ok(cli(db_url, "apps", "list")), re.MULTILINE)
    with service(db_url) as client:
        assert refresh(client, client_id, new_secret, refresh_token).status_code == 200


def test_authorizations_grant_and_revoke(db_url: str) -> None:
    _, fields = create_app_cli(db_url)
    app_id, client_id, secret = fields["application id"], fields["client id"], fields["client secret"]
    grant = ("authorizations", "grant", "--seller-id", SELLER, "--application-id", app_id)
    first = ok(cli(db_url, *grant)).strip()
    second = ok(cli(db_url, *grant)).strip()
    assert re.fullmatch(r"Atzr\|[A-Za-z0-9_-]+", first)
    assert first != second  # re-authorizing rotates the refresh token
    with service(db_url) as client:
        assert refresh(client, client_id, secret, first).json()["error"] == "invalid_grant"
        granted = refresh(client, client_id, secret, second)
        assert granted.status_code == 200
        access = granted.json()["access_token"]

    revoked = ok(cli(db_url, "authorizations", "revoke", "--seller-id", SELLER, "--application-id", app_id))
    assert "revoked 1" in revoked
    with service(db_url) as client:
        after = refresh(client, client_id, secret, second)
        assert after.status_code == 400
        assert after.json()["error"] == "invalid_grant"
        denied = client.get(
            "/solicitations/v1/orders/111-0000000-0000001",
            params={"marketplaceIds": "ATVPDKIKX0DER"},
            headers={"x-amz-access-token": access},
        )
        assert denied.status_code == 403


def test_unknown_ids_exit_2_with_a_message_naming_them(db_url: str) -> None:
    ok(cli(db_url, "db", "upgrade"))
    for args in (
        ("apps", "rotate-secret", UNKNOWN_APP),
        ("apps", "suspend", UNKNOWN_APP),
        ("apps", "resume", UNKNOWN_APP),
        ("authorizations", "grant", "--seller-id", SELLER, "--application-id", UNKNOWN_APP),
    ):
        result = cli(db_url, *args)
        refused(result)
        assert f"application {UNKNOWN_APP} not found" in result.stderr


def test_revoking_for_an_unknown_application_exits_2_with_a_message(db_url: str) -> None:
    """An operator's typo in the application id must not look like a successful revocation."""
    ok(cli(db_url, "db", "upgrade"))
    result = cli(db_url, "authorizations", "revoke", "--seller-id", SELLER, "--application-id", UNKNOWN_APP)
    refused(result)
    assert f"application {UNKNOWN_APP} not found" in result.stderr


def test_bad_input_exits_2_with_a_message(db_url: str) -> None:
    bad_uri = cli(db_url, "apps", "create", "--name", "X", "--redirect-uri", "not-a-url")
    refused(bad_uri, "Missing or invalid request parameters.")
    assert "redirect URI" in bad_uri.stderr
    missing_name = cli(db_url, "apps", "create")
    assert missing_name.returncode == 2
    assert "--name" in missing_name.stderr
    assert ok(cli(db_url, "apps", "list")).strip() == ""


def test_sellers_put_with_a_password_enables_sign_in(db_url: str) -> None:
    password = "cli-password-123"
    out = ok(
        cli(db_url, "sellers", "put", SELLER, "--name", "CLI Store", "--password", stdin=f"{password}\n{password}\n")
    )
    assert password not in out
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        assert password not in "\n".join(conn.iterdump())
    container = bootstrap(Settings(database_url=db_url))
    created = asyncio.run(
        container.identity.create_application("Sign-in App", frozenset({"Buyer Solicitation"}), (REDIRECT,))
    )
    container.close()
    with service(db_url) as client:
        for given, status in (("wrong-password-1", 401), (password, 303)):
            signed = client.post(
                "/apps/authorize/signin",
                data={"seller_id": SELLER, "password": given, "next": "/apps/authorize/consent?x=1"},
                follow_redirects=False,
            )
            assert signed.status_code == status, signed.text
        consent = client.get(
            "/apps/authorize/consent",
            params={"application_id": created.application.application_id, "state": "s"},
        )
        assert 'id="confirm"' in consent.text

    short = cli(db_url, "sellers", "put", SELLER, "--name", "CLI Store", "--password", stdin="short\nshort\n")
    refused(short, "Missing or invalid request parameters.")
