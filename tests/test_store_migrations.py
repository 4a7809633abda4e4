"""Schema versions: the migrations build exactly schema.py, a store of the previous release opens after
`icf store upgrade` with nothing lost, and a store of another version says which command to run. Both backends.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from icframework.cli import main
from icframework.config import Settings
from icframework.store import Store
from icframework.store.migrate import HEAD, SchemaError, known_revisions
from icframework.store.schema import metadata

# -- the previous release's schema, as its create_all made it (git show dc7cfe8:icframework/store.py) -------------
old = sa.MetaData()
sa.Table("rounds", old,
         sa.Column("id", sa.String(80), primary_key=True), sa.Column("title", sa.Text, nullable=False),
         sa.Column("framework", sa.Text, nullable=False),
         sa.Column("framework_version", sa.String(40), nullable=False), sa.Column("convening", sa.String(80)),
         sa.Column("opens", sa.Date), sa.Column("closes", sa.Date),
         sa.Column("synthetic", sa.Boolean, nullable=False, default=False),
         sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
sa.Table("respondents", old,
         sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("round_id", sa.ForeignKey("rounds.id"), nullable=False),
         sa.Column("city", sa.String(80), nullable=False, index=True),
         sa.Column("sector", sa.String(40), nullable=False), sa.Column("role", sa.Text, nullable=False, default=""),
         sa.Column("label", sa.Text, nullable=False), sa.Column("code_hash", sa.String(64), unique=True),
         sa.Column("status", sa.String(20), nullable=False, default="open"),
         sa.Column("synthetic", sa.Boolean, nullable=False, default=False),
         sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
         sa.Column("submitted_at", sa.DateTime(timezone=True)),
         sa.UniqueConstraint("round_id", "city", "label"))
sa.Table("answers", old,
         sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("respondent_id", sa.ForeignKey("respondents.id"), nullable=False),
         sa.Column("question", sa.String(40), nullable=False), sa.Column("response", sa.String(20)),
         sa.Column("level", sa.Integer), sa.Column("evidence", sa.Text, nullable=False, default=""),
         sa.Column("links", sa.Text, nullable=False, default=""),
         sa.Column("comment", sa.Text, nullable=False, default=""),
         sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
         sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
         sa.UniqueConstraint("respondent_id", "question"))
sa.Table("audit_log", old,
         sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", sa.DateTime(timezone=True), nullable=False),
         sa.Column("actor", sa.Text, nullable=False), sa.Column("action", sa.String(40), nullable=False),
         sa.Column("respondent_id", sa.Integer), sa.Column("city", sa.String(80)),
         sa.Column("round_id", sa.String(80)), sa.Column("question", sa.String(40)),
         sa.Column("field", sa.String(40)), sa.Column("old", sa.Text), sa.Column("new", sa.Text))
ACTIONS = sa.Table("actions", old,  # created on first use by that release's actions.py
                   sa.Column("city", sa.String(80), primary_key=True),
                   sa.Column("action_id", sa.String(80), primary_key=True),
                   sa.Column("title", sa.Text, nullable=False), sa.Column("areas", sa.Text, nullable=False),
                   sa.Column("principles", sa.Text, nullable=False), sa.Column("owner", sa.String(40)),
                   sa.Column("start", sa.Date), sa.Column("due", sa.Date),
                   sa.Column("status", sa.String(20), nullable=False), sa.Column("note", sa.Text, nullable=False),
                   sa.Column("synthetic", sa.Boolean, nullable=False),
                   sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False))

STAMP = dt.datetime(2020, 3, 1, 10, 0, tzinfo=dt.UTC)


def previous_release_store(url: str, *, with_actions: bool = True) -> None:
    """A store as the previous release left it: its tables (create_all, no version) and some data (respondents
    1 and 2, by the order they are inserted in)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    tables = [t for t in old.sorted_tables if with_actions or t is not ACTIONS]
    old.create_all(engine, tables=tables)
    t = old.tables
    with engine.begin() as conn:
        conn.execute(t["rounds"].insert(), [{"id": "virtual-2020", "title": "Virtual", "framework": "inclusive-cities",
                                             "framework_version": "1.0", "convening": "virtual-2020",
                                             "synthetic": False, "created_at": STAMP}])
        conn.execute(t["respondents"].insert(), [
            {"round_id": "virtual-2020", "city": "bristol", "sector": "employer", "role": "HR lead",
             "label": "employer-1", "code_hash": "a" * 64, "status": "open", "synthetic": False, "created_at": STAMP},
            {"round_id": "virtual-2020", "city": "cardiff", "sector": "education", "role": "",
             "label": "education-1", "code_hash": "b" * 64, "status": "submitted", "synthetic": False,
             "created_at": STAMP, "submitted_at": STAMP}])
        conn.execute(t["answers"].insert(), [
            {"respondent_id": 1, "question": "A1.Q1", "response": "level", "level": 3, "evidence": "Minutes",
             "links": "https://example.org", "comment": "ok", "created_at": STAMP, "updated_at": STAMP},
            {"respondent_id": 2, "question": "A1.Q2", "response": "dont_know", "level": None, "evidence": "",
             "links": "", "comment": "", "created_at": STAMP, "updated_at": STAMP}])
        conn.execute(t["audit_log"].insert(), [
            {"at": STAMP, "actor": "respondent:1", "action": "answer", "respondent_id": 1, "city": "bristol",
             "round_id": "virtual-2020", "question": "A1.Q1", "field": "level", "old": None, "new": "3"}] * 3)
        if with_actions:
            conn.execute(t["actions"].insert(), [{
                "city": "bristol", "action_id": "welcome-hub", "title": "A welcome hub", "areas": "A1",
                "principles": "P1", "owner": "local-authority", "start": None, "due": None, "status": "planned",
                "note": "", "synthetic": True, "loaded_at": STAMP}])
    engine.dispose()


def contents(url: str) -> dict[str, list[tuple]]:
    """Every row of the previous release's tables (their columns only), sorted."""
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        for name, table in old.tables.items():
            if sa.inspect(conn).has_table(name):
                cols = [sa.column(c.name) for c in table.columns]
                out[name] = sorted(tuple(str(v) for v in row)
                                   for row in conn.execute(sa.select(*cols).select_from(sa.table(name))))
    engine.dispose()
    return out


def upgrade(url: str):
    return CliRunner().invoke(main, ["store", "upgrade", "--store", url])


def test_head_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from icframework.store.migrate import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD == known_revisions()[-1]


def test_the_migrations_build_exactly_the_schema_the_code_reads(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = Store(db_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    assert diff == []


@pytest.mark.parametrize("with_actions", [True, False], ids=["with-actions", "without-actions"])
def test_a_store_of_the_previous_release_opens_after_icf_store_upgrade_with_nothing_lost(db_url, with_actions):
    previous_release_store(db_url, with_actions=with_actions)
    before = contents(db_url)
    with pytest.raises(SchemaError, match="earlier icframework.*icf store upgrade"):
        Store(db_url)
    assert contents(db_url) == before  # refusing touched nothing

    done = upgrade(db_url)
    assert done.exit_code == 0, done.output
    assert f"from the previous release to schema version {HEAD}" in done.output
    assert contents(db_url) == before | ({} if with_actions else {"actions": []})  # the table it lacked, empty

    store = Store(db_url, create=False)
    rnd = store.get_round("virtual-2020")
    assert (rnd.closed, rnd.framework_digest) == (False, None)
    frame = store.answers_frame("virtual-2020")
    assert sorted(frame.question) == ["A1.Q1", "A1.Q2"]
    assert store.revision() == 3  # continues from the last audit id
    resp = store.respondent(1)
    store.save_answer(resp, "A1.Q1", evidence="New minutes")
    assert store.revision() == 4
    assert store.add_respondent("virtual-2020", "bristol", "employer")[0].label == "employer-2"
    store.close()
    assert "up to date" in upgrade(db_url).output


def test_a_store_of_a_newer_version_asks_for_a_newer_icframework(db_url):
    Store(db_url).close()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(SchemaError, match="newer than this icframework.*pip install -U icframework"):
        Store(db_url)
    assert "newer than this icframework" in upgrade(db_url).output


def test_a_store_one_version_behind_is_upgraded(db_url):
    from icframework.store import migrate

    engine = sa.create_engine(db_url)
    with migrate._locked(engine) as conn:
        migrate._run(conn, "0001")
    engine.dispose()
    with pytest.raises(SchemaError, match="schema version 0001.*icf store upgrade"):
        Store(db_url)
    done = upgrade(db_url)
    assert f"from 0001 to schema version {HEAD}" in done.output, done.output
    Store(db_url, create=False).close()


def test_opening_without_create_never_makes_tables(db_url, tmp_path):
    run = Settings.from_environment(env={}, cwd=tmp_path, store_url=db_url)
    if db_url.startswith("sqlite"):
        with pytest.raises(Exception, match="icf store create"):
            run.open_store()
        sa.create_engine(db_url).connect().close()  # an empty file
    with pytest.raises(SchemaError, match="no answer store yet.*icf store create"):
        run.open_store()
    with sa.create_engine(db_url).connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
    done = CliRunner().invoke(main, ["store", "create", "--store", db_url])
    assert done.exit_code == 0 and "Created the answer store" in done.output, done.output
    run.open_store().close()
    assert "holds an answer store already" in CliRunner().invoke(main, ["store", "create", "--store", db_url]).output
