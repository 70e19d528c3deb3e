"""Usage plans granted per seller, application and operation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_plans",
        sa.Column("seller_id", sa.String(64), primary_key=True),
        sa.Column("application_id", sa.String(64), primary_key=True),
        sa.Column("operation", sa.String(64), primary_key=True),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("burst", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage_plans")
