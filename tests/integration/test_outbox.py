"""The outbox through the in-process app on a real SQLite file: what the POST writes, and what workers do with it.

Workers here run the real DeliveryService on the test's store and clock, with a transport that records or
fails as told; real SMTP and real processes are in tests/e2e.
"""

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from helpers import DE, SELLER, US, Clock, order_doc, read_now
from solicitations.adapters.mail.rendering import MailRenderer
from solicitations.adapters.tokens import RandomTokens
from solicitations.bootstrap import Container
from solicitations.domain.messages import RetryPolicy, message_id
from solicitations.entrypoints.logs import JsonFormatter
from solicitations.service.delivery import DeliveryService
from solicitations.service.observing import Observer
from solicitations.service.ports.mail import DeliveryFailed

ORDER = "111-5555555-0000001"
ACTION = "/solicitations/productReviewAndSellerFeedback"
POLICY = RetryPolicy(base=timedelta(seconds=1), cap=timedelta(seconds=60), max_attempts=3, lease=timedelta(seconds=30))


class Transport:
    """Records what it is handed; raises `failure` instead while one is set."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self.failure: Exception | None = None

    async def send(self, message: EmailMessage) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)


@pytest.fixture
def transport() -> Transport:
    return Transport()


def worker(container: Container, transport: Transport, name: str = "worker-a") -> DeliveryService:
    return DeliveryService(
        container.store,
        container.clock,
        POLICY,
        MailRenderer("https://service.example", container.settings.mail_from),
        transport,
        worker_id=name,
        batch_size=10,
        draw=lambda: 0.5,
        tokens=RandomTokens(),
        observer=Observer(),
    )


@pytest.fixture
def delivery(container: Container, transport: Transport) -> DeliveryService:
    return worker(container, transport)


def deliver(service: DeliveryService) -> int:
    return asyncio.run(service.deliver_due())


@pytest.fixture
def headers(token: str) -> dict[str, str]:
    return {"x-amz-access-token": token}


def put_order(client: TestClient, admin_headers: dict[str, str], doc: dict[str, Any]) -> dict[str, Any]:
    response = client.put(f"/admin/v1/orders/{doc['AmazonOrderId']}", json=doc, headers=admin_headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def solicit(client: TestClient, headers: dict[str, str], order_id: str = ORDER, marketplace: str = US) -> int:
    url = f"/solicitations/v1/orders/{order_id}{ACTION}"
    return client.post(url, params={"marketplaceIds": marketplace}, headers=headers).status_code


def message_state(client: TestClient, admin_headers: dict[str, str], order_id: str = ORDER) -> dict[str, Any]:
    response = client.get(f"/admin/v1/orders/{order_id}", headers=admin_headers)
    assert response.status_code == 200
    return dict(response.json()["message"])


@pytest.fixture
def solicited(client: TestClient, admin_headers: dict[str, str], headers: dict[str, str], clock: Clock) -> str:
    put_order(client, admin_headers, order_doc(ORDER, now=clock.now))
    assert solicit(client, headers) == 201
    return ORDER


# --- the POST path ---------------------------------------------------------------------------------------------------


def test_the_message_is_committed_with_the_solicitation(solicited: str, client, admin_headers, container) -> None:
    state = message_state(client, admin_headers)
    assert state["state"] == "pending"
    assert state["attempts"] == 0
    assert state["messageId"] == message_id(ORDER, "solicitations.invalid")
    assert state["sentAt"] is None
    assert state["nextAttemptAt"] == "2026-11-27T12:00:00Z"
    messages = read_now(container.store, lambda uow: uow.outbox.list_messages(None, 10))
    assert [m.amazon_order_id for m in messages] == [ORDER]


@pytest.fixture
def row_writes(container: Container) -> Iterator[list[str]]:
    """Every INSERT and UPDATE SQLite itself runs while the test body runs, whichever layer issued it (the hot
    statements bypass SQLAlchemy's cursor events), by the driver's trace callback on fresh connections."""
    writes: list[str] = []

    def trace(statement: str) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            writes.append(statement.split("(")[0].strip())

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(trace)

    container.store.engine.dispose()
    event.listen(container.store.engine, "connect", on_connect)
    yield writes
    event.remove(container.store.engine, "connect", on_connect)


@pytest.mark.sqlite_only
def test_the_post_adds_exactly_one_row_write_the_outbox_insert(
    client, admin_headers, headers, clock, row_writes
) -> None:
    put_order(client, admin_headers, order_doc(ORDER, now=clock.now))
    row_writes.clear()
    assert solicit(client, headers) == 201
    assert row_writes == ["INSERT INTO solicitations", "INSERT INTO outbox"]
    row_writes.clear()
    assert solicit(client, headers) == 403  # refused before anything is written
    assert row_writes == []


def test_a_refused_post_queues_nothing(client, admin_headers, headers, clock, container) -> None:
    put_order(client, admin_headers, order_doc(ORDER, now=clock.now, status="Unshipped"))
    assert solicit(client, headers) == 403
    assert read_now(container.store, lambda uow: uow.outbox.list_messages(None, 10)) == []
    assert client.get(f"/admin/v1/orders/{ORDER}", headers=admin_headers).json()["message"] is None


# --- delivering ------------------------------------------------------------------------------------------------------


def test_a_due_message_is_rendered_sent_and_marked(solicited, delivery, transport, client, admin_headers) -> None:
    assert deliver(delivery) == 1
    (email,) = transport.sent
    assert email["To"] == "buyer@example.com"
    assert email["Message-ID"] == message_id(ORDER, "solicitations.invalid")
    state = message_state(client, admin_headers)
    assert (state["state"], state["attempts"], state["sentAt"], state["lastError"]) == (
        "sent",
        1,
        "2026-11-27T12:00:00Z",
        None,
    )
    assert deliver(delivery) == 0
    assert len(transport.sent) == 1


def test_a_worker_that_dies_holding_the_lease_is_replaced_after_it_expires(
    solicited, container, transport, clock, client, admin_headers
) -> None:
    dying = worker(container, transport, "worker-a")
    claimed, outgoing, _ = asyncio.run(dying.claim())  # ...and it dies before sending or recording anything
    assert claimed == 1
    other = worker(container, transport, "worker-b")
    assert deliver(other) == 0  # the lease holds
    clock.advance(POLICY.lease - timedelta(seconds=1))
    assert deliver(other) == 0
    clock.advance(timedelta(seconds=1))
    assert deliver(other) == 1
    (email,) = transport.sent
    assert email["Message-ID"] == outgoing[0].claimed.message_id == message_id(ORDER, "solicitations.invalid")
    assert message_state(client, admin_headers)["attempts"] == 2
    # The dead worker's verdict, should it ever arrive, cannot undo the other's.
    asyncio.run(dying.record([asyncio.run(dying.send(outgoing[0]))]))
    assert message_state(client, admin_headers)["state"] == "sent"


def test_a_transient_failure_is_retried_after_the_backoff(
    solicited, delivery, transport, clock, client, admin_headers
) -> None:
    transport.failure = DeliveryFailed("421 4.3.2 try again later", permanent=False)
    assert deliver(delivery) == 1
    state = message_state(client, admin_headers)
    assert (state["state"], state["attempts"], state["lastError"]) == ("pending", 1, "421 4.3.2 try again later")
    assert state["nextAttemptAt"] == "2026-11-27T12:00:00Z"  # 0.5 * 1 s later, shown to the second
    clock.advance(timedelta(milliseconds=499))
    assert deliver(delivery) == 0
    transport.failure = None
    clock.advance(timedelta(milliseconds=1))
    assert deliver(delivery) == 1
    state = message_state(client, admin_headers)
    assert (state["state"], state["attempts"]) == ("sent", 2)
    assert state["lastError"] == "421 4.3.2 try again later"  # history: why it needed a second try


def test_retries_run_out_into_the_dead_letters(solicited, delivery, transport, clock, client, admin_headers) -> None:
    transport.failure = DeliveryFailed("ConnectionRefusedError", permanent=False)
    for _ in range(POLICY.max_attempts):
        assert deliver(delivery) == 1
        clock.advance(POLICY.cap)
    state = message_state(client, admin_headers)
    assert (state["state"], state["attempts"]) == ("dead", 3)
    assert state["lastError"] == "gave up after 3 attempts: ConnectionRefusedError"
    assert state["nextAttemptAt"] is None
    assert deliver(delivery) == 0


def test_a_permanent_failure_is_dead_letter_until_requeued(
    solicited, delivery, transport, client, admin_headers
) -> None:
    transport.failure = DeliveryFailed("550 5.1.1 <buyer@example.com>: no such user", permanent=True)
    assert deliver(delivery) == 1
    state = message_state(client, admin_headers)
    assert (state["state"], state["lastError"]) == ("dead", "550 5.1.1 <<address>>: no such user")
    listed = client.get("/admin/v1/outbox", params={"state": "dead"}, headers=admin_headers).json()["messages"]
    assert [m["amazonOrderId"] for m in listed] == [ORDER]
    assert client.get("/admin/v1/outbox", params={"state": "sent"}, headers=admin_headers).json() == {"messages": []}

    transport.failure = None
    retried = client.post(f"/admin/v1/outbox/{state['id']}/retry", headers=admin_headers)
    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    assert deliver(delivery) == 1
    assert message_state(client, admin_headers)["state"] == "sent"
    assert len(transport.sent) == 1

    again = client.post(f"/admin/v1/outbox/{state['id']}/retry", headers=admin_headers)
    assert again.status_code == 400
    assert again.json()["errors"][0]["details"] == f"message {state['id']} is sent: only dead messages are retried"


@pytest.mark.parametrize("message", ["999", str(2**31 - 1)])  # out of bounds: 400 (tests/security/test_integers.py)
def test_retrying_an_unknown_message_is_404(client, admin_headers, message: str) -> None:
    response = client.post(f"/admin/v1/outbox/{message}/retry", headers=admin_headers)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"


@pytest.mark.parametrize(
    ("params", "details"),
    [
        ({"state": "lost"}, "state must be one of pending, sent, dead, suppressed"),
        ({"limit": "0"}, "limit must be a whole number from 1 to 1000"),
        ({"limit": "²"}, "limit must be a whole number from 1 to 1000"),
        ({"limit": "1001"}, "limit must be a whole number from 1 to 1000"),
    ],
)
def test_bad_outbox_queries_are_400(client, admin_headers, params: dict[str, str], details: str) -> None:
    response = client.get("/admin/v1/outbox", params=params, headers=admin_headers)
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"code": "InvalidInput", "message": response.json()["errors"][0]["message"], "details": details}]
    }


def test_a_rendering_bug_is_retried_like_an_outage(solicited, container, transport, client, admin_headers) -> None:
    class Broken(MailRenderer):
        def render(self, *args: Any) -> EmailMessage:
            raise RuntimeError("template blew up")

    broken = DeliveryService(
        container.store,
        container.clock,
        POLICY,
        Broken("x", "a@b.c"),
        transport,
        "w",
        10,
        lambda: 0.5,
        tokens=RandomTokens(),
        observer=Observer(),
    )
    assert deliver(broken) == 1
    state = message_state(client, admin_headers)
    assert (state["state"], state["lastError"]) == ("pending", "internal error: RuntimeError")


def test_emails_are_rendered_off_the_event_loop(solicited, container, transport) -> None:
    """Rendering costs milliseconds of CPU: it must not run on the loop that answers API requests."""
    threads: list[int] = []

    class Watched(MailRenderer):
        def render(self, *args: Any) -> EmailMessage:
            threads.append(threading.get_ident())
            return super().render(*args)

    async def round_on_a_loop() -> int:
        watched = DeliveryService(
            container.store,
            container.clock,
            POLICY,
            Watched("x", "a@b.c"),
            transport,
            "w",
            10,
            lambda: 0.5,
            tokens=RandomTokens(),
            observer=Observer(),
        )
        threads.append(threading.get_ident())  # the loop's own thread, first
        return await watched.deliver_due()

    assert asyncio.run(round_on_a_loop()) == 1
    loop_thread, rendered_on = threads
    assert rendered_on != loop_thread
    assert len(transport.sent) == 1


def test_a_buyer_who_opts_out_before_delivery_gets_nothing(
    solicited, delivery, transport, client, admin_headers
) -> None:
    put_order(client, admin_headers, {**order_doc(ORDER), "BuyerOptedOut": True})
    assert deliver(delivery) == 1
    assert transport.sent == []
    state = message_state(client, admin_headers)
    assert (state["state"], state["lastError"]) == ("suppressed", "the buyer opted out")


def test_an_order_without_an_address_is_dead_lettered_and_without_items_still_sent(
    client, admin_headers, headers, clock, delivery, transport
) -> None:
    put_order(client, admin_headers, order_doc("111-5555555-0000002", now=clock.now, email=None))
    put_order(client, admin_headers, order_doc("111-5555555-0000003", now=clock.now))
    assert solicit(client, headers, "111-5555555-0000002") == 201  # the solicitation stands regardless
    assert solicit(client, headers, "111-5555555-0000003") == 201
    assert deliver(delivery) == 2
    assert message_state(client, admin_headers, "111-5555555-0000002")["lastError"] == "the order has no buyer address"
    assert message_state(client, admin_headers, "111-5555555-0000003")["state"] == "sent"
    (email,) = transport.sent
    assert "review-your-purchases" in str(email.get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_logs_name_orders_and_messages_never_the_buyer(
    client, admin_headers, headers, clock, delivery, transport, caplog
) -> None:
    address = "Private.Person@Example.org"
    put_order(client, admin_headers, order_doc(ORDER, now=clock.now, email=address))
    assert solicit(client, headers) == 201
    caplog.set_level(logging.DEBUG)
    transport.failure = DeliveryFailed(f"450 4.2.0 <{address}>: mailbox busy", permanent=False)
    deliver(delivery)
    clock.advance(POLICY.cap)
    transport.failure = DeliveryFailed(f"550 5.1.1 {address.lower()} unknown", permanent=True)
    deliver(delivery)
    assert message_state(client, admin_headers)["state"] == "dead"
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any(ORDER in line for line in lines)
    # One line per attempt, naming its outcome and why, with the address redacted.
    attempts = [r for r in caplog.records if r.getMessage() == "delivery attempt"]
    assert [(r.__dict__["attempt"], r.__dict__["outcome"], r.levelname) for r in attempts] == [
        (1, "retry", "WARNING"),
        (2, "dead", "WARNING"),
    ]
    assert attempts[0].__dict__["reason"] == "450 4.2.0 <<address>>: mailbox busy"
    for line in lines:
        assert "@example.org" not in line.lower()
        assert "private.person" not in line.lower()


# --- order items ------------------------------------------------------------------------------------------------------


def test_orders_carry_their_items_through_the_admin_api(client, admin_headers, clock) -> None:
    items = [
        {"ASIN": "B00TEST001", "SellerSKU": "SKU-1", "Title": "Grinder", "QuantityOrdered": 2, "OrderItemId": "1"},
        {"ASIN": "B00TEST002", "QuantityOrdered": 1},
    ]
    stored = put_order(client, admin_headers, {**order_doc(ORDER, now=clock.now), "OrderItems": items})
    expected = [
        {"ASIN": "B00TEST001", "SellerSKU": "SKU-1", "Title": "Grinder", "QuantityOrdered": 2},
        {"ASIN": "B00TEST002", "QuantityOrdered": 1},
    ]
    assert stored["OrderItems"] == expected
    shown = client.get(f"/admin/v1/orders/{ORDER}", headers=admin_headers).json()
    assert shown["order"]["OrderItems"] == expected


@pytest.mark.parametrize(
    ("items", "details"),
    [
        ("B00TEST001", "OrderItems must be an array of at most 100 items"),
        ([{"ASIN": "B00TEST001", "QuantityOrdered": 1}] * 101, "OrderItems must be an array of at most 100 items"),
        (["x"], "OrderItems[0] must be an object"),
        ([{"QuantityOrdered": 1}], "OrderItems[0].ASIN must be 10 upper-case letters or digits"),
        ([{"ASIN": "b00test001", "QuantityOrdered": 1}], "OrderItems[0].ASIN must be 10 upper-case letters or digits"),
        ([{"ASIN": "B00TEST001"}], "OrderItems[0].QuantityOrdered must be a whole number from 0 to 1000000"),
        (
            [{"ASIN": "B00TEST001", "QuantityOrdered": True}],
            "OrderItems[0].QuantityOrdered must be a whole number from 0 to 1000000",
        ),
        ([{"ASIN": "B00TEST001", "QuantityOrdered": 1, "Title": ""}], "OrderItems[0].Title must be a non-empty string"),
        (
            [{"ASIN": "B00TEST001", "QuantityOrdered": 1, "Title": "x" * 501}],
            "OrderItems[0].Title is longer than 500 characters",
        ),
        (
            [{"ASIN": "B00TEST001", "QuantityOrdered": 1, "SellerSKU": 5}],
            "OrderItems[0].SellerSKU must be a non-empty string",
        ),
    ],
)
def test_bad_items_are_400_naming_the_item(client, admin_headers, items: object, details: str) -> None:
    response = client.put(
        f"/admin/v1/orders/{ORDER}", json={**order_doc(ORDER), "OrderItems": items}, headers=admin_headers
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["details"] == details


# --- opting out ---------------------------------------------------------------------------------------------------


def test_the_opt_out_link_opts_the_buyer_out_of_every_order(
    client, admin_headers, headers, clock, delivery, transport, container
) -> None:
    put_order(client, admin_headers, order_doc(ORDER, now=clock.now, email="Buyer@Example.com", locale="de_DE"))
    other = "111-5555555-0000009"
    put_order(client, admin_headers, order_doc(other, now=clock.now, email="buyer@example.COM"))
    stranger = "111-5555555-0000010"
    put_order(client, admin_headers, order_doc(stranger, now=clock.now, email="someone@example.com"))
    assert solicit(client, headers) == 201
    deliver(delivery)
    (email,) = transport.sent
    link = str(email["List-Unsubscribe"]).strip("<> ")
    path = link.removeprefix("https://service.example")
    assert path.startswith("/opt-out/")

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    assert "Keine Bewertungsanfragen mehr?" in page.text  # the order's language
    assert client.get(f"/solicitations/v1/orders/{other}", params={"marketplaceIds": US}, headers=headers).json()[
        "_links"
    ]["actions"]  # a GET of the page changes nothing

    done = client.post(
        path, content=b"List-Unsubscribe=One-Click", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert done.status_code == 200
    assert "Sie haben sich abgemeldet" in done.text
    assert client.post(path).status_code == 200  # idempotent, and no body needed

    actions = client.get(f"/solicitations/v1/orders/{other}", params={"marketplaceIds": US}, headers=headers).json()
    assert actions["_links"]["actions"] == []
    assert solicit(client, headers, other) == 403
    theirs = client.get(f"/solicitations/v1/orders/{stranger}", params={"marketplaceIds": US}, headers=headers).json()
    assert theirs["_links"]["actions"] != []

    # Later upserts and imports cannot opt the buyer back in, nor can a new order of theirs be solicited.
    assert put_order(client, admin_headers, order_doc(other, now=clock.now, email="BUYER@example.com"))["BuyerOptedOut"]
    newer = "111-5555555-0000011"
    put_order(client, admin_headers, order_doc(newer, now=clock.now, email="buyer@example.com"))
    assert solicit(client, headers, newer) == 403
    from solicitations.service.importing import import_orders

    asyncio.run(
        import_orders(container.store, json.dumps(order_doc(other, now=clock.now, email="buyer@example.com")), clock)
    )
    stored = read_now(container.store, lambda uow: uow.orders.find(other))
    assert stored is not None
    assert stored.order.buyer_opted_out


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("token", ["unknown", "x" * 129, "x" * 5000])
def test_an_unknown_opt_out_token_is_404_in_amazons_shape(client, method: str, token: str) -> None:
    response = client.request(method, f"/opt-out/{token}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"


def test_the_opt_out_token_is_stored_only_hashed(solicited, delivery, transport, container) -> None:
    deliver(delivery)
    (email,) = transport.sent
    token = str(email["List-Unsubscribe"]).strip("<> ").rsplit("/", 1)[1]
    with container.store.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM opt_out_tokens"))
    assert token not in dump
    assert len(dump) > 0


def test_a_german_order_through_the_marketplace_default(
    client, admin_headers, headers, clock, delivery, transport
) -> None:
    put_order(client, admin_headers, order_doc(ORDER, now=clock.now, marketplace_id=DE, seller_id=SELLER))
    assert solicit(client, headers, ORDER, DE) == 201
    deliver(delivery)
    (email,) = transport.sent
    assert email["Content-Language"] == "de-DE"


# --- the command line ----------------------------------------------------------------------------------------------


def test_the_cli_lists_and_requeues_dead_messages(
    solicited, delivery, transport, clock, monkeypatch, database_url, tmp_path
) -> None:
    """The CLI runs on the test's clock (handed in through Typer's context object), like the worker here."""
    from typer.testing import CliRunner

    from solicitations.entrypoints.cli import CliContext, app

    monkeypatch.setenv("SOLICITATIONS_MAILDIR", str(tmp_path / "mail"))
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return runner.invoke(app, ["--database-url", database_url, *args], obj=CliContext(clock=clock))

    transport.failure = DeliveryFailed("550 5.7.1 refused", permanent=True)
    deliver(delivery)

    listed = cli("outbox", "list", "--state", "dead")
    assert listed.exit_code == 0, listed.output
    (line,) = listed.stdout.splitlines()
    outbox_id, state, attempts, order_id, msg_id, error = line.split("\t")
    assert (state, attempts, order_id, msg_id, error) == (
        "dead",
        "1",
        ORDER,
        message_id(ORDER, "solicitations.invalid"),
        "550 5.7.1 refused",
    )
    assert cli("outbox", "list", "--state", "sent").stdout == ""
    assert cli("outbox", "list", "--state", "lost").exit_code == 2
    assert cli("outbox", "retry").exit_code == 2
    assert cli("outbox", "retry", outbox_id, "--all-dead").exit_code == 2

    clock.advance(timedelta(minutes=7))
    retried = cli("outbox", "retry", outbox_id)
    assert (retried.exit_code, retried.stdout) == (0, "requeued 1 message\n")
    (requeued,) = asyncio.run(delivery.messages(None, 10))
    assert requeued.due_at == clock.now  # due by the test's clock, not the wall clock
    refused = cli("outbox", "retry", outbox_id)
    assert refused.exit_code == 1
    assert "only dead messages are retried" in refused.output

    deliver(delivery)  # due at once on the same clock; refused again
    all_dead = cli("outbox", "retry", "--all-dead")
    assert (all_dead.exit_code, all_dead.stdout) == (0, "requeued 1 message\n")
    transport.failure = None
    assert deliver(delivery) == 1
    assert cli("outbox", "list").stdout.split("\t")[1] == "sent"


# --- the schema ------------------------------------------------------------------------------------------------------


def test_the_migrations_build_exactly_the_schema_the_code_declares(container: Container) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from solicitations.adapters.store.schema import metadata

    with container.store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_the_delivery_migration_gives_existing_orders_their_buyer_key(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from solicitations.adapters.store.migrate import alembic_config, upgrade
    from solicitations.domain.messages import buyer_key

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
        conn.execute(
            text(
                "INSERT INTO orders (amazon_order_id, seller_id, marketplace_id, order_status, buyer_email,"
                " buyer_opted_out, updated_at) VALUES ('1', 'S', 'ATVPDKIKX0DER', 'Shipped', ' Old@Example.com', 0, 0),"
                " ('2', 'S', 'ATVPDKIKX0DER', 'Shipped', NULL, 0, 0)"
            )
        )
    with engine.begin() as conn:
        upgrade(conn)
        keys = dict(conn.execute(text("SELECT amazon_order_id, buyer_key FROM orders")).all())
    assert keys == {"1": buyer_key("old@example.com"), "2": None}
    engine.dispose()
