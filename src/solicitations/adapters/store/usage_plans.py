"""Granted usage plans, on SQL."""

from datetime import datetime

from sqlalchemy import Engine, bindparam, select

from solicitations.adapters.store import schema
from solicitations.adapters.store.connection import Prepared, Session, epoch
from solicitations.domain.usage_plans import BucketKey, UsagePlan

_FIND_USAGE_PLAN = select(schema.usage_plans.c.rate, schema.usage_plans.c.burst).where(
    schema.usage_plans.c.seller_id == bindparam("seller_id"),
    schema.usage_plans.c.application_id == bindparam("application_id"),
    schema.usage_plans.c.operation == bindparam("operation"),
)


class UsagePlanStatements:
    """The plans' hot statement (a throttle's cache miss), compiled once per engine."""

    def __init__(self, engine: Engine) -> None:
        self.find = Prepared(engine, _FIND_USAGE_PLAN)


class SqlUsagePlans:
    """The UsagePlanRepository."""

    def __init__(self, session: Session, statements: UsagePlanStatements) -> None:
        self._session = session
        self._statements = statements

    def put(self, key: BucketKey, plan: UsagePlan, now: datetime) -> None:
        statement = self._session.insert(schema.usage_plans).values(
            seller_id=key.seller_id,
            application_id=key.application_id,
            operation=key.operation,
            rate=plan.rate,
            burst=plan.burst,
            updated_at=epoch(now),
        )
        self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["seller_id", "application_id", "operation"],
                set_={
                    "rate": statement.excluded.rate,
                    "burst": statement.excluded.burst,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    def find(self, key: BucketKey) -> UsagePlan | None:
        row = self._session.fetch_one(
            self._statements.find,
            {"seller_id": key.seller_id, "application_id": key.application_id, "operation": key.operation},
        )
        return None if row is None else UsagePlan(float(row[0]), int(row[1]))
