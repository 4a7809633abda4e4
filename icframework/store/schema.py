"""The answer store's tables: one schema for every part of the package (SQLAlchemy Core).

rounds (an assessment cycle and its framework), respondents (who answers for which city; codes only as hashes),
answers (one row per respondent and question), audit_log (append-only: every change, who made it, old and new
value), actions (the cities' action plans, loaded from their files for queries) and store_revision (one row: a
counter every writing transaction increments, so a cached result can tell that anything changed).

These tables are what the migrations (store/migrations/versions/) build, never created from here: a new
database gets them by `icf store create`, an older one by `icf store upgrade`. A change to a table here needs a
new migration; tests/test_store_migrations.py checks the two agree on both backends.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

rounds = sa.Table(
    "rounds",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("framework", sa.Text, nullable=False),
    sa.Column("framework_version", sa.String(40), nullable=False),
    sa.Column("framework_digest", sa.String(64)),  # SHA-256 of the framework file the round was created with
    sa.Column("framework_snapshot", sa.Text),  # that file's text: the round keeps its framework whatever changes
    sa.Column("convening", sa.String(80)),
    sa.Column("opens", sa.Date),
    sa.Column("closes", sa.Date),
    sa.Column("closed_at", sa.DateTime(timezone=True)),  # set by `icf rounds close`: no more changes
    sa.Column("synthetic", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

respondents = sa.Table(
    "respondents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("round_id", sa.ForeignKey("rounds.id"), nullable=False),
    sa.Column("city", sa.String(80), nullable=False, index=True),  # one city's answers without a full scan
    sa.Column("sector", sa.String(40), nullable=False),
    sa.Column("role", sa.Text, nullable=False, default=""),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("code_hash", sa.String(64), unique=True),
    sa.Column("status", sa.String(20), nullable=False, default="open"),
    sa.Column("synthetic", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("no_quotes", sa.Boolean, nullable=False, default=False, server_default=sa.false()),  # never quoted
    sa.Column("lang", sa.String(20)),  # the language their form opens in; null: the framework's own
    sa.UniqueConstraint("round_id", "city", "label"),
)

answers = sa.Table(
    "answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("respondent_id", sa.ForeignKey("respondents.id"), nullable=False),
    sa.Column("question", sa.String(40), nullable=False),
    sa.Column("response", sa.String(20)),  # level | dont_know | na | NULL (only text so far)
    sa.Column("level", sa.Integer),
    sa.Column("evidence", sa.Text, nullable=False, default=""),
    sa.Column("links", sa.Text, nullable=False, default=""),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("respondent_id", "question"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("respondent_id", sa.Integer, index=True),  # one person's history (and erasure) without a scan
    sa.Column("city", sa.String(80)),
    sa.Column("round_id", sa.String(80)),
    sa.Column("question", sa.String(40)),
    sa.Column("field", sa.String(40)),
    sa.Column("old", sa.Text),
    sa.Column("new", sa.Text),
)

actions = sa.Table(
    "actions", metadata,
    sa.Column("city", sa.String(80), primary_key=True),
    sa.Column("action_id", sa.String(80), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("areas", sa.Text, nullable=False),  # comma-separated codes
    sa.Column("principles", sa.Text, nullable=False),
    sa.Column("owner", sa.String(40)),
    sa.Column("start", sa.Date),
    sa.Column("due", sa.Date),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("synthetic", sa.Boolean, nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
)

store_revision = sa.Table(
    "store_revision", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # always 1: one row
    sa.Column("revision", sa.BigInteger, nullable=False),
)

access_codes = sa.Table(
    "access_codes", metadata,  # read-only codes for the city dashboards and the facilitator console
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("role", sa.String(20), nullable=False),  # taskforce (one city's dashboard) | facilitator
    sa.Column("city", sa.String(80)),  # the taskforce's city; NULL for a facilitator
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("status", sa.String(20), nullable=False),  # active | revoked
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)
