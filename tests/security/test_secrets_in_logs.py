"""Finding 6: a failed write logged SQLAlchemy's `[parameters: …]`, buyer address included.

One real server with JSON logs sees every kind of secret (client secret, refresh and access tokens, admin
token, password, opt-out token) and buyer addresses, then fails writes (store locked past its timeout, a
value the database refuses) and errors; the whole log is then searched for each of them.
"""

import mailbox
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from helpers import (
    ADMIN_TOKEN,
    ON_POSTGRES,
    SELLER,
    US,
    ServerProcess,
    fresh_database_url,
    order_doc,
    server_now,
    wait_until,
)

pytestmark = pytest.mark.e2e

ADDRESSES = ["jane.logcheck@example.com", "John.Logcheck@Example.org", "nul\x00byte.logcheck@example.net"]
PASSWORD = "correct horse battery staple logcheck"
POST = "/solicitations/productReviewAndSellerFeedback"


@contextmanager
def store_locked(database_url: str) -> Iterator[None]:
    """Another session holds the store's write lock: the server's writes fail at their timeout."""
    if ON_POSTGRES:
        url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url) as conn:
            conn.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
            yield
    else:
        conn = sqlite3.connect(make_url(database_url).database, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()


def test_no_secret_or_buyer_address_reaches_the_log(tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    database_url = fresh_database_url(tmp_path)
    server = ServerProcess(
        database_url,
        env={"SOLICITATIONS_ACCESS_LOG": "true", "SOLICITATIONS_STATEMENT_TIMEOUT_MS": "1000"},
        log_path=log_path,
    ).start()
    seen: list[str] = [ADMIN_TOKEN, PASSWORD, *ADDRESSES]
    statuses: list[int] = []
    try:
        now = server_now()
        with server.admin() as admin:
            app = admin.post("/admin/v1/applications", json={"name": "Log Check", "roles": ["Buyer Solicitation"]})
            client_id, client_secret = app.json()["clientId"], app.json()["clientSecret"]
            admin.put(
                f"/admin/v1/sellers/{SELLER}", json={"name": "Store", "marketplaceIds": [US], "password": PASSWORD}
            )
            refresh = admin.post(
                "/admin/v1/authorizations", json={"sellerId": SELLER, "applicationId": app.json()["applicationId"]}
            ).json()["refresh_token"]
            minted = admin.post(
                "/admin/v1/access-tokens", json={"sellerId": SELLER, "applicationId": "amzn1.sp.solution.logs"}
            ).json()["access_token"]
            for n, address in enumerate(ADDRESSES[:2]):
                admin.put(
                    f"/admin/v1/orders/111-0000000-000000{n}",
                    json=order_doc(f"111-0000000-000000{n}", now=now, email=address),
                ).raise_for_status()
            # Failed writes: a value the store refuses (NUL), and the store locked past its timeout.
            statuses.append(
                admin.put(
                    "/admin/v1/orders/111-0000000-0000009",
                    json=order_doc("111-0000000-0000009", now=now, email=ADDRESSES[2]),
                ).status_code
            )
            with store_locked(database_url):
                locked = order_doc("111-0000000-0000008", now=now, email=ADDRESSES[0])
                statuses.append(admin.put("/admin/v1/orders/111-0000000-0000008", json=locked, timeout=30).status_code)
            statuses.append(
                admin.get("/admin/v1/outbox", headers={"Authorization": "Bearer " + ADMIN_TOKEN[:-1]}).status_code
            )
        seen += [client_secret, refresh, minted]
        with httpx.Client(base_url=server.base_url) as client:
            token = client.post(
                "/auth/o2/token",
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh,
                    "client_id": client_id,
                    "client_secret": client_secret,
                },
            ).json()["access_token"]
            seen.append(token)
            statuses.append(
                client.post(
                    "/auth/o2/token",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": refresh,
                        "client_id": client_id,
                        "client_secret": client_secret + "x",
                    },
                ).status_code
            )
            statuses.append(
                client.post(
                    "/auth/o2/token",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": refresh + "x",
                        "client_id": client_id,
                        "client_secret": client_secret,
                    },
                ).status_code
            )
            order = "/solicitations/v1/orders/111-0000000-0000000"
            statuses.append(
                client.post(
                    order + POST, params={"marketplaceIds": US}, headers={"x-amz-access-token": token}
                ).status_code
            )
            statuses.append(
                client.get(
                    order, params={"marketplaceIds": US}, headers={"x-amz-access-token": minted + "x"}
                ).status_code
            )
            maildir = log_path.parent / "mail"
            wait_until(
                lambda: maildir.exists() and len(mailbox.Maildir(maildir, create=False)) == 1, 10, "the email went out"
            )
            (email,) = list(mailbox.Maildir(maildir, create=False))
            opt_out = str(email["List-Unsubscribe"]).strip("<> ").removeprefix(server.base_url)
            seen.append(opt_out.rsplit("/", 1)[1])
            statuses.append(client.get(opt_out).status_code)
            statuses.append(client.post(opt_out).status_code)
    finally:
        server.stop()

    assert statuses[1] == 503, statuses  # the write failed while the store was locked
    assert statuses[2:] == [401, 401, 400, 201, 403, 200, 200], statuses
    text = log_path.read_text()
    assert "[parameters:" not in text
    for secret in seen:
        for form in {secret, secret.lower(), secret.replace("\x00", "\\x00"), secret.replace("\x00", "\\u0000")}:
            assert form not in text, f"{secret!r} is in the log"
