"""One transaction over every aggregate: the POST writes its solicitation and its email together."""

from typing import Protocol

from solicitations.service.ports.identity import IdentityRepository
from solicitations.service.ports.opt_outs import OptOutRepository
from solicitations.service.ports.order_queries import OrderQueryRepository
from solicitations.service.ports.orders import OrderRepository
from solicitations.service.ports.outbox import OutboxRepository
from solicitations.service.ports.restricted_tokens import RestrictedTokenRepository
from solicitations.service.ports.usage_plans import UsagePlanRepository


class UnitOfWork(Protocol):
    """The repositories of one transaction, sharing its connection; it commits when the work returns."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def order_queries(self) -> OrderQueryRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def identity(self) -> IdentityRepository: ...

    @property
    def restricted_tokens(self) -> RestrictedTokenRepository: ...

    @property
    def usage_plans(self) -> UsagePlanRepository: ...

    @property
    def opt_outs(self) -> OptOutRepository: ...
