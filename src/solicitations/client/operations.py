"""The operations the client speaks, each once as steps (see core.py), with typed results."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from solicitations.client.core import Core, Steps, format_instant
from solicitations.domain.usage_plans import (
    CREATE_REVIEW_SOLICITATION,
    GET_ACTIONS,
    GET_ORDER,
    GET_ORDER_BUYER_INFO,
    GET_ORDER_ITEMS,
    GET_ORDERS,
)

REVIEW_ACTION = "productReviewAndSellerFeedback"


@dataclass(frozen=True)
class SolicitationActions:
    names: tuple[str, ...]  # the actions offered for the order now
    request_id: str | None

    @property
    def offers_review_request(self) -> bool:
        return REVIEW_ACTION in self.names


@dataclass(frozen=True)
class Created:
    request_id: str | None
    repeated: bool  # an earlier attempt (or run) had already asked; this one changed nothing


@dataclass(frozen=True)
class OrdersPage:
    orders: list[dict[str, Any]]
    next_token: str | None
    request_id: str | None


def _order_path(order_id: str) -> str:
    return quote(order_id, safe="")


def get_solicitation_actions(core: Core, order_id: str, marketplace_id: str) -> Steps[SolicitationActions]:
    reply = yield from core.call(
        GET_ACTIONS, "GET", f"/solicitations/v1/orders/{_order_path(order_id)}", {"marketplaceIds": marketplace_id}
    )
    actions = reply.body.get("_links", {}).get("actions", [])
    return SolicitationActions(tuple(str(action.get("name")) for action in actions), reply.request_id)


def create_review_solicitation(
    core: Core, order_id: str, marketplace_id: str, maybe_sent_before: bool
) -> Steps[Created]:
    reply = yield from core.call(
        CREATE_REVIEW_SOLICITATION,
        "POST",
        f"/solicitations/v1/orders/{_order_path(order_id)}/solicitations/{REVIEW_ACTION}",
        {"marketplaceIds": marketplace_id},
        maybe_sent_before=maybe_sent_before,
    )
    return Created(reply.request_id, reply.repeated)


def get_orders(
    core: Core,
    marketplace_ids: Sequence[str],
    *,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    last_updated_after: datetime | None = None,
    order_statuses: Sequence[str] = (),
    max_results_per_page: int | None = None,
    next_token: str | None = None,
) -> Steps[OrdersPage]:
    """One page of getOrders. Amazon ignores the filters when `NextToken` is given, so they may always be sent."""
    params = {"MarketplaceIds": ",".join(marketplace_ids)}
    for name, instant in (
        ("CreatedAfter", created_after),
        ("CreatedBefore", created_before),
        ("LastUpdatedAfter", last_updated_after),
    ):
        if instant is not None:
            params[name] = format_instant(instant)
    if order_statuses:
        params["OrderStatuses"] = ",".join(order_statuses)
    if max_results_per_page is not None:
        params["MaxResultsPerPage"] = str(max_results_per_page)
    if next_token:
        params["NextToken"] = next_token
    reply = yield from core.call(GET_ORDERS, "GET", "/orders/v0/orders", params)
    payload = reply.body.get("payload", {})
    return OrdersPage(list(payload.get("Orders", [])), payload.get("NextToken") or None, reply.request_id)


def _payload(core: Core, operation: str, path: str, params: dict[str, str] | None = None) -> Steps[dict[str, Any]]:
    reply = yield from core.call(operation, "GET", path, params)
    return dict(reply.body.get("payload", {}))


def get_order(core: Core, order_id: str) -> Steps[dict[str, Any]]:
    return (yield from _payload(core, GET_ORDER, f"/orders/v0/orders/{_order_path(order_id)}"))


def get_order_items(core: Core, order_id: str, next_token: str | None = None) -> Steps[dict[str, Any]]:
    params = {"NextToken": next_token} if next_token else None
    return (yield from _payload(core, GET_ORDER_ITEMS, f"/orders/v0/orders/{_order_path(order_id)}/orderItems", params))


def get_order_buyer_info(core: Core, order_id: str) -> Steps[dict[str, Any]]:
    return (yield from _payload(core, GET_ORDER_BUYER_INFO, f"/orders/v0/orders/{_order_path(order_id)}/buyerInfo"))
