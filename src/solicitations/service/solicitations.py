"""The two Solicitations API operations as use cases."""

from collections.abc import Awaitable
from functools import partial

from solicitations.domain import errors
from solicitations.domain.actions import ACTIONS, Action
from solicitations.domain.callers import Caller
from solicitations.domain.eligibility import Ineligible, assess, refusal
from solicitations.domain.messages import message_id
from solicitations.domain.orders import Solicitation, StoredOrder, could_exist
from solicitations.domain.usage_plans import CREATE_REVIEW_SOLICITATION, GET_ACTIONS
from solicitations.service.observing import Observer
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.orders import OrderRepository
from solicitations.service.ports.store import Store
from solicitations.service.ports.unit_of_work import UnitOfWork

ELIGIBLE = "eligible"  # the outcome label of an order that may be solicited


def find_order(orders: OrderRepository, amazon_order_id: str) -> StoredOrder | None:
    """The stored order, without asking the store about ids no order can have."""
    return orders.find(amazon_order_id) if could_exist(amazon_order_id) else None


def _read_order(amazon_order_id: str, uow: UnitOfWork) -> StoredOrder | None:
    return find_order(uow.orders, amazon_order_id)


def record(uow: UnitOfWork, solicitation: Solicitation, mail_domain: str) -> bool:
    """Record an order's one solicitation and queue its email in the same transaction (the outbox), so a
    solicitation never exists without its message. False when the order had one already."""
    if not uow.orders.add_solicitation(solicitation):
        return False
    order_id = solicitation.amazon_order_id
    uow.outbox.add(order_id, message_id(order_id, mail_domain), solicitation.created_at)
    return True


def _visible(stored: StoredOrder | None, caller: Caller, marketplace_id: str | None) -> StoredOrder:
    """The order if this caller may see it here; otherwise 404, the same whether it exists or not."""
    if (
        stored is None
        or stored.order.seller_id != caller.seller_id
        or (marketplace_id is not None and stored.order.marketplace_id != marketplace_id)
    ):
        raise errors.ApiError(errors.NOT_FOUND)
    return stored


class _Refused(errors.ApiError):
    """A 403 that still carries its reason, to be counted on the event loop once the transaction is over."""

    def __init__(self, reason: Ineligible) -> None:
        super().__init__(refusal(reason))
        self.reason = reason


class SolicitationService:
    def __init__(self, store: Store, clock: Clock, mail_domain: str, observer: Observer | None = None) -> None:
        self._store = store
        self._clock = clock
        self._mail_domain = mail_domain
        self._observer = observer or Observer()

    async def available_actions(self, caller: Caller, amazon_order_id: str, marketplace_id: str) -> tuple[Action, ...]:
        """getSolicitationActionsForOrder: every action the order may receive now (maybe none)."""
        stored = _visible(await self._find_order(amazon_order_id), caller, marketplace_id)
        reason = assess(stored.order, already_solicited=stored.solicitation is not None, now=self._clock())
        self._observer.assessed(GET_ACTIONS, reason or ELIGIBLE)
        return () if reason is not None else tuple(ACTIONS.values())

    async def action_schema(self, caller: Caller, amazon_order_id: str, action_name: str) -> Action:
        """The HAL link target of an action: its schema, for an order the caller can see."""
        _visible(await self._find_order(amazon_order_id), caller, None)
        return ACTIONS[action_name]

    def _find_order(self, amazon_order_id: str) -> Awaitable[StoredOrder | None]:
        """The GET's order read, where the store runs reads (off the loop when they may wait on a lock)."""
        return self._store.read(partial(_read_order, amazon_order_id))

    async def solicit(
        self, caller: Caller, amazon_order_id: str, marketplace_id: str, action_name: str, request_id: str
    ) -> Solicitation:
        """createProductReviewAndSellerFeedbackSolicitation: record the one solicitation of an order.

        Its email is queued in the same transaction (the outbox), so a 201 always has a message behind it. The
        transaction runs off the event loop (the store decides where); the outcome is counted back on the loop,
        once the answer is known, since the observer's counters belong to the loop's thread.
        """
        try:
            solicitation = await self._store.write(
                partial(self._record, caller, amazon_order_id, marketplace_id, action_name, request_id)
            )
        except _Refused as refused:
            self._observer.assessed(CREATE_REVIEW_SOLICITATION, refused.reason)
            raise
        self._observer.assessed(CREATE_REVIEW_SOLICITATION, ELIGIBLE)  # counted once committed
        return solicitation

    def _record(
        self,
        caller: Caller,
        amazon_order_id: str,
        marketplace_id: str,
        action_name: str,
        request_id: str,
        uow: UnitOfWork,
    ) -> Solicitation:
        """The POST's transaction body, plain and synchronous: it runs in the store's writer thread."""
        stored = _visible(find_order(uow.orders, amazon_order_id), caller, marketplace_id)
        now = self._clock()
        reason = assess(stored.order, already_solicited=stored.solicitation is not None, now=now)
        if reason is not None:
            raise _Refused(reason)
        solicitation = Solicitation(
            amazon_order_id=amazon_order_id,
            action=action_name,
            seller_id=caller.seller_id,
            application_id=caller.application_id,
            marketplace_id=marketplace_id,
            created_at=now,
            request_id=request_id,
        )
        if not record(uow, solicitation, self._mail_domain):
            raise _Refused(Ineligible.ALREADY_SOLICITED)  # another node recorded it first
        return solicitation
