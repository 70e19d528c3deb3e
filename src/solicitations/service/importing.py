"""Bulk import of orders: JSON lines, or the `Orders` array of a getOrders payload.

Each bad record is reported with where it stands and why, and skipped; the good ones are written in
one transaction, so an interrupted import leaves nothing half-written.
"""

import json
from dataclasses import dataclass, field

from solicitations.domain.orders import InvalidOrder, Order, order_from_document
from solicitations.service.opt_outs import save_orders
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.store import Store


@dataclass
class ImportReport:
    imported: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def _records(text: str) -> list[tuple[str, object]]:
    """(where, decoded record or the JSONDecodeError) for each record in the text."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            whole = json.loads(text)
        except json.JSONDecodeError:
            whole = None
        if isinstance(whole, dict):
            payload = whole.get("payload", whole)
            if isinstance(payload, dict) and isinstance(payload.get("Orders"), list):
                return [(f"Orders[{i}]", doc) for i, doc in enumerate(payload["Orders"])]
    records: list[tuple[str, object]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            records.append((f"line {number}", exc))
    return records


async def import_orders(store: Store, text: str, now: Clock, default_seller_id: str | None = None) -> ImportReport:
    report = ImportReport()
    good: list[Order] = []
    for where, record in _records(text):
        if isinstance(record, json.JSONDecodeError):
            report.rejected.append((where, f"not valid JSON: {record.msg}"))
            continue
        try:
            good.append(order_from_document(record, default_seller_id=default_seller_id))
        except InvalidOrder as exc:
            report.rejected.append((where, str(exc)))
    if good:
        await store.write(lambda uow: save_orders(uow, good, now()))
    report.imported = len(good)
    return report
