"""The delivery worker loop, run inside `serve` (a task of the app's lifespan) or by `solicitations worker`."""

import asyncio
import contextlib
import logging

from solicitations.service.delivery import DeliveryService
from solicitations.service.ports.store import StoreUnavailable

log = logging.getLogger("solicitations.worker")


async def run_worker(delivery: DeliveryService, stop: asyncio.Event, poll_seconds: float) -> None:
    """Deliver due messages until `stop` is set: back to back while there is work, else every `poll_seconds`.

    A failing store or a bug in one round is logged and retried on the next poll: the loop never dies of it.
    """
    log.info("worker started", extra={"worker_id": delivery.worker_id})
    while not stop.is_set():
        try:
            busy = await delivery.deliver_due() > 0
        except StoreUnavailable as exc:
            log.warning("store unavailable", extra={"worker_id": delivery.worker_id, "error": str(exc)})
            busy = False
        except Exception:
            log.exception("delivery round failed", extra={"worker_id": delivery.worker_id})
            busy = False
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_seconds)
    log.info("worker stopped", extra={"worker_id": delivery.worker_id})
