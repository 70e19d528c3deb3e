"""Orders API reads: indexes that page a seller's orders by date, and restricted data tokens.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_seller_purchase", "orders", ["seller_id", "purchase_date", "amazon_order_id"])
    op.create_index("ix_orders_seller_updated", "orders", ["seller_id", "updated_at", "amazon_order_id"])
    op.create_table(
        "restricted_data_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("authorization_id", sa.String(64)),
        sa.Column("resources", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("restricted_data_tokens")
    op.drop_index("ix_orders_seller_updated", "orders")
    op.drop_index("ix_orders_seller_purchase", "orders")
