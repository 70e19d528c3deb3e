"""One run of the requester: discover orders, decide each one's fate by its window, ask those offered.

Windows are computed here with the service's own rule (domain/eligibility.py), so only orders in their
window cost a getSolicitationActionsForOrder call. "Today" is one instant for the whole run, passed in.
Refusals of the caller (a suspended application, a revoked authorization, LWA saying no) stop the run:
they would refuse every order alike, and the journal keeps what was done for the next run.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx

from solicitations.client import SellingPartnerClient, SpApiError
from solicitations.client.errors import OUTSIDE_WINDOW
from solicitations.domain.eligibility import Ineligible, assess, window
from solicitations.domain.orders import InvalidOrder, order_from_document
from solicitations.requester.journal import Entry, Journal, State

DEFAULT_LOOKBACK = timedelta(days=90)  # getOrders needs CreatedAfter; older orders are past any window
NOT_OFFERED_BY_SERVICE = "not_offered"  # in its window, but the service offered no action (asked elsewhere, opted out)
WOULD_ASK = "would_ask"  # --dry-run: offered, not sent


@dataclass
class Summary:
    """What this run found, order by order: the final table and `--json` are views of it."""

    asked_now: list[str] = field(default_factory=list)
    asked_before: list[str] = field(default_factory=list)  # asked by an earlier run (journal)
    would_ask: list[str] = field(default_factory=list)
    not_offered: dict[str, list[str]] = field(default_factory=dict)  # reason → orders
    waiting: dict[str, datetime] = field(default_factory=dict)  # order → when its window opens
    failed: dict[str, str] = field(default_factory=dict)  # order → why

    def as_json(self) -> dict[str, Any]:
        return {
            "asked": len(self.asked_now) + len(self.asked_before),
            "askedThisRun": len(self.asked_now),
            "askedEarlier": len(self.asked_before),
            "wouldAsk": len(self.would_ask),
            "notOffered": {reason: len(orders) for reason, orders in sorted(self.not_offered.items())},
            "notYetInWindow": len(self.waiting),
            "nextWindowOpens": min(self.waiting.values()).isoformat() if self.waiting else None,
            "failed": dict(sorted(self.failed.items())),
        }


Progress = Callable[[str, str], None]  # (order id, what was decided)


@dataclass
class Requester:
    client: SellingPartnerClient
    journal: Journal
    marketplace_id: str
    now: datetime
    dry_run: bool = False
    progress: Progress = lambda order_id, decision: None

    def discover(self, since: datetime | None) -> list[dict[str, Any]]:
        """Every shipped order created since `since` (default: 90 days before today), across all pages."""
        return list(
            self.client.iter_orders(
                [self.marketplace_id], created_after=since or self.now - DEFAULT_LOOKBACK, order_statuses=["Shipped"]
            )
        )

    def run(self, orders: Iterable[dict[str, Any] | str], run_id: int) -> Summary:
        """Decide each order: a document from getOrders, or an order id alone (`--order-id`), whose window
        the service judges, since Amazon's sandbox matches no getOrders query of real dates."""
        summary = Summary()
        for doc in orders:
            order_id = doc if isinstance(doc, str) else str(doc.get("AmazonOrderId"))
            decision = self._decide(doc, order_id, run_id, summary)
            self.progress(order_id, decision)
        return summary

    def _record(self, run_id: int, order_id: str, state: State, **details: Any) -> None:
        if not self.dry_run:
            self.journal.record(run_id, order_id, self.marketplace_id, state, **details)

    def _decide(self, doc: dict[str, Any] | str, order_id: str, run_id: int, summary: Summary) -> str:
        entry = self.journal.get(order_id)
        if entry is not None and entry.state is State.ASKED:
            summary.asked_before.append(order_id)
            return "asked earlier"
        if entry is not None and entry.maybe_sent:
            return self._ask(order_id, run_id, summary, entry)
        if isinstance(doc, str):
            return self._offered(order_id, run_id, summary, entry)
        try:
            order = order_from_document(doc, default_seller_id="-")
        except InvalidOrder as error:
            return self._fail(order_id, run_id, summary, f"unreadable order: {error}")
        reason = assess(order, already_solicited=False, now=self.now)
        if reason is Ineligible.TOO_EARLY:
            span = window(order)
            assert span is not None
            summary.waiting[order_id] = span.opens
            self._record(run_id, order_id, State.WAITING, opens=span.opens)
            return f"window opens {span.opens.isoformat()}"
        if reason is not None:
            return self._not_offered(order_id, run_id, summary, reason.value)
        return self._offered(order_id, run_id, summary, entry)

    def _offered(self, order_id: str, run_id: int, summary: Summary, entry: Entry | None) -> str:
        """Ask the service which actions it offers for the order, and ask the buyer when it offers ours."""
        try:
            actions = self.client.get_solicitation_actions_for_order(order_id, self.marketplace_id)
        except (SpApiError, httpx.TransportError) as error:
            return self._failure(order_id, run_id, summary, error)
        if not actions.offers_review_request:
            return self._not_offered(order_id, run_id, summary, NOT_OFFERED_BY_SERVICE)
        return self._ask(order_id, run_id, summary, entry)

    def _ask(self, order_id: str, run_id: int, summary: Summary, entry: Entry | None) -> str:
        """Send the create request, "sending" recorded first; if the journal says one may have left, as a repeat."""
        if self.dry_run:
            summary.would_ask.append(order_id)
            return WOULD_ASK
        self._record(run_id, order_id, State.SENDING)
        try:
            created = self.client.create_product_review_and_seller_feedback_solicitation(
                order_id, self.marketplace_id, maybe_sent_before=entry is not None and entry.maybe_sent
            )
        except (SpApiError, httpx.TransportError) as error:
            return self._failure(order_id, run_id, summary, error)
        self._record(run_id, order_id, State.ASKED, reason="repeat" if created.repeated else None)
        (summary.asked_before if created.repeated else summary.asked_now).append(order_id)
        return "asked (already, by the earlier attempt)" if created.repeated else "asked"

    def _not_offered(self, order_id: str, run_id: int, summary: Summary, reason: str) -> str:
        summary.not_offered.setdefault(reason, []).append(order_id)
        self._record(run_id, order_id, State.NOT_OFFERED, reason=reason)
        return f"not offered: {reason}"

    def _failure(self, order_id: str, run_id: int, summary: Summary, error: SpApiError | httpx.TransportError) -> str:
        """An answer about this order is its decision; a refused caller stops the run (see the module docstring)."""
        if isinstance(error, SpApiError) and error.about_the_order:
            reason = Ineligible.TOO_LATE.value if error.message == OUTSIDE_WINDOW else NOT_OFFERED_BY_SERVICE
            return self._not_offered(order_id, run_id, summary, reason)
        if isinstance(error, SpApiError) and error.status in (401, 403):
            raise error
        return self._fail(order_id, run_id, summary, str(error) or type(error).__name__)

    def _fail(self, order_id: str, run_id: int, summary: Summary, why: str) -> str:
        summary.failed[order_id] = why
        self._record(run_id, order_id, State.FAILED, reason=why)
        return f"failed: {why}"
