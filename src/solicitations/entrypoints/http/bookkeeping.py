"""What every API request and buyer page leaves behind once answered: its latency metric and its access-log line."""

import logging
import time

from starlette.responses import Response

from solicitations.adapters.metrics import PrometheusMetrics
from solicitations.domain.callers import Caller

access_log = logging.getLogger("solicitations.access")


class Bookkeeping:
    """Shared by the surfaces that count and log their requests, so every line and sample has one shape."""

    def __init__(self, metrics: PrometheusMetrics | None, log_requests: bool) -> None:
        self._metrics = metrics
        self._log_requests = log_requests

    def finish(
        self, response: Response, request_id: str, operation: str, started: float, caller: Caller | None
    ) -> Response:
        """Record the request that began at `started` (perf_counter) and hand its response back."""
        elapsed = time.perf_counter() - started
        if self._metrics is not None:
            self._metrics.request(operation, response.status_code, elapsed)
        if self._log_requests:
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "operation": operation,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 3),
                    "seller_id": None if caller is None else caller.seller_id,
                    "application_id": None if caller is None else caller.application_id,
                },
            )
        return response
