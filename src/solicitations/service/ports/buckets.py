"""Token buckets, wherever they live (in process, Redis)."""

from typing import Protocol

from solicitations.domain.usage_plans import BucketKey, Decision, UsagePlan


class BucketsUnavailable(Exception):
    """The rate-limit buckets cannot be reached; the request is refused with 503, never let through."""


class Buckets(Protocol):
    """Token buckets, one per BucketKey, each step atomic wherever the buckets live."""

    async def take(self, key: BucketKey, plan: UsagePlan) -> Decision: ...

    async def level(self, key: BucketKey, plan: UsagePlan) -> float:
        """Tokens in the bucket now, without taking one."""
        ...

    async def ping(self) -> None:
        """Return when the buckets are reachable; BucketsUnavailable otherwise."""
        ...

    async def close(self) -> None: ...
