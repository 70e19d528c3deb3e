"""Prometheus metrics, in a registry of their own (one per app), rendered at `/metrics`.

Labels stay low-cardinality: operations, statuses, plan kinds, outcomes; never an order or partner id.
The labelled children the hot path touches are looked up once and kept, so recording a request costs
one dict lookup, one counter increment and one histogram observation (bench/asgi_cost.py measures it).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from solicitations.service.observing import Observer

# Text exposition format 0.0.4: what every Prometheus version scrapes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Latency buckets around the service's scale: a GET takes well under a millisecond on one core.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass(frozen=True, slots=True)
class OutboxState:
    """What the outbox reports when scraped: undelivered solicitations and the oldest one's age."""

    depth: int
    oldest_undelivered_age_seconds: float | None  # None: nothing undelivered


class _OutboxCollector(Collector):
    def __init__(self, probe: Callable[[], OutboxState]) -> None:
        self._probe = probe

    def collect(self) -> Iterator[Metric]:
        state = self._probe()
        yield GaugeMetricFamily(
            "solicitations_outbox_depth", "Solicitations recorded and not yet delivered.", value=state.depth
        )
        if state.oldest_undelivered_age_seconds is not None:
            yield GaugeMetricFamily(
                "solicitations_outbox_oldest_undelivered_age_seconds",
                "Age of the oldest undelivered solicitation.",
                value=state.oldest_undelivered_age_seconds,
            )


class PrometheusMetrics(Observer):
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "solicitations_http_requests",
            "Solicitations API requests answered, by operation and status.",
            ["operation", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "solicitations_http_request_duration_seconds",
            "Time from routing a Solicitations API request to its response, by operation.",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._throttled = Counter(
            "solicitations_throttled_requests",
            "Requests refused with 429 QuotaExceeded, by operation and kind of usage plan (default or granted).",
            ["operation", "plan"],
            registry=self.registry,
        )
        self._outcomes = Counter(
            "solicitations_eligibility_outcomes",
            "Orders assessed, by operation and outcome: eligible, or why not (too_early, too_late, ...).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self._deliveries = Counter(
            "solicitations_delivery_attempts",
            "Attempts to deliver a solicitation, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}
        self._outcome_children: dict[tuple[str, str], Counter] = {}

    def request(self, operation: str, status: int, seconds: float) -> None:
        children = self._request_children.get((operation, status))
        if children is None:
            children = (self._requests.labels(operation, str(status)), self._latency.labels(operation))
            self._request_children[(operation, status)] = children
        children[0].inc()
        children[1].observe(seconds)

    def throttled(self, operation: str, granted_plan: bool) -> None:
        self._throttled.labels(operation, "granted" if granted_plan else "default").inc()

    def assessed(self, operation: str, outcome: str) -> None:
        child = self._outcome_children.get((operation, outcome))
        if child is None:
            child = self._outcome_children[(operation, outcome)] = self._outcomes.labels(operation, outcome)
        child.inc()

    def delivery_attempt(self, amazon_order_id: str, attempt: int, outcome: str, seconds: float) -> None:
        super().delivery_attempt(amazon_order_id, attempt, outcome, seconds)
        self._deliveries.labels(outcome).inc()

    def watch_outbox(self, probe: Callable[[], OutboxState]) -> None:
        """Hook for the outbox: `probe` is called at each scrape; no outbox, no outbox series."""
        self.registry.register(_OutboxCollector(probe))

    def render(self) -> bytes:
        return generate_latest(self.registry)
