"""The answer store's schema version: create a new store, upgrade an older one, refuse to guess.

The tables are made by the Alembic migrations in store/migrations/versions/, never by `create_all` at every
open. Opening a store (`Store`) only reads the version, which is cheap and imports no Alembic:

- at HEAD: open;
- an empty database: create it (migrations to HEAD) when the caller means to (`create=True`), else an error
  naming `icf store create`;
- older, or made by the previous release (its tables without a version): an error naming `icf store upgrade`;
- newer than this code: an error saying to upgrade icframework.

Creating and upgrading run in one transaction that first takes a lock (PostgreSQL: an advisory lock; SQLite:
BEGIN IMMEDIATE), then looks at the version again: eight processes opening one empty database at once create it
once, and the others find it made.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..errors import ICFError

HEAD = "0004"  # the newest migration in versions/ (tests/test_store_migrations.py checks it)
PREVIOUS_RELEASE = "0001"  # the schema of the release before migrations (its stores carry no version)
LEGACY_TABLES = {"rounds", "respondents", "answers", "audit_log"}
LOCK_KEY = 0x1CF5_70E5  # PostgreSQL advisory lock held while the schema changes
MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaError(ICFError):
    """The store's schema is not the one this code reads: the message says which command fixes it."""


@dataclass(frozen=True)
class SchemaState:
    version: str | None  # the Alembic revision, None when the database has none
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        return self.version is None and not (self.tables & (LEGACY_TABLES | {"actions", "store_revision"}))

    @property
    def legacy(self) -> bool:
        """A store of the previous release: its tables, no version."""
        return self.version is None and LEGACY_TABLES <= self.tables


def state(conn: sa.Connection) -> SchemaState:
    tables = frozenset(sa.inspect(conn).get_table_names())
    version = None
    if "alembic_version" in tables:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return SchemaState(version, tables)


def known_revisions() -> list[str]:
    """The revision ids of the migrations this code carries, oldest first."""
    return sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def describe(url: str) -> str:
    """The URL as it can be shown (no password)."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def check(engine: sa.Engine, *, create: bool) -> None:
    """Make sure the store at `engine` has this code's schema (see the module docstring)."""
    with engine.connect() as conn:
        now = state(conn)
    if now.version == HEAD:
        return
    if now.empty and create:
        with _locked(engine) as conn:
            again = state(conn)
            if again.empty:
                _run(conn, "head")
                return
            now = again
        if now.version == HEAD:
            return
    _refuse(engine, now)


def _refuse(engine: sa.Engine, now: SchemaState) -> None:
    where = describe(str(engine.url))
    if now.empty:
        raise SchemaError(f"the database {where} has no answer store yet: create it with `icf store create` "
                          "(or `icf demo-data` for synthetic demo data)")
    if now.legacy or now.version in known_revisions():
        made = "an earlier icframework (before schema versions)" if now.legacy else f"schema version {now.version}"
        raise SchemaError(f"the answer store {where} was made by {made}; this icframework needs schema version "
                          f"{HEAD}: back it up (`icf store backup FILE`), then run `icf store upgrade`")
    if now.version is not None:
        raise SchemaError(f"the answer store {where} has schema version {now.version}, newer than this icframework "
                          f"knows (up to {HEAD}): upgrade icframework (`pip install -U icframework`)")
    raise SchemaError(f"the database {where} holds tables that are not an answer store "
                      f"({', '.join(sorted(now.tables))}): give another --store")


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Bring the store up to HEAD (a store of the previous release is adopted first). Returns (from, to)."""
    with _locked(engine) as conn:
        now = state(conn)
        if now.version == HEAD:
            return HEAD, HEAD
        if now.empty:
            raise SchemaError(f"the database {describe(str(engine.url))} has no answer store to upgrade: create it "
                              "with `icf store create`")
        if now.legacy:
            if "actions" not in now.tables:  # that release created it on first use
                _run(conn, None, create_actions=True)
            _run(conn, PREVIOUS_RELEASE, stamp=True)
        elif now.version not in known_revisions():
            _refuse(engine, now)
        _run(conn, "head")
        return ("the previous release" if now.legacy else now.version), HEAD


@contextmanager
def _locked(engine: sa.Engine):
    """One transaction that alone changes the schema: an advisory lock on PostgreSQL; SQLite's BEGIN IMMEDIATE
    (the store's engine begins every transaction so) already holds the write lock."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        yield conn


def _run(conn: sa.Connection, target: str | None, *, stamp: bool = False, create_actions: bool = False) -> None:
    """Alembic on this connection, inside its transaction (imported here: opening a store does not need it)."""
    from alembic import command
    from alembic.config import Config
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    if create_actions:
        first = ScriptDirectory.from_config(config).get_revision(PREVIOUS_RELEASE).module
        with Operations.context(MigrationContext.configure(conn)):
            first.create_actions()
    elif stamp:
        command.stamp(config, target)
    else:
        command.upgrade(config, target)
