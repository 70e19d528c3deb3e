"""Sellers, applications, access tokens, orders and solicitations.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sellers",
        sa.Column("seller_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("marketplace_ids", sa.Text, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("amazon_order_id", sa.String(64), primary_key=True),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("marketplace_id", sa.String(20), nullable=False),
        sa.Column("order_status", sa.String(32), nullable=False),
        sa.Column("purchase_date", sa.BigInteger),
        sa.Column("earliest_delivery_date", sa.BigInteger),
        sa.Column("latest_delivery_date", sa.BigInteger),
        sa.Column("fulfillment_channel", sa.String(8)),
        sa.Column("buyer_email", sa.String(254)),
        sa.Column("buyer_locale", sa.String(8)),
        sa.Column("buyer_opted_out", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_orders_seller_id", "orders", ["seller_id"])
    op.create_table(
        "solicitations",
        sa.Column("amazon_order_id", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("marketplace_id", sa.String(20), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("solicitations", "orders", "access_tokens", "applications", "sellers"):
        op.drop_table(table)
