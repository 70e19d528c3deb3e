"""Usage plans measured in real time against real server processes, in-process and over Redis."""

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from helpers import US, ServerProcess, free_port, fresh_database_url, wait_until

GET_PATH = "/solicitations/v1/orders/111-9999999-0000001"
POST_PATH = GET_PATH + "/solicitations/productReviewAndSellerFeedback"


def unique_seller() -> str:
    """Sellers no other test or run has used, so buckets in a shared Redis start full."""
    return "A" + uuid.uuid4().hex[:12].upper()


def burst(urls: list[str], token: str, path: str = GET_PATH, count: int = 50, method: str = "GET") -> list[int]:
    """`count` requests as fast as one client can send them, spread round-robin over `urls`."""
    clients = [httpx.Client(base_url=u, headers={"x-amz-access-token": token}) for u in urls]
    try:
        return [
            clients[i % len(clients)].request(method, path, params={"marketplaceIds": US}).status_code
            for i in range(count)
        ]
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def throttled_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(fresh_database_url(tmp_path), throttled=True, log_path=tmp_path / "server.log")
    yield server.start()
    server.stop()


def test_one_node_admits_exactly_the_burst_then_about_one_per_second(throttled_server: ServerProcess) -> None:
    seller = unique_seller()
    token = throttled_server.issue_token(seller_id=seller)
    started = time.monotonic()  # the bucket is made, full, by the first request after this
    statuses = burst([throttled_server.base_url], token)
    # The order does not exist: admitted requests answer 404, throttled ones 429.
    assert statuses.count(404) == 5
    assert statuses.count(429) == 45
    assert set(statuses[:5]) == {404}

    # Then the bucket refills at 1 token/s. Poll until three more are admitted: never sooner than the rate
    # allows (by any instant, at most 5 + the seconds since the bucket was made), and not much later either.
    admitted = 5
    with httpx.Client(base_url=throttled_server.base_url, headers={"x-amz-access-token": token}) as client:

        def three_more_admitted() -> bool:
            nonlocal admitted
            if client.get(GET_PATH, params={"marketplaceIds": US}).status_code != 429:
                admitted += 1
                assert admitted <= 5 + (time.monotonic() - started), "admitted faster than 1 request/s"
            return admitted == 8

        wait_until(three_more_admitted, 5, "three more requests admitted at 1 token/s")
    assert time.monotonic() - started >= 3

    # Another partner's bucket is untouched, and the other operation has its own bucket.
    other = throttled_server.issue_token(seller_id=unique_seller())
    assert burst([throttled_server.base_url], other, count=5) == [404] * 5
    assert burst([throttled_server.base_url], token, POST_PATH, count=6, method="POST") == [404] * 5 + [429]


def test_429_carries_the_exact_body_and_no_rate_limit_header(throttled_server: ServerProcess) -> None:
    token = throttled_server.issue_token(seller_id=unique_seller())
    with httpx.Client(base_url=throttled_server.base_url, headers={"x-amz-access-token": token}) as client:
        responses = [client.get(GET_PATH, params={"marketplaceIds": US}) for _ in range(6)]
    assert responses[0].headers["x-amzn-RateLimit-Limit"] == "1.0"
    throttled = responses[5]
    assert throttled.status_code == 429
    assert throttled.json() == {
        "errors": [
            {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource.", "details": ""}
        ]
    }
    assert "x-amzn-RateLimit-Limit" not in throttled.headers
    assert throttled.headers["x-amzn-RequestId"]
    assert "throttled" in (throttled_server.log_path.read_text() if throttled_server.log_path else "")


def test_a_granted_plan_applies_and_shows_its_bucket(throttled_server: ServerProcess) -> None:
    seller = unique_seller()
    token = throttled_server.issue_token(seller_id=seller)
    plan_path = f"/admin/v1/usage-plans/{seller}/amzn1.sp.solution.test-app/getSolicitationActionsForOrder"
    with throttled_server.admin() as admin:
        granted = admin.put(plan_path, json={"rate": 20.0, "burst": 40})
        assert granted.status_code == 200
        assert granted.json()["rate"] == 20.0
        started = time.monotonic()
        statuses = burst([throttled_server.base_url], token, count=60)
        refilled = (time.monotonic() - started) * 20.0
        # 40 at once, plus what 20/s refills while the 60 requests run (however slow a loaded machine makes them).
        assert 40 <= statuses.count(404) <= 40 + int(refilled) + 1
        shown = admin.get(plan_path).json()
        assert shown["burst"] == 40
        assert 0 <= shown["tokens"] <= min(40.0, (time.monotonic() - started) * 20.0)
        assert admin.put(plan_path, json={"rate": 0, "burst": 40}).status_code == 400
        assert admin.put(plan_path.replace("getSolicitation", "nope"), json={"rate": 1, "burst": 1}).status_code == 404
    # The burst left the bucket empty: once 20/s has refilled a token, an admitted 400 names the granted rate.
    with httpx.Client(base_url=throttled_server.base_url, headers={"x-amz-access-token": token}) as client:
        answers: list[httpx.Response] = []

        def admitted() -> bool:
            answers.append(client.get(GET_PATH, params={"marketplaceIds": "bad"}))
            return answers[-1].status_code != 429

        wait_until(admitted, 5, "a token refilled at 20/s")
        assert answers[-1].status_code == 400
        assert answers[-1].headers.get("x-amzn-RateLimit-Limit") == "20.0"


def test_two_nodes_sharing_redis_admit_one_bucket(tmp_path: Path, redis_url: str) -> None:
    database = fresh_database_url(tmp_path)
    nodes = [
        ServerProcess(database, env={"SOLICITATIONS_REDIS_URL": redis_url}, throttled=True).start() for _ in range(2)
    ]
    try:
        token = nodes[0].issue_token(seller_id=unique_seller())
        statuses = burst([n.base_url for n in nodes], token)
        assert statuses.count(404) == 5
        assert statuses.count(429) == 45
    finally:
        for node in nodes:
            node.stop()


@pytest.fixture
def own_redis(redis_server_binary: str, tmp_path: Path) -> Iterator["RedisProcess"]:
    process = RedisProcess(redis_server_binary, free_port(), tmp_path)
    process.start()
    yield process
    process.stop()


class RedisProcess:
    def __init__(self, binary: str, port: int, directory: Path) -> None:
        self.binary, self.port, self.directory = binary, port, directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


def test_redis_outage_answers_503_then_recovers_without_restart(tmp_path: Path, own_redis: RedisProcess) -> None:
    server = ServerProcess(
        fresh_database_url(tmp_path), env={"SOLICITATIONS_REDIS_URL": own_redis.url}, throttled=True
    ).start()
    try:
        token = server.issue_token(seller_id=unique_seller())
        assert burst([server.base_url], token, count=6) == [404] * 5 + [429]
        own_redis.stop()
        during = burst([server.base_url], token, count=5)
        assert during == [503] * 5  # never unthrottled, never a 500
        own_redis.start()  # a new, empty Redis: buckets start full again
        deadline = time.monotonic() + 10
        after: list[int] = []
        while time.monotonic() < deadline:
            after = burst([server.base_url], token, count=1)
            if after != [503]:
                break
            time.sleep(0.1)
        assert after == [404]
    finally:
        server.stop()
