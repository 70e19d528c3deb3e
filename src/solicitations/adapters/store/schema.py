"""Tables, as SQLAlchemy Core metadata. Times are integer epoch seconds: portable and cheap to compare."""

from sqlalchemy import BigInteger, Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text

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
    Index("ix_orders_seller_id", "seller_id"),
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
