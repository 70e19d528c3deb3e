"""Finding 8: `/apps/*` forms ignored SOLICITATIONS_MAX_BODY_BYTES (a 150 MB sign-in body was read, a 30 MB
multipart upload accepted), and Starlette's own 400 came back as 404 NotFound. One limit now holds for every
route, declared or streamed, and every framework status keeps its meaning in Amazon's shape."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

LIMIT = 4096
ROUTES = [
    ("POST", "/apps/authorize/signin"),
    ("POST", "/apps/authorize/consent"),
    ("POST", "/auth/o2/token"),
    ("POST", "/admin/v1/applications"),
    ("POST", "/solicitations/v1/orders/111-1111111-1111111/solicitations/productReviewAndSellerFeedback"),
    ("POST", "/opt-out/some-token"),
    ("GET", "/healthz"),
]


@pytest.fixture
def small(settings: Settings, clock) -> Iterator[TestClient]:
    container = bootstrap(settings.model_copy(update={"max_body_bytes": LIMIT}), clock)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def assert_too_large(response) -> None:
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["code"] == "RequestEntityTooLarge"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_declared_oversize_body_is_413_on_every_route(small: TestClient, method: str, path: str) -> None:
    body = b"seller_id=x&password=" + b"p" * LIMIT
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert_too_large(small.request(method, path, content=body, headers=headers))


@pytest.mark.parametrize(("method", "path"), ROUTES[:2])
def test_a_chunked_oversize_body_is_413(small: TestClient, method: str, path: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"seller_id=x&password="
        for _ in range(1000):
            yield b"p" * 1024

    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert_too_large(small.request(method, path, content=chunks(), headers=headers))


def test_a_multipart_upload_past_the_limit_is_413(small: TestClient) -> None:
    files = {"upload": ("big.bin", b"\0" * (LIMIT * 4), "application/octet-stream")}
    assert_too_large(small.post("/apps/authorize/signin", data={"seller_id": "x"}, files=files))


def test_a_malformed_form_is_400_not_404(client: TestClient) -> None:
    response = client.post(
        "/apps/authorize/signin", content=b"--x\r\n", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_framework_statuses_keep_their_meaning(client: TestClient) -> None:
    assert client.get("/nope").json()["errors"][0]["code"] == "NotFound"
    wrong = client.delete("/healthz")
    assert wrong.status_code == 405
    assert wrong.json()["errors"][0]["code"] == "MethodNotAllowed"
