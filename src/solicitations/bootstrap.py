"""Wires settings, store and use cases together: the one place that chooses the adapters."""

import os
import random
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher

from solicitations.adapters.clock import SystemClock
from solicitations.adapters.mail.rendering import MailRenderer, sender_domain
from solicitations.adapters.mail.transports import MaildirTransport, SmtpTransport
from solicitations.adapters.metrics import PrometheusMetrics
from solicitations.adapters.movable_clock import MovableClock
from solicitations.adapters.ratelimit.memory import InProcessBuckets, monotonic_us
from solicitations.adapters.secrets import Argon2Secrets
from solicitations.adapters.store.sql import SqlStore
from solicitations.adapters.tokens import RandomTokens
from solicitations.config import Settings
from solicitations.domain.messages import RetryPolicy
from solicitations.service.admin import AdminService
from solicitations.service.authentication import Authenticator
from solicitations.service.delivery import DeliveryService
from solicitations.service.health import Readiness
from solicitations.service.identity import IdentityService
from solicitations.service.observing import Observer, OutboxWatch
from solicitations.service.opt_outs import OptOutService
from solicitations.service.orders import OrdersService
from solicitations.service.ports.buckets import Buckets
from solicitations.service.ports.clock import Clock
from solicitations.service.ports.mail import Transport
from solicitations.service.restricted_data import RestrictedDataTokens
from solicitations.service.solicitations import SolicitationService
from solicitations.service.throttling import Throttle, default_plans


@dataclass
class Container:
    settings: Settings
    store: SqlStore
    clock: Clock  # the process's one source of business time
    secrets: Argon2Secrets  # argon2 on its own bounded pool of threads, never on the event loop
    authenticator: Authenticator
    solicitations: SolicitationService
    admin: AdminService
    throttle: Throttle
    identity: IdentityService
    renderer: MailRenderer
    delivery: DeliveryService
    opt_outs: OptOutService
    readiness: Readiness
    metrics: PrometheusMetrics | None  # None: metrics off
    orders: OrdersService
    restricted_data_tokens: RestrictedDataTokens
    movable_clock: MovableClock | None = None  # emulator mode: `clock` itself, which /admin/v1/clock moves

    async def aclose(self) -> None:
        await self.throttle.buckets.close()
        self.close()

    def close(self) -> None:
        self.secrets.close()
        self.store.close()


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        base=timedelta(seconds=settings.delivery_backoff_base_seconds),
        cap=timedelta(seconds=settings.delivery_backoff_max_seconds),
        max_attempts=settings.delivery_max_attempts,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )


def transport(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url, settings.smtp_timeout_seconds)
    return MaildirTransport(Path(settings.maildir))


def bootstrap(
    settings: Settings | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
    mail: Transport | None = None,
    argon2: PasswordHasher | None = None,
) -> Container:
    """The container for one process. `clock` defaults to the wall clock (tests and the emulator pass theirs);
    `mail` replaces the transport the settings choose (SMTP or Maildir), for tests that need failures;
    `argon2` replaces argon2-cffi's production parameters (tests pass cheaper ones)."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    movable = MovableClock(clock) if settings.emulator else None
    clock = movable or clock
    # Buckets keep their own steady time (monotonic, or Redis's) and add the emulator's jumps to it.
    offset_us = movable.offset_us if movable else (lambda: 0)
    store = SqlStore(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.database_pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    if migrate:
        store.migrate()
    cache_for = timedelta(seconds=settings.token_cache_seconds)
    buckets: Buckets
    if settings.redis_url:
        from solicitations.adapters.ratelimit.redis_buckets import RedisBuckets

        buckets = RedisBuckets(settings.redis_url, offset_us=offset_us)
    else:
        buckets = InProcessBuckets(lambda: monotonic_us() + offset_us()) if movable else InProcessBuckets()
    secrets = Argon2Secrets(settings.secret_check_threads, settings.secret_check_waiting, argon2)
    renderer = MailRenderer(settings.public_url, settings.mail_from)
    metrics = PrometheusMetrics() if settings.metrics else None
    if metrics is not None:
        metrics.watch_outbox(OutboxWatch(store, clock, timedelta(seconds=settings.outbox_metrics_cache_seconds)))
    observer = metrics or Observer()
    plans = default_plans(settings.plan_rate, settings.plan_burst)
    authenticator = Authenticator(store, clock, cache_for)
    tokens = RandomTokens()
    return Container(
        settings=settings,
        store=store,
        clock=clock,
        secrets=secrets,
        authenticator=authenticator,
        solicitations=SolicitationService(store, clock, sender_domain(settings.mail_from), observer),
        admin=AdminService(store, clock, tokens, timedelta(seconds=settings.access_token_ttl_seconds)),
        throttle=Throttle(store, buckets, plans, clock, cache_for, observer),
        identity=IdentityService(
            store, buckets, secrets, clock, tokens, timedelta(seconds=settings.access_token_ttl_seconds)
        ),
        renderer=renderer,
        delivery=DeliveryService(
            store,
            clock,
            retry_policy(settings),
            renderer,
            mail or transport(settings),
            worker_id=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            batch_size=settings.delivery_batch_size,
            draw=random.random,
            tokens=tokens,
            observer=observer,
        ),
        opt_outs=OptOutService(store, clock),
        readiness=Readiness(store, buckets, shared_buckets=bool(settings.redis_url)),
        metrics=metrics,
        orders=OrdersService(store, clock),
        restricted_data_tokens=RestrictedDataTokens(store, tokens, clock, authenticator.authenticate),
        movable_clock=movable,
    )
