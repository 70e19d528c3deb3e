"""Amazon's header names reach the client in Amazon's case, read off the socket of a real server process."""

import uuid
from collections.abc import Iterator

import pytest

from helpers import US, ServerProcess, fresh_database_url, order_doc, server_now
from wire import exchange

pytestmark = pytest.mark.e2e


def target(order_id: str) -> str:
    return f"/solicitations/v1/orders/{order_id}?marketplaceIds={US}"


@pytest.fixture(scope="module")
def throttled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Amazon's default plans (burst 5), so a 429 is a few requests away."""
    directory = tmp_path_factory.mktemp("wire")
    server = ServerProcess(fresh_database_url(directory), throttled=True, log_path=directory / "server.log")
    yield server.start()
    server.stop()


def eligible_order(server: ServerProcess) -> tuple[str, str]:
    """(token, order id) of a seller of its own, whose buckets (also in a shared Redis) start full."""
    seller = "A" + uuid.uuid4().hex[:12].upper()
    order_id = f"111-{uuid.uuid4().int % 10**7:07d}-{uuid.uuid4().int % 10**7:07d}"
    server.put_order(order_doc(order_id, now=server_now(), seller_id=seller))
    return server.issue_token(seller_id=seller), order_id


def test_a_success_carries_request_id_and_rate_limit_in_amazons_case(throttled_server: ServerProcess) -> None:
    token, order_id = eligible_order(throttled_server)
    response = exchange(throttled_server.port, "GET", target(order_id), {"x-amz-access-token": token})
    assert response.status == 200
    assert "x-amzn-RequestId" in response.names()
    assert response.value("x-amzn-RateLimit-Limit") == "1.0"
    assert not any(name.lower() == "x-amzn-errortype" for name in response.names())


def test_an_error_carries_request_id_and_error_type_in_amazons_case(throttled_server: ServerProcess) -> None:
    response = exchange(throttled_server.port, "GET", target("111-0000000-0000900"))  # no token
    assert response.status == 403
    assert response.value("x-amzn-ErrorType") == "AccessDeniedException"
    assert "x-amzn-RequestId" in response.names()


def test_a_throttled_request_carries_error_type_and_no_rate_limit(throttled_server: ServerProcess) -> None:
    token, order_id = eligible_order(throttled_server)
    answers = [
        exchange(throttled_server.port, "GET", target(order_id), {"x-amz-access-token": token}) for _ in range(6)
    ]
    assert [a.status for a in answers] == [200] * 5 + [429]
    throttled = answers[-1]
    assert throttled.value("x-amzn-ErrorType") == "TooManyRequestsException"
    assert "x-amzn-RequestId" in throttled.names()
    assert not any(name.lower() == "x-amzn-ratelimit-limit" for name in throttled.names())
