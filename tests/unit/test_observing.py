"""The hooks left for the outbox: delivery attempts are logged and counted, outbox gauges appear once watched."""

import logging

import pytest

from solicitations.adapters.metrics import OutboxState, PrometheusMetrics
from solicitations.service.observing import Observer


def test_a_delivery_attempt_is_logged_with_ids_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="solicitations.delivery"):
        Observer().delivery_attempt("111-0000000-0000001", 2, "retry", 0.0123)
    [record] = caplog.records
    assert record.getMessage() == "delivery attempt"
    assert record.__dict__["amazon_order_id"] == "111-0000000-0000001"
    assert record.__dict__["attempt"] == 2
    assert record.__dict__["outcome"] == "retry"
    assert record.__dict__["duration_ms"] == 12.3


def test_delivery_attempts_are_counted_by_outcome(caplog: pytest.LogCaptureFixture) -> None:
    metrics = PrometheusMetrics()
    with caplog.at_level(logging.INFO, logger="solicitations.delivery"):
        metrics.delivery_attempt("111-0000000-0000001", 1, "delivered", 0.01)
        metrics.delivery_attempt("111-0000000-0000002", 1, "delivered", 0.01)
    text = metrics.render().decode()
    assert 'solicitations_delivery_attempts_total{outcome="delivered"} 2.0' in text
    assert "111-0000000" not in text
    assert len(caplog.records) == 2


def test_outbox_gauges_come_from_the_probe_at_each_scrape() -> None:
    metrics = PrometheusMetrics()
    assert "solicitations_outbox_depth" not in metrics.render().decode()
    states = iter([OutboxState(3, 42.5), OutboxState(0, None)])
    metrics.watch_outbox(lambda: next(states))
    first = metrics.render().decode()
    assert "solicitations_outbox_depth 3.0" in first
    assert "solicitations_outbox_oldest_undelivered_age_seconds 42.5" in first
    second = metrics.render().decode()
    assert "solicitations_outbox_depth 0.0" in second
    assert "solicitations_outbox_oldest_undelivered_age_seconds" not in second
