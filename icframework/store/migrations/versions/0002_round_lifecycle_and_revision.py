"""Rounds pin their framework file and can be closed; a revision counter; one person's audit rows indexed.

Revision ID: 0002
Revises: 0001

- rounds.framework_digest (SHA-256 of the framework file the round was made with) and rounds.closed_at;
- store_revision: one row that every writing transaction increments (Store.revision), seeded with the last audit
  id so a revision read before the upgrade is never met again;
- an index on audit_log.respondent_id (one person's history, and erasing it).

The two round columns are added only where missing: stores made by development builds between the releases
(`create_all` at every open) already have them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("rounds")}
    with op.batch_alter_table("rounds") as batch:
        if "framework_digest" not in present:
            batch.add_column(sa.Column("framework_digest", sa.String(64)))
        if "closed_at" not in present:
            batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True)))
    op.create_index("ix_audit_log_respondent_id", "audit_log", ["respondent_id"])
    table = op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    last = op.get_bind().execute(sa.text("SELECT max(id) FROM audit_log")).scalar() or 0
    op.bulk_insert(table, [{"id": 1, "revision": last}])


def downgrade() -> None:
    op.drop_table("store_revision")
    op.drop_index("ix_audit_log_respondent_id", "audit_log")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("closed_at")
        batch.drop_column("framework_digest")
