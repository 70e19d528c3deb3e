"""The OpenAPI document and the routes agree both ways: every route documented, every documented path routed."""

import re
from collections.abc import Iterator

import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from solicitations.bootstrap import bootstrap
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def routed(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path template as OpenAPI writes it, lower-case method) for every route, mounts followed."""
    for item in routes:
        if isinstance(item, Mount):
            yield from routed(item.routes, prefix + item.path)
        elif isinstance(item, Route):
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", prefix + item.path)  # {messageId:int} -> {messageId}
            for method in item.methods or ():
                if method != "HEAD":  # served for every GET, documented with it
                    yield path, method.lower()


def documented(document: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS}


@pytest.mark.parametrize(
    ("admin", "metrics", "emulator"), [(True, True, True), (True, True, False), (False, False, False)]
)
def test_the_document_describes_exactly_the_routes_served(tmp_path, admin, metrics, emulator):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        admin_token="an-admin-token-for-this-test-0123456" if admin else None,
        metrics=metrics,
        emulator=emulator,
        maildir=str(tmp_path / "mail"),
    )
    container = bootstrap(settings)
    try:
        app = create_app(container)
        served = set(routed(app.routes))
        with TestClient(app) as client:
            document = client.get("/openapi.json").json()
    finally:
        container.close()
    served.discard(("/openapi.json", "get"))  # the document does not describe itself
    listed = documented(document)
    assert served - listed == set(), "routes missing from /openapi.json"
    assert listed - served == set(), "documented paths nothing serves"
    assert any(path.startswith("/admin/") for path, _ in served) == admin
    assert (("/metrics", "get") in served) == metrics
    assert (("/admin/v1/clock", "put") in served) == emulator
