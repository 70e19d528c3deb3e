"""Past the limit on secret checks, every HTTP path that hashes a secret refuses at once with 503 and
Retry-After, each in its own shape: OAuth 2.0 at the token endpoint, an HTML page at the consent sign-in,
Amazon's error body on the admin API. One thread, no waiting line, and its one check held by the test.
"""

import asyncio

import httpx
import pytest

from helpers import SELLER, US, GatedArgon2, wait_until_async
from solicitations.bootstrap import Container
from solicitations.config import Settings
from solicitations.entrypoints.http.app import create_app

TOKEN_URL = "/auth/o2/token"
BAD_SECRET = {
    "grant_type": "refresh_token",
    "refresh_token": "Atzr|unknown",
    "client_id": "amzn1.application-oa2-client.unknown",
    "client_secret": "amzn1.oa2-cs.v1.wrong",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"secret_check_threads": 1, "secret_check_waiting": 0})


@pytest.fixture
def argon2() -> GatedArgon2:
    return GatedArgon2()


def test_past_the_limit_each_path_that_hashes_answers_503_at_once(
    container: Container, argon2: GatedArgon2, admin_headers: dict[str, str]
) -> None:
    async def scenario() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(create_app(container))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=10) as client:
                holding = asyncio.create_task(client.post(TOKEN_URL, data=BAD_SECRET))
                await wait_until_async(lambda: argon2.entered == 1)
                answers = {
                    "token": await client.post(TOKEN_URL, data=BAD_SECRET),
                    "sign-in": await client.post(
                        "/apps/authorize/signin", data={"seller_id": SELLER, "password": "a password"}
                    ),
                    "new application": await client.post(
                        "/admin/v1/applications", json={"name": "Busy"}, headers=admin_headers
                    ),
                    "password": await client.put(
                        f"/admin/v1/sellers/{SELLER}",
                        json={"name": "Store", "marketplaceIds": [US], "password": "long enough"},
                        headers=admin_headers,
                    ),
                }
                assert argon2.entered == 1  # none of them reached argon2
                argon2.release.set()
                answers["held"] = await holding
                answers["after"] = await client.post(TOKEN_URL, data=BAD_SECRET)
                return answers
        finally:
            argon2.release.set()
            await container.aclose()

    answers = asyncio.run(asyncio.wait_for(scenario(), 30))
    for name in ("token", "sign-in", "new application", "password"):
        assert answers[name].status_code == 503, (name, answers[name].text)
        assert answers[name].headers["retry-after"] == "1", name
    assert answers["token"].json() == {
        "error_description": "Too many client authentications are in progress; retry shortly",
        "error": "temporarily_unavailable",
    }
    assert answers["token"].headers["cache-control"] == "no-store"
    assert 'id="error"' in answers["sign-in"].text
    for name in ("new application", "password"):
        assert answers[name].json()["errors"][0]["code"] == "ServiceUnavailable"
    # the held check ends as it would have, and with the thread free again checks go through
    for name in ("held", "after"):
        assert answers[name].status_code == 401, answers[name].text
        assert answers[name].json()["error"] == "invalid_client"
