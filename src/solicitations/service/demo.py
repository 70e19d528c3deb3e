"""Demo data for `serve --demo`: one seller's orders covering every rule, and a fixed access token.

Every start re-creates the demo as new, relative to now: dates move with the clock, and what a previous run
did to the demo orders (solicitations, emails, opt-outs) is forgotten. So the README's walkthrough answers
the same after a restart and on any day, and the banner tells the truth. Other data in the store is kept.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from solicitations.domain.actions import PRODUCT_REVIEW_AND_SELLER_FEEDBACK
from solicitations.domain.identity import Seller
from solicitations.domain.messages import buyer_key
from solicitations.domain.orders import Order, OrderItem, Solicitation
from solicitations.domain.tokens import token_hash
from solicitations.service.admin import add_access_token
from solicitations.service.opt_outs import save_orders
from solicitations.service.ports.store import Store
from solicitations.service.ports.unit_of_work import UnitOfWork
from solicitations.service.solicitations import record

SELLER_ID = "ADEMOSELLER1"
OTHER_SELLER_ID = "ADEMOSELLER2"
APPLICATION_ID = "amzn1.sp.solution.demo-application"
ACCESS_TOKEN = "Atza|demo-token-for-local-use-only"
ELIGIBLE = "111-1111111-1111111"
ALREADY_SOLICITED = "111-1111111-0000005"
TOO_LATE = "111-1111111-0000003"
TOKEN_LIFETIME = timedelta(days=3650)


@dataclass(frozen=True)
class DemoOrder:
    amazon_order_id: str
    marketplace_id: str
    expectation: str


def _orders(now: datetime) -> list[tuple[Order, str]]:
    day = timedelta(days=1)

    def order(
        order_id: str,
        expectation: str,
        *,
        status: str = "Shipped",
        earliest: int = -10,
        latest: int = -8,
        marketplace: str = "ATVPDKIKX0DER",
        seller: str = SELLER_ID,
        opted_out: bool = False,
        locale: str | None = None,
        items: tuple[OrderItem, ...] = (OrderItem("B0DEMO0001", 1, "DEMO-MUG-01", "Ceramic coffee mug, 350 ml"),),
    ) -> tuple[Order, str]:
        return (
            Order(
                amazon_order_id=order_id,
                seller_id=seller,
                marketplace_id=marketplace,
                order_status=status,
                purchase_date=now + (earliest - 3) * day,
                earliest_delivery_date=now + earliest * day,
                latest_delivery_date=now + latest * day,
                fulfillment_channel="AFN",
                buyer_email=f"buyer-{order_id}@example.com",
                buyer_locale=locale,
                buyer_opted_out=opted_out,
                items=items,
            ),
            expectation,
        )

    return [
        order(ELIGIBLE, "eligible: GET offers the action, the first POST answers 201"),
        order("111-1111111-0000002", "too early: delivered 2 days ago", earliest=-2, latest=1),
        order(TOO_LATE, "too late: delivered 40 days ago", earliest=-60, latest=-40),
        order("111-1111111-0000004", "not shipped yet", status="Unshipped"),
        order(ALREADY_SOLICITED, "already solicited"),
        order("111-1111111-0000006", "buyer opted out", opted_out=True),
        order(
            "302-1111111-0000007",
            "eligible in Germany only (marketplaceIds=A1PA6795UKMFR9)",
            marketplace="A1PA6795UKMFR9",
            locale="de_DE",
            items=(
                OrderItem("B0DEMO0002", 2, "DEMO-FILTER-02", "Kaffeefilter aus Edelstahl"),
                OrderItem("B0DEMO0003", 1, "DEMO-SCALE-03", "Digitale Küchenwaage"),
            ),
        ),
        order("111-1111111-0000008", "another seller's order: 404 for the demo token", seller=OTHER_SELLER_ID),
    ]


async def seed(store: Store, now: datetime, mail_domain: str) -> list[DemoOrder]:
    """Re-create the demo in one transaction: sellers, orders as new, the token, the solicited order's record."""
    orders = _orders(now)
    ids = [o.amazon_order_id for o, _ in orders]
    buyers = {buyer_key(o.buyer_email) for o, _ in orders if o.buyer_email is not None}

    def reseed(uow: UnitOfWork) -> None:
        uow.identity.upsert_seller(Seller(SELLER_ID, "Demo Store", ("ATVPDKIKX0DER", "A1PA6795UKMFR9")), now)
        uow.identity.upsert_seller(Seller(OTHER_SELLER_ID, "Another Store", ("ATVPDKIKX0DER",)), now)
        uow.orders.forget_solicitations(ids)
        uow.outbox.forget(ids)
        uow.opt_outs.forget(ids, buyers)
        save_orders(uow, [o for o, _ in orders], now)
        uow.identity.remove_access_token(token_hash(ACCESS_TOKEN))
        add_access_token(
            uow, ACCESS_TOKEN, SELLER_ID, APPLICATION_ID, ["Buyer Solicitation"], now + TOKEN_LIFETIME, now
        )
        uow.identity.update_application(APPLICATION_ID, state="active")  # an operator may have suspended it
        solicitation = Solicitation(
            ALREADY_SOLICITED,
            PRODUCT_REVIEW_AND_SELLER_FEEDBACK.name,
            SELLER_ID,
            APPLICATION_ID,
            "ATVPDKIKX0DER",
            now,
            "demo-seed",
        )
        record(uow, solicitation, mail_domain)

    await store.write(reseed)
    return [DemoOrder(o.amazon_order_id, o.marketplace_id, why) for o, why in orders]
