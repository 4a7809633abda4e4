"""Read-only access codes for the city dashboards and the facilitator console.

Revision ID: 0003
Revises: 0002

- access_codes: one row per code (a taskforce's code for its city's dashboard, or a facilitator's for the
  console), kept only as a SHA-256 hash, active or revoked (`icf dashboard codes`, icframework.store.access).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_codes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("city", sa.String(80)),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("access_codes")
