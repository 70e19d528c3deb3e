"""Prometheus metrics, in a registry of their own (one per app), rendered at `/metrics` by `scrape`.

Labels stay low-cardinality: operations, statuses, plan kinds, outcomes; never an order or partner id.
Counts are plain numbers in dicts, turned into metric families only when scraped (a custom collector):
prometheus-client's Counter and Histogram take a lock per increment: ~4 µs of a ~45 µs GET
(bench/asgi_cost.py), against ~0.6 µs here. No lock is needed: every count is made, and every scrape
is served, on the event loop's one thread (the delivery service reports from the loop, never from the
threads its store calls run in). The outbox gauges come from the store: `scrape` reads it off the loop
(service/observing.py's OutboxWatch, cached) before rendering, since collectors are synchronous.
"""

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from solicitations.service.observing import Observer, OutboxWatch

# Text exposition format 0.0.4: what every Prometheus version scrapes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Latency buckets (upper bounds, inclusive) around the service's scale: a GET takes well under 1 ms.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class _Latency:
    """One operation's latency histogram: a count per bucket (not cumulative until scraped) and the sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.total = 0.0


class _OutboxCollector(Collector):
    """The outbox gauges from the watch's last read; nothing at all when that read failed."""

    def __init__(self, watch: OutboxWatch) -> None:
        self._watch = watch

    def collect(self) -> Iterator[Metric]:
        state = self._watch.state()
        if state is None:
            return
        depth = GaugeMetricFamily(
            "solicitations_outbox_depth", "Buyers' emails in the outbox, by state.", labels=["state"]
        )
        for message_state, count in state.depth.items():
            depth.add_metric([message_state.value], count)
        yield depth
        yield GaugeMetricFamily(
            "solicitations_outbox_oldest_undelivered_age_seconds",
            "Seconds since the oldest pending email's solicitation was recorded; 0 when nothing is pending.",
            value=state.oldest_undelivered_age_seconds,
        )


def _counter(name: str, documentation: str, labels: list[str], counts: dict[tuple[str, ...], int]) -> Metric:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for values, count in counts.items():
        family.add_metric(list(values), count)
    return family


class PrometheusMetrics(Observer, Collector):
    def __init__(self) -> None:
        self._requests: dict[tuple[str, ...], int] = {}
        self._latency: dict[str, _Latency] = {}
        self._throttled: dict[tuple[str, ...], int] = {}
        self._outcomes: dict[tuple[str, ...], int] = {}
        self._deliveries: dict[tuple[str, ...], int] = {}
        self._outbox: OutboxWatch | None = None
        self.registry = CollectorRegistry()
        self.registry.register(self)

    def request(self, operation: str, status: int, seconds: float) -> None:
        key = (operation, str(status))
        self._requests[key] = self._requests.get(key, 0) + 1
        latency = self._latency.get(operation)
        if latency is None:
            latency = self._latency[operation] = _Latency()
        latency.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        latency.total += seconds

    def throttled(self, operation: str, granted_plan: bool) -> None:
        key = (operation, "granted" if granted_plan else "default")
        self._throttled[key] = self._throttled.get(key, 0) + 1

    def assessed(self, operation: str, outcome: str) -> None:
        key = (operation, str(outcome))
        self._outcomes[key] = self._outcomes.get(key, 0) + 1

    def delivery_attempt(
        self,
        amazon_order_id: str,
        attempt: int,
        outcome: str,
        seconds: float,
        *,
        message_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().delivery_attempt(amazon_order_id, attempt, outcome, seconds, message_id=message_id, reason=reason)
        self._deliveries[(outcome,)] = self._deliveries.get((outcome,), 0) + 1

    def watch_outbox(self, watch: OutboxWatch) -> None:
        """Serve the outbox gauges from `watch`, refreshed by each `scrape`; unwatched, there are none."""
        self._outbox = watch
        self.registry.register(_OutboxCollector(watch))

    def collect(self) -> Iterator[Metric]:
        yield _counter(
            "solicitations_http_requests",
            "Solicitations API requests answered, by operation and status.",
            ["operation", "status"],
            self._requests,
        )
        latency = HistogramMetricFamily(
            "solicitations_http_request_duration_seconds",
            "Time from routing a Solicitations API request to its response, by operation.",
            labels=["operation"],
        )
        for operation, histogram in self._latency.items():
            buckets, running = [], 0
            for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), histogram.counts, strict=True):
                running += count
                buckets.append((bound, running))
            latency.add_metric([operation], buckets, histogram.total)
        yield latency
        yield _counter(
            "solicitations_throttled_requests",
            "Requests refused with 429 QuotaExceeded, by operation and kind of usage plan (default or granted).",
            ["operation", "plan"],
            self._throttled,
        )
        yield _counter(
            "solicitations_eligibility_outcomes",
            "Orders assessed, by operation and outcome: eligible, or why not (too_early, too_late, ...).",
            ["operation", "outcome"],
            self._outcomes,
        )
        yield _counter(
            "solicitations_delivery_attempts",
            "Attempts to deliver a solicitation, by outcome.",
            ["outcome"],
            self._deliveries,
        )

    def render(self) -> bytes:
        """The text as of the last outbox read; `scrape` is what /metrics calls."""
        return generate_latest(self.registry)

    async def scrape(self) -> bytes:
        """Refresh the outbox gauges (off the event loop, cached), then render."""
        if self._outbox is not None:
            await self._outbox.refresh()
        return self.render()
