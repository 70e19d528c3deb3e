"""Buyer delivery: the outbox, opt-outs and their link tokens, order items and buyer keys on orders.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("buyer_key", sa.String(64)))
        batch.add_column(sa.Column("order_items", sa.Text))
        batch.create_index("ix_orders_buyer_key", ["buyer_key"])
    orders = sa.table(
        "orders", sa.column("amazon_order_id", sa.String), sa.column("buyer_email", sa.String), sa.column("buyer_key")
    )
    bind = op.get_bind()
    # The same rule as domain.messages.buyer_key, frozen here as migrations must not follow later code.
    rows = bind.execute(
        sa.select(orders.c.amazon_order_id, orders.c.buyer_email).where(orders.c.buyer_email.is_not(None))
    )
    for order_id, email in rows.all():
        key = hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()
        bind.execute(orders.update().where(orders.c.amazon_order_id == order_id).values(buyer_key=key))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("amazon_order_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at_ms", sa.BigInteger, nullable=False),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("lease_until_ms", sa.BigInteger),
        sa.Column("last_error", sa.Text),
        sa.Column("sent_at_ms", sa.BigInteger),
        sa.Column("created_at_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("amazon_order_id", name="uq_outbox_amazon_order_id"),
    )
    op.create_index("ix_outbox_state_due", "outbox", ["state", "due_at_ms"])
    op.create_table(
        "buyer_opt_outs",
        sa.Column("buyer_key", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "opt_out_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("buyer_key", sa.String(64), nullable=False),
        sa.Column("amazon_order_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("opt_out_tokens", "buyer_opt_outs", "outbox"):
        op.drop_table(table)
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_buyer_key")
        batch.drop_column("order_items")
        batch.drop_column("buyer_key")
