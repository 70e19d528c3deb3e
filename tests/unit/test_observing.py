"""The Observer logs each delivery attempt once; PrometheusMetrics counts attempts by outcome and serves the
outbox gauges from the watch's last read (the watch itself, over a real store, is in tests/integration)."""

import logging

import pytest

from solicitations.adapters.metrics import PrometheusMetrics
from solicitations.domain.messages import MessageState
from solicitations.service.observing import Observer, OutboxState


def test_a_delivery_attempt_is_logged_with_ids_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="solicitations.delivery"):
        Observer().delivery_attempt(
            "111-0000000-0000001", 2, "retry", 0.0123, message_id="<m@x.invalid>", reason="421 busy"
        )
    [record] = caplog.records
    assert record.getMessage() == "delivery attempt"
    assert record.levelno == logging.WARNING  # the email did not go out
    assert record.__dict__["amazon_order_id"] == "111-0000000-0000001"
    assert record.__dict__["message_id"] == "<m@x.invalid>"
    assert record.__dict__["attempt"] == 2
    assert record.__dict__["outcome"] == "retry"
    assert record.__dict__["duration_ms"] == 12.3
    assert record.__dict__["reason"] == "421 busy"


def test_delivery_attempts_are_counted_by_outcome_and_logged_once_each(caplog: pytest.LogCaptureFixture) -> None:
    metrics = PrometheusMetrics()
    with caplog.at_level(logging.INFO, logger="solicitations.delivery"):
        metrics.delivery_attempt("111-0000000-0000001", 1, "sent", 0.01)
        metrics.delivery_attempt("111-0000000-0000002", 1, "sent", 0.01)
        metrics.delivery_attempt("111-0000000-0000003", 1, "retry", 0.01)
    text = metrics.render().decode()
    assert 'solicitations_delivery_attempts_total{outcome="sent"} 2.0' in text
    assert 'solicitations_delivery_attempts_total{outcome="retry"} 1.0' in text
    assert "111-0000000" not in text
    assert [r.levelno for r in caplog.records] == [logging.INFO, logging.INFO, logging.WARNING]


class _Watch:
    """Stands in for OutboxWatch's last read: what the collector renders, nothing read."""

    def __init__(self, states: list[OutboxState | None]) -> None:
        self.states = iter(states)

    def state(self) -> OutboxState | None:
        return next(self.states)


def test_outbox_gauges_render_every_state_and_vanish_when_the_read_failed() -> None:
    metrics = PrometheusMetrics()
    assert "solicitations_outbox_depth" not in metrics.render().decode()
    depth = {MessageState.PENDING: 3, MessageState.SENT: 7, MessageState.DEAD: 0, MessageState.SUPPRESSED: 1}
    metrics.watch_outbox(_Watch([OutboxState(depth, 42.5), None]))  # type: ignore[arg-type]
    first = metrics.render().decode()
    assert 'solicitations_outbox_depth{state="pending"} 3.0' in first
    assert 'solicitations_outbox_depth{state="sent"} 7.0' in first
    assert 'solicitations_outbox_depth{state="dead"} 0.0' in first
    assert 'solicitations_outbox_depth{state="suppressed"} 1.0' in first
    assert "solicitations_outbox_oldest_undelivered_age_seconds 42.5" in first
    second = metrics.render().decode()
    assert "solicitations_outbox_" not in second
    assert "solicitations_http_requests" in second  # the rest is served all the same
