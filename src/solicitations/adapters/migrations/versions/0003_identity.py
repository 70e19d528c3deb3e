"""Identity: application credentials and state, seller authorizations, authorization codes, seller sign-in.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("client_id", sa.String(128)))
        batch.add_column(sa.Column("secret_hash", sa.String(256)))
        batch.add_column(sa.Column("state", sa.String(16), nullable=False, server_default="active"))
        batch.add_column(sa.Column("redirect_uris", sa.Text, nullable=False, server_default="[]"))
        batch.create_unique_constraint("uq_applications_client_id", ["client_id"])
    with op.batch_alter_table("access_tokens") as batch:
        batch.add_column(sa.Column("authorization_id", sa.String(64)))
    with op.batch_alter_table("sellers") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(256)))
    op.create_table(
        "authorizations",
        sa.Column("authorization_id", sa.String(64), primary_key=True),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
    )
    op.create_index("ix_authorizations_seller_application", "authorizations", ["seller_id", "application_id"])
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("application_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger),
    )


def downgrade() -> None:
    op.drop_table("authorization_codes")
    op.drop_index("ix_authorizations_seller_application", "authorizations")
    op.drop_table("authorizations")
    with op.batch_alter_table("sellers") as batch:
        batch.drop_column("password_hash")
    with op.batch_alter_table("access_tokens") as batch:
        batch.drop_column("authorization_id")
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint("uq_applications_client_id", type_="unique")
        for column in ("redirect_uris", "state", "secret_hash", "client_id"):
            batch.drop_column(column)
