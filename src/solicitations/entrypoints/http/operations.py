"""For operators and their tooling: liveness, readiness, the OpenAPI document and, when on, Prometheus metrics."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from solicitations.adapters.metrics import CONTENT_TYPE, PrometheusMetrics
from solicitations.domain import errors
from solicitations.entrypoints.http import rendering
from solicitations.entrypoints.http.bearer import bearer_matches
from solicitations.entrypoints.http.openapi import openapi_document
from solicitations.service.health import Readiness


def operations_routes(
    readiness: Readiness, metrics: PrometheusMetrics | None, *, admin: bool, emulator: bool, metrics_token: str | None
) -> list[BaseRoute]:
    """`admin` and `emulator` tell whether the admin API and the clock are served, for the OpenAPI document.

    /metrics is served only with a token to guard it (`metrics_token`): a public scrape page tells anyone
    the traffic and the outbox's state.
    """

    async def healthz(request: Request) -> Response:
        """The process is alive (and its event loop turns): nothing else is checked."""
        return rendering.json_response({"status": "ok"}, rendering.new_request_id())

    async def readyz(request: Request) -> Response:
        """Ready for traffic: 503 in Amazon's error shape, naming each failing check, when not."""
        request_id = rendering.new_request_id()
        failures = await readiness.failures()
        if failures:
            details = "; ".join(f"{check}: {why}" for check, why in failures.items())
            return rendering.error_response(errors.SERVICE_UNAVAILABLE.with_details(details), request_id)
        return rendering.json_response({"status": "ready"}, request_id)

    serve_metrics = metrics is not None and metrics_token is not None
    document = openapi_document(admin=admin, metrics=serve_metrics, emulator=emulator)

    async def openapi(request: Request) -> Response:
        return rendering.json_response(document, rendering.new_request_id())

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    if metrics is not None and metrics_token is not None:
        registry, scraper_token = metrics, metrics_token

        async def metrics_text(request: Request) -> Response:
            """The outbox gauges are read from the store off the event loop (cached); a failed read omits them."""
            if not bearer_matches(request, scraper_token):
                return rendering.error_response(errors.METRICS_UNAUTHORIZED, rendering.new_request_id())
            text = await registry.scrape()
            return rendering.json_response(text, rendering.new_request_id(), media_type=CONTENT_TYPE)

        routes.append(Route("/metrics", metrics_text, methods=["GET"]))
    return routes
