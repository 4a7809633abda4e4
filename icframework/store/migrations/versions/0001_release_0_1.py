"""The schema of the previous release, as its `metadata.create_all` made it (git dc7cfe8: store.py, actions.py).

Revision ID: 0001
Revises: none

A store made by that release has these tables but no alembic_version: `icf store upgrade` recognises it, adds
the actions table if that release never needed it, stamps it 0001 and upgrades from there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def create_actions() -> None:
    """The action plans' table (that release created it on first use, so an old store may lack it)."""
    op.create_table(
        "actions",
        sa.Column("city", sa.String(80), primary_key=True),
        sa.Column("action_id", sa.String(80), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("areas", sa.Text, nullable=False),
        sa.Column("principles", sa.Text, nullable=False),
        sa.Column("owner", sa.String(40)),
        sa.Column("start", sa.Date),
        sa.Column("due", sa.Date),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "rounds",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("framework", sa.Text, nullable=False),
        sa.Column("framework_version", sa.String(40), nullable=False),
        sa.Column("convening", sa.String(80)),
        sa.Column("opens", sa.Date),
        sa.Column("closes", sa.Date),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "respondents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.String(80), sa.ForeignKey("rounds.id"), nullable=False),
        sa.Column("city", sa.String(80), nullable=False),
        sa.Column("sector", sa.String(40), nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("code_hash", sa.String(64), unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("round_id", "city", "label"),
    )
    op.create_index("ix_respondents_city", "respondents", ["city"])
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("respondent_id", sa.Integer, sa.ForeignKey("respondents.id"), nullable=False),
        sa.Column("question", sa.String(40), nullable=False),
        sa.Column("response", sa.String(20)),
        sa.Column("level", sa.Integer),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("links", sa.Text, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("respondent_id", "question"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("respondent_id", sa.Integer),
        sa.Column("city", sa.String(80)),
        sa.Column("round_id", sa.String(80)),
        sa.Column("question", sa.String(40)),
        sa.Column("field", sa.String(40)),
        sa.Column("old", sa.Text),
        sa.Column("new", sa.Text),
    )
    create_actions()


def downgrade() -> None:
    for table in ("actions", "audit_log", "answers", "respondents", "rounds"):
        op.drop_table(table)
