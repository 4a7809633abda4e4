"""A round keeps its framework; a respondent's choices (not quoted, language).

Revision ID: 0004
Revises: 0003

- rounds.framework_snapshot: the framework file's text as it was when the round was created, so a later edit,
  or an icframework upgrade that changes a bundled framework, never changes an existing round (it keeps its
  version; new rounds take the new one). Rounds made before this have none and are checked against the file.
- respondents.no_quotes: the person asked not to be quoted in briefs (their evidence is never shown).
- respondents.lang: the language their link opens the form in (null: the framework's own).
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): SQLite keeps its foreign keys, PostgreSQL takes a short lock.
    op.add_column("rounds", sa.Column("framework_snapshot", sa.Text))
    op.add_column("respondents", sa.Column("no_quotes", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("respondents", sa.Column("lang", sa.String(20)))


def downgrade() -> None:
    with op.batch_alter_table("respondents") as batch:
        batch.drop_column("lang")
        batch.drop_column("no_quotes")
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("framework_snapshot")
