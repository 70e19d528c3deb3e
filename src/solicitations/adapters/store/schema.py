"""Tables, as SQLAlchemy Core metadata. Times are integer epoch seconds (the outbox: milliseconds)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ID = 64

sellers = Table(
    "sellers",
    metadata,
    Column("seller_id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("marketplace_ids", Text, nullable=False),  # JSON array
    Column("updated_at", BigInteger, nullable=False),
    Column("password_hash", String(256)),  # argon2; for the consent page's sign-in
)

applications = Table(
    "applications",
    metadata,
    Column("application_id", String(ID), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("roles", Text, nullable=False),  # JSON array
    Column("created_at", BigInteger, nullable=False),
    Column("client_id", String(128), unique=True),  # the LWA client id
    Column("secret_hash", String(256)),  # argon2 of the client secret; the secret is shown once
    Column("state", String(16), nullable=False, server_default="active"),  # active | suspended
    Column("redirect_uris", Text, nullable=False, server_default="[]"),  # JSON array
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 hex: the token itself is never stored
    Column("seller_id", String(ID), nullable=False),
    Column("application_id", String(ID), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("authorization_id", String(ID)),  # None: minted by an operator, outside any authorization
)

# Restricted data tokens (Tokens API), by sha256 like access tokens; `resources` is the JSON array they name.
restricted_data_tokens = Table(
    "restricted_data_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("seller_id", String(ID), nullable=False),
    Column("application_id", String(ID), nullable=False),
    Column("authorization_id", String(ID)),  # that of the access token it was made with; revoking it ends both
    Column("resources", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("amazon_order_id", String(ID), primary_key=True),
    Column("seller_id", String(ID), nullable=False),
    Column("marketplace_id", String(20), nullable=False),
    Column("order_status", String(32), nullable=False),
    Column("purchase_date", BigInteger),
    Column("earliest_delivery_date", BigInteger),
    Column("latest_delivery_date", BigInteger),
    Column("fulfillment_channel", String(8)),
    Column("buyer_email", String(254)),
    Column("buyer_locale", String(8)),
    Column("buyer_opted_out", Boolean, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("buyer_key", String(64)),  # sha256 of the lower-cased address: finds a buyer's orders on opt-out
    Column("order_items", Text),  # JSON array of getOrderItems-shaped items; NULL when none are known
    Index("ix_orders_seller_id", "seller_id"),
    Index("ix_orders_buyer_key", "buyer_key"),
    # getOrders pages a seller's orders by one date, then the order id.
    Index("ix_orders_seller_purchase", "seller_id", "purchase_date", "amazon_order_id"),
    Index("ix_orders_seller_updated", "seller_id", "updated_at", "amazon_order_id"),
)

# The primary key on amazon_order_id is the arbiter of "one solicitation per order, ever".
solicitations = Table(
    "solicitations",
    metadata,
    Column("amazon_order_id", String(ID), primary_key=True),
    Column("action", String(64), nullable=False),
    Column("seller_id", String(ID), nullable=False),
    Column("application_id", String(ID), nullable=False),
    Column("marketplace_id", String(20), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("request_id", String(64), nullable=False),
)

# Plans granted above (or below) Amazon's defaults, per seller, application and operation.
usage_plans = Table(
    "usage_plans",
    metadata,
    Column("seller_id", String(ID), primary_key=True),
    Column("application_id", String(ID), primary_key=True),
    Column("operation", String(64), primary_key=True),
    Column("rate", Float, nullable=False),
    Column("burst", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# A selling partner's authorization of an application; its refresh token is stored only as a sha256.
authorizations = Table(
    "authorizations",
    metadata,
    Column("authorization_id", String(ID), primary_key=True),
    Column("seller_id", String(ID), nullable=False),
    Column("application_id", String(ID), nullable=False),
    Column("refresh_token_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger),
    Index("ix_authorizations_seller_application", "seller_id", "application_id"),
)

# spapi_oauth_code values of the website workflow: single use, five minutes.
authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("seller_id", String(ID), nullable=False),
    Column("application_id", String(ID), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("used_at", BigInteger),
)

# The transactional outbox: one row per solicitation, written in the solicitation's transaction. Times
# here are epoch milliseconds, since retry delays start well below a second.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("amazon_order_id", String(ID), nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("due_at_ms", BigInteger, nullable=False),
    Column("claimed_by", String(128)),
    Column("lease_until_ms", BigInteger),
    Column("last_error", Text),
    Column("sent_at_ms", BigInteger),
    Column("created_at_ms", BigInteger, nullable=False),
    UniqueConstraint("amazon_order_id", name="uq_outbox_amazon_order_id"),
    Index("ix_outbox_state_due", "state", "due_at_ms"),
)

# Buyers who opted out, by buyer_key: the address itself is not kept.
buyer_opt_outs = Table(
    "buyer_opt_outs",
    metadata,
    Column("buyer_key", String(64), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
)

# Tokens of opt-out links, by sha256: one per message rendered, never reused.
opt_out_tokens = Table(
    "opt_out_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("buyer_key", String(64), nullable=False),
    Column("amazon_order_id", String(ID), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)
