"""Usage plans granted to one seller, application and operation, where they differ from Amazon's defaults."""

from datetime import datetime
from typing import Protocol

from solicitations.domain.usage_plans import BucketKey, UsagePlan


class UsagePlanRepository(Protocol):
    def put(self, key: BucketKey, plan: UsagePlan, now: datetime) -> None: ...

    def find(self, key: BucketKey) -> UsagePlan | None:
        """The plan granted to this seller, application and operation, if it differs from the default."""
        ...
