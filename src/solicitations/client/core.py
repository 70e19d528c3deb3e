"""One SP-API call as a sans-I/O generator: it yields the waits and requests it needs, and the sync and async
clients only carry them out, so token caching, pacing and retries exist once for both.

A call takes an access token (exchanged for the refresh token, cached until shortly before it expires),
reserves a token of its operation's bucket, sends, follows `x-amzn-RateLimit-Limit`, and retries 429, 500,
503 and lost responses with full-jitter backoff. A create whose earlier attempt may have reached the
service and that now gets 403 "not available" was already asked: the one-per-order rule makes the repeat
harmless, and the call reports it as done.
"""

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx

from solicitations.client.endpoints import resolve
from solicitations.client.errors import NOT_AVAILABLE, LwaError, SpApiError
from solicitations.client.pacing import Pacer, RetryPolicy

T = TypeVar("T")
TOKEN_RENEWAL_MARGIN = 60.0  # seconds before expiry an access token is exchanged again
USER_AGENT = "solicitations-client/0.1 (Language=Python)"


@dataclass(frozen=True)
class Credentials:
    """An LWA application's client id and secret, and the refresh token a selling partner's authorization gave it."""

    client_id: str
    client_secret: str
    refresh_token: str


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class Send:
    request: httpx.Request


Outcome = httpx.Response | httpx.TransportError
Steps = Generator[Wait | Send, Outcome | None, T]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    request_id: str | None
    repeated: bool = False  # a create already done by an earlier attempt whose answer was lost


@dataclass(frozen=True)
class _Retry:
    """An attempt that failed in a way worth repeating; `error` is raised if no attempt is left."""

    error: Exception
    retry_after: float = 0.0


def _request_id(response: httpx.Response) -> str | None:
    value: str | None = response.headers.get("x-amzn-RequestId")
    return value


def api_error(response: httpx.Response) -> SpApiError:
    """Amazon's error body, or what can be said of a body that is not one (a proxy's HTML page…)."""
    try:
        first = response.json()["errors"][0]
        return SpApiError(
            response.status_code,
            str(first.get("code", "")),
            str(first.get("message", "")),
            str(first.get("details", "") or ""),
            _request_id(response),
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return SpApiError(response.status_code, "Unknown", response.text[:200], "", _request_id(response))


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0


class Core:
    """State shared by a client's calls: the cached access token and the buckets."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        endpoint: str,
        token_url: str,
        retry: RetryPolicy,
        monotonic: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self.credentials = credentials
        self.base_url = resolve(endpoint)
        self.token_url = token_url
        self.retry = retry
        self.monotonic = monotonic
        self.rng = rng
        self.pacer = Pacer(monotonic)
        self._token: str | None = None
        self._token_expires = 0.0

    def _with_retries(self, attempt: Callable[[bool], Steps[T | _Retry]], lost: bool = False) -> Steps[T]:
        """Run `attempt` until it returns a value; between failures wait a full-jitter backoff.

        `attempt` is told whether an earlier attempt may have reached the service (`lost`).
        """
        for number in range(self.retry.attempts):
            outcome = yield from attempt(lost)
            if not isinstance(outcome, _Retry):
                return outcome
            error = outcome.error
            if isinstance(error, httpx.TransportError):
                lost = lost or not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
            elif isinstance(error, SpApiError) and error.status >= 500:
                lost = True
            if number + 1 < self.retry.attempts:
                yield Wait(max(outcome.retry_after, self.rng.uniform(0, self.retry.ceiling(number))))
        raise error

    def access_token(self) -> Steps[str]:
        if self._token is not None and self.monotonic() < self._token_expires:
            return self._token
        return (yield from self._with_retries(self._exchange))

    def _exchange(self, lost: bool) -> Steps[str | _Retry]:
        requested_at = self.monotonic()
        outcome = yield Send(
            httpx.Request(
                "POST",
                self.token_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": self.credentials.refresh_token,
                    "client_id": self.credentials.client_id,
                    "client_secret": self.credentials.client_secret,
                },
                headers={"user-agent": USER_AGENT},
            )
        )
        if isinstance(outcome, httpx.TransportError):
            return _Retry(outcome)
        assert outcome is not None
        try:
            body = outcome.json()
        except ValueError:
            body = {}
        if outcome.status_code == 200 and isinstance(body, dict) and "access_token" in body:
            self._token = str(body["access_token"])
            self._token_expires = requested_at + max(0.0, float(body.get("expires_in", 3600)) - TOKEN_RENEWAL_MARGIN)
            return self._token
        error = LwaError(
            outcome.status_code,
            str(body.get("error", "unknown")) if isinstance(body, dict) else "unknown",
            str(body.get("error_description", "")) if isinstance(body, dict) else outcome.text[:200],
        )
        if outcome.status_code == 429 or outcome.status_code >= 500:
            return _Retry(error, _retry_after(outcome))
        raise error

    def call(
        self,
        operation: str,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        maybe_sent_before: bool = False,
    ) -> Steps[Reply]:
        """One operation, paced and retried. `maybe_sent_before`: a create an earlier run may have delivered."""

        def attempt(lost: bool) -> Steps[Reply | _Retry]:
            token = yield from self.access_token()
            bucket = self.pacer.bucket(operation)
            delay = bucket.reserve()
            if delay > 0:
                yield Wait(delay)
            outcome = yield Send(
                httpx.Request(
                    method,
                    self.base_url + path,
                    params=params,
                    headers={"x-amz-access-token": token, "user-agent": USER_AGENT, "accept": "application/json"},
                )
            )
            if isinstance(outcome, httpx.TransportError):
                return _Retry(outcome)
            assert outcome is not None
            self.pacer.observe(operation, outcome.headers.get("x-amzn-RateLimit-Limit"))
            if outcome.is_success:
                return Reply(outcome.status_code, outcome.json() if outcome.content else {}, _request_id(outcome))
            error = api_error(outcome)
            if error.status == 429:
                bucket.drain()
            if error.retryable:
                return _Retry(error, _retry_after(outcome))
            if lost and method == "POST" and error.status == 403 and error.message == NOT_AVAILABLE:
                return Reply(201, {}, error.request_id, repeated=True)
            raise error

        return (yield from self._with_retries(attempt, maybe_sent_before))


def format_instant(value: datetime) -> str:
    """ISO 8601 as the Orders API takes it."""
    return value.isoformat().replace("+00:00", "Z")
