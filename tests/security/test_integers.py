"""Finding 7: `POST /admin/v1/outbox/<5000 digits>/retry` answered 500 without authentication (routing parsed
the id before the token was checked) and `GET /admin/v1/outbox?limit=<5000 digits>` 500. Integers are now
parsed bounded, after authentication, and refused with a 400 in Amazon's shape."""

import pytest
from starlette.testclient import TestClient

HUGE = "9" * 5000


@pytest.mark.parametrize("message_id", [HUGE, str(2**31), "-1", "0", "1e3", "١٢", "0x10"])
def test_a_retry_with_a_bad_message_id_is_401_then_400(client: TestClient, admin_headers, message_id: str) -> None:
    path = f"/admin/v1/outbox/{message_id}/retry"
    assert client.post(path).status_code == 401
    response = client.post(path, headers=admin_headers)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    assert response.json()["errors"][0]["details"].startswith("id must be")


def test_a_retry_of_an_unknown_message_is_still_404(client: TestClient, admin_headers) -> None:
    assert client.post("/admin/v1/outbox/2147483647/retry", headers=admin_headers).status_code == 404


@pytest.mark.parametrize("limit", [HUGE, "0", "1001", "-5", "1.5", "²"])
def test_an_outbox_limit_out_of_bounds_is_400(client: TestClient, admin_headers, limit: str) -> None:
    response = client.get("/admin/v1/outbox", params={"limit": limit}, headers=admin_headers)
    assert response.status_code == 400, response.text
    assert "limit" in response.json()["errors"][0]["details"]
