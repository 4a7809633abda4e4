"""The answer store: rounds, respondents, answers and an append-only audit log.

SQLite (WAL mode) by default; PostgreSQL (`postgresql://…`, with the `postgres` extra) for a programme served by
several app processes. Both behind SQLAlchemy Core, and both correct with many writers at once:

- every saved answer is one transaction that first locks its respondent's row (PostgreSQL `FOR NO KEY UPDATE`;
  SQLite takes the database's write lock at BEGIN IMMEDIATE), then reads the answer, writes it and one audit
  row per changed field. Two saves of one person are therefore never interleaved: no update is lost, and each
  audit row's `old` is the `new` of the audit row before it for that field;
- issuing a link locks its round's row, so the automatic labels (sector-N) are unique without retries;
- every writing transaction increments the one row of `store_revision`, so `revision()` changes with every
  commit, in whatever order concurrent transactions commit.

The schema comes from migrations (migrate.py), checked at every open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event

from ..errors import AccessDenied, ICFError, NotFoundError
from ..model.framework import Framework, framework_digest, framework_file, framework_from_text, load_framework
from ..model.types import check_slug
from . import migrate
from .schema import answers, audit_log, respondents, rounds, store_revision

if TYPE_CHECKING:  # pandas is imported where it is used: the form's kernels start faster without it
    import pandas as pd

RESPONSES = ("level", "dont_know", "na")
ANSWER_FIELDS = ("response", "level", "evidence", "links", "comment")

def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


@dataclass(frozen=True)
class Respondent:
    id: int
    round_id: str
    city: str
    sector: str
    role: str
    label: str
    status: str
    synthetic: bool
    no_quotes: bool = False  # asked not to be quoted in briefs
    lang: str | None = None  # the language their form opens in; None: the framework's own


@dataclass(frozen=True)
class Round:
    id: str
    title: str
    framework: str
    framework_version: str
    convening: str | None
    synthetic: bool
    framework_digest: str | None = None
    opens: dt.date | None = None
    closes: dt.date | None = None
    closed_at: dt.datetime | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


def _sqlite_engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=60000")  # first: switching a new file to WAL waits for the others too
        _switch_to_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front: no upgrade deadlocks

    return engine


def _switch_to_wal(cur, wait: float = 60.0) -> None:
    """PRAGMA journal_mode=WAL, tried again while another process holds the lock the switch needs: SQLite may
    answer "database is locked" at once there instead of waiting (seen with eight processes opening a new file)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(url: str) -> sa.Engine:
    """The engine of a store URL. `postgresql://` means psycopg 3 (the `postgres` extra)."""
    if not url:
        raise ICFError("no answer store given: pass a SQLAlchemy URL such as sqlite:///icf.sqlite3")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url)
    parsed = sa.engine.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return sa.create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise ICFError(f"the driver for {parsed.drivername} is not installed ({exc.name}): for PostgreSQL, "
                       "`pip install 'icframework[postgres]'`") from None


class Store:
    """One answer store, opened from its SQLAlchemy URL (`Settings.store_url`).

    The schema is checked at every open (migrate.check): a store of an older or newer schema is refused with the
    command that fixes it. `create=True` (the default, for library use and tests) makes the schema in an empty
    database; the `icf` commands open stores through `Settings.open_store`, which passes `create=False` except in
    the commands that make a store on purpose, so a mistyped URL never gets tables.
    """

    def __init__(self, url: str, *, create: bool = True):
        self.engine = make_engine(url)
        self.url = url
        try:
            migrate.check(self.engine, create=create)
        except BaseException:
            self.engine.dispose()
            raise
        self._frameworks: dict[str, Framework] = {}

    def close(self) -> None:
        self.engine.dispose()

    # -- rounds ---------------------------------------------------------------------------------------------
    def create_round(
        self,
        round_id: str,
        framework: str,
        *,
        title: str = "",
        convening: str | None = None,
        synthetic: bool = False,
        opens: dt.date | None = None,
        closes: dt.date | None = None,
    ) -> Round:
        check_slug(round_id, "round")
        fw = load_framework(framework)
        if opens and closes and closes < opens:
            raise ICFError(f"the round closes ({closes}) before it opens ({opens})")
        exists = ICFError(f"round {round_id!r} already exists; choose another id")
        try:
            self._insert_round(round_id, framework, fw, title, convening, synthetic, opens, closes, exists)
        except sa.exc.IntegrityError:  # made by another process between our look and our insert
            raise exists from None
        return self.get_round(round_id)

    def _insert_round(self, round_id, framework, fw, title, convening, synthetic, opens, closes, exists) -> None:
        with self.engine.begin() as conn:
            if conn.execute(sa.select(rounds.c.id).where(rounds.c.id == round_id)).first():
                raise exists
            conn.execute(
                rounds.insert().values(
                    id=round_id,
                    title=title or round_id,
                    framework=framework,
                    framework_version=fw.version,
                    framework_digest=framework_digest(framework),
                    framework_snapshot=framework_file(framework).read_text(encoding="utf-8"),
                    convening=convening,
                    synthetic=synthetic,
                    opens=opens,
                    closes=closes,
                    created_at=now(),
                )
            )
            self._audit(conn, "facilitator", "create_round", round_id=round_id, new=framework)

    def get_round(self, round_id: str) -> Round:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(rounds).where(rounds.c.id == round_id)).mappings().first()
        if not row:
            known = ", ".join(r.id for r in self.list_rounds()) or "none yet (create one with `icf rounds create`)"
            raise NotFoundError(f"unknown round {round_id!r}; rounds in this store: {known}")
        return _round(row)

    def list_rounds(self) -> list[Round]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(rounds).order_by(rounds.c.created_at, rounds.c.id)).mappings().all()
        return [_round(r) for r in rows]

    def set_round_closed(self, round_id: str, closed: bool, actor: str = "facilitator") -> Round:
        """Close a round (the form and the store accept no more changes to its answers) or reopen it."""
        self.get_round(round_id)  # an unknown round is named with the known ones
        with self.engine.begin() as conn:
            was = conn.execute(sa.select(rounds.c.closed_at).where(rounds.c.id == round_id)
                               .with_for_update()).scalar_one()
            conn.execute(rounds.update().where(rounds.c.id == round_id).values(closed_at=now() if closed else None))
            self._audit(conn, actor, "close_round" if closed else "reopen_round", round_id=round_id,
                        field="closed", old=str(was is not None), new=str(closed))
        return self.get_round(round_id)

    def framework_for(self, round_id: str) -> Framework:
        """The round's framework as it was when the round was created (the store keeps its text), so a later edit
        of the file, or an icframework upgrade that changes a bundled framework, leaves the round as it was;
        new rounds take the new version. A round made before the store kept the text is checked against the
        file instead: an edited file is refused for it (its answers would be read against other questions)."""
        if round_id not in self._frameworks:
            rnd = self.get_round(round_id)
            with self.engine.connect() as conn:
                kept = conn.execute(sa.select(rounds.c.framework_snapshot).where(rounds.c.id == round_id)).scalar()
            if kept is not None:
                self._frameworks[round_id] = framework_from_text(f"{rnd.framework} (as kept by round {rnd.id})", kept)
                return self._frameworks[round_id]
            if rnd.framework_digest and framework_digest(rnd.framework) != rnd.framework_digest:
                raise ICFError(
                    f"the framework {rnd.framework} has changed since round {rnd.id!r} ({rnd.title}) was created: "
                    "put back the version the round was made with, or save the edited framework under a new file "
                    "name with a new version and create a new round for it")
            self._frameworks[round_id] = load_framework(rnd.framework)
        return self._frameworks[round_id]

    # -- respondents ----------------------------------------------------------------------------------------
    def add_respondent(
        self,
        round_id: str,
        city: str,
        sector: str,
        *,
        role: str = "",
        label: str | None = None,
        synthetic: bool = False,
        with_code: bool = True,
        no_quotes: bool = False,
        lang: str | None = None,
    ) -> tuple[Respondent, str | None]:
        """Create a respondent; returns it and its access code (shown once; only its hash is stored).

        The automatic label is `sector-N`, N one more than the people of the city in the round (skipping labels
        taken). The round's row is locked while it is chosen, so people issued at once get different labels.
        """
        check_slug(city, "city")
        check_slug(sector, "sector")
        self.get_round(round_id)  # an unknown round is named with the known ones
        code = secrets.token_urlsafe(16) if with_code else None
        with self.engine.begin() as conn:
            closed = conn.execute(sa.select(rounds.c.closed_at).where(rounds.c.id == round_id)
                                  .with_for_update(key_share=True)).scalar_one()
            if closed is not None:
                raise ICFError(f"round {round_id!r} is closed: reopen it (`icf rounds reopen {round_id}`) to add "
                               "people")
            taken = set(conn.execute(sa.select(respondents.c.label).where(
                respondents.c.round_id == round_id, respondents.c.city == city)).scalars())
            if label is None:
                n = len(taken) + 1
                while f"{sector}-{n}" in taken:
                    n += 1
                label = f"{sector}-{n}"
            elif label in taken:
                raise ICFError(f"the label {label!r} is taken in {city} for round {round_id}: choose another")
            rid = self._insert_respondent(conn, round_id, city, sector, role, label, code, synthetic, "facilitator",
                                          no_quotes=no_quotes, lang=lang)
        return self.respondent(rid), code

    def _insert_respondent(self, conn, round_id: str, city: str, sector: str, role: str, label: str,
                           code: str | None, synthetic: bool, actor: str, *, no_quotes: bool = False,
                           lang: str | None = None) -> int:
        """Insert a respondent, with its audit row, in the open transaction `conn`; returns its id."""
        rid = conn.execute(respondents.insert().values(
            round_id=round_id, city=city, sector=sector, role=role, label=label,
            code_hash=hash_code(code) if code else None, status="open", synthetic=synthetic, created_at=now(),
            no_quotes=no_quotes, lang=lang,
        )).inserted_primary_key[0]
        self._audit(conn, actor, "add_respondent", respondent_id=rid, city=city, round_id=round_id,
                    new=f"{label} ({sector})")
        return rid

    def import_answers(self, people: list[dict], items: list[tuple[int, str, dict]], *, actor: str) -> int:
        """All or nothing, in one transaction: create the `people` not in the store yet (dicts of round_id, city,
        sector, role, label; matched by round, city and label), then save `items` (index into `people`,
        question, changes) as `save_answers` does. Returns the number of answers saved."""
        with self.engine.begin() as conn:
            found = {}
            for i, p in enumerate(people):
                closed = conn.execute(sa.select(rounds.c.closed_at).where(rounds.c.id == p["round_id"])
                                      .with_for_update(key_share=True)).scalar_one()
                if closed is not None:
                    raise ICFError(f"round {p['round_id']!r} is closed: reopen it to import answers into it")
                row = conn.execute(sa.select(respondents).where(
                    respondents.c.round_id == p["round_id"], respondents.c.city == p["city"],
                    respondents.c.label == p["label"])).mappings().first()
                if row is None:
                    rid = self._insert_respondent(conn, p["round_id"], p["city"], p["sector"], p.get("role", ""),
                                                  p["label"], None, False, actor)
                    row = conn.execute(sa.select(respondents).where(respondents.c.id == rid)).mappings().first()
                found[i] = _respondent(row)
            checked = []
            for i, question, changes in items:
                fw = self.framework_for(found[i].round_id)
                fw.question(question)
                checked.append((found[i], question, _normalise(changes, fw)))
            self._write_answers(conn, checked, actor)
        return len(items)

    def set_choices(self, respondent_id: int, *, no_quotes: bool | None = None, lang: str | None = None,
                    actor: str = "facilitator") -> Respondent:
        """Record a person's choices: not to be quoted in briefs, and the language their form opens in
        ("" for the framework's own). Audited; None leaves a choice as it is."""
        changes = {k: v for k, v in (("no_quotes", no_quotes), ("lang", lang)) if v is not None}
        if "lang" in changes:
            changes["lang"] = changes["lang"] or None
        with self.engine.begin() as conn:
            row = self._lock_respondent(conn, respondent_id)
            conn.execute(respondents.update().where(respondents.c.id == respondent_id).values(**changes))
            for field, value in changes.items():
                self._audit(conn, actor, "choice", respondent_id=respondent_id, city=row["city"],
                            round_id=row["round_id"], field=field, old=_text(row[field]), new=_text(value))
        return self.respondent(respondent_id)

    def respondent(self, respondent_id: int) -> Respondent:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(respondents).where(respondents.c.id == respondent_id))
                .mappings()
                .first()
            )
        if not row:
            raise NotFoundError(f"no respondent with id {respondent_id}")
        return _respondent(row)

    def list_respondents(self, round_id: str | None = None, city: str | None = None) -> list[Respondent]:
        q = sa.select(respondents).order_by(respondents.c.city, respondents.c.id)
        if round_id:
            q = q.where(respondents.c.round_id == round_id)
        if city:
            q = q.where(respondents.c.city == city)
        with self.engine.connect() as conn:
            return [_respondent(r) for r in conn.execute(q).mappings()]

    def people_with_live_links(self) -> int:
        """How many people can open a form now: respondents whose link still opens it (open or submitted: a
        submitted person's link shows their answers, and they can be reopened; not revoked, not erased, and with a
        code) in rounds that are not closed. A round's `opens` and `closes` dates are only shown, never enforced
        (the form accepts answers until the round is closed), so they do not matter here. Every open round counts:
        a convening brings several cities' taskforces, and several rounds, to the same server."""
        q = (sa.select(sa.func.count()).select_from(respondents.join(rounds, respondents.c.round_id == rounds.c.id))
             .where(respondents.c.status.in_(("open", "submitted")), respondents.c.code_hash.is_not(None),
                    rounds.c.closed_at.is_(None)))
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    def authenticate(self, city: str | None, code: str | None) -> Respondent:
        """The respondent holding `code` for `city`. Any mismatch raises AccessDenied and reveals nothing."""
        if not city or not code:
            raise AccessDenied("This link is incomplete: it needs both the city and your access code.")
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(respondents).where(respondents.c.code_hash == hash_code(code)))
                .mappings()
                .first()
            )
        if not row or row["city"] != city:
            raise AccessDenied(
                "This link is not valid. Please check it, or ask your facilitator for a new one."
            )
        if row["status"] == "revoked":
            raise AccessDenied("This link has been withdrawn. Please ask your facilitator for a new one.")
        return _respondent(row)

    def set_status(self, respondent_id: int, status: str, actor: str) -> Respondent:
        """open (reopen), submitted or revoked."""
        if status not in ("open", "submitted", "revoked"):
            raise ICFError(f"unknown status {status!r}: use open, submitted or revoked")
        with self.engine.begin() as conn:
            row = self._lock_respondent(conn, respondent_id)
            if row["status"] == "erased":
                raise ICFError(f"respondent {respondent_id} was erased: issue a new link instead")
            conn.execute(
                respondents.update()
                .where(respondents.c.id == respondent_id)
                .values(status=status, submitted_at=now() if status == "submitted" else row["submitted_at"])
            )
            self._audit(
                conn,
                actor,
                f"status:{status}",
                respondent_id=respondent_id,
                city=row["city"],
                round_id=row["round_id"],
                field="status",
                old=row["status"],
                new=status,
            )
        return self.respondent(respondent_id)

    # -- answers --------------------------------------------------------------------------------------------
    def save_answer(
        self, respondent: Respondent, question: str, *, actor: str | None = None, **changes
    ) -> dict:
        """Save some fields of one answer in one transaction, with one audit row per changed field.

        `changes` may hold response ('level', 'dont_know', 'na' or None), level (int), evidence, links, comment.
        Giving `level` alone implies response='level'. Returns the answer as stored.
        """
        return self.save_answers([(respondent, question, changes)], actor=actor)[0]

    def save_answers(self, items: list[tuple[Respondent, str, dict]], *, actor: str | None = None) -> list[dict]:
        """Save many changes (respondent, question, changes) in ONE transaction: all of them or none. Each is
        checked and audited as `save_answer` does; the answers are read once and written in bulk, so an import of
        100,000 rows is one transaction of a few statements. Returns each answer as stored after its change."""
        checked = []
        for respondent, question, changes in items:
            unknown = set(changes) - set(ANSWER_FIELDS)
            if unknown:
                raise ICFError(f"unknown answer field(s) {sorted(unknown)}; allowed: {', '.join(ANSWER_FIELDS)}")
            fw = self.framework_for(respondent.round_id)
            fw.question(question)
            checked.append((respondent, question, _normalise(changes, fw)))
        if not checked:
            return []
        with self.engine.begin() as conn:
            return self._write_answers(conn, checked, actor)

    def _write_answers(self, conn: sa.Connection, items: list, actor: str | None) -> list[dict]:
        """Write checked changes in the open transaction `conn`: lock their respondents' rows first (in id order),
        refuse a closed round or closed answers, then insert, update and audit in bulk."""
        stamp = now()
        ids = sorted({r.id for r, _q, _c in items})
        # The respondents' row locks serialise each person's saves (see the module docstring).
        people = {row.id: row for row in conn.execute(
            sa.select(respondents.c.id, respondents.c.status, respondents.c.city, respondents.c.round_id,
                      rounds.c.closed_at)
            .join(rounds, rounds.c.id == respondents.c.round_id)
            .where(respondents.c.id.in_(ids)).order_by(respondents.c.id)
            .with_for_update(key_share=True, of=respondents))}
        for respondent, _q, _c in items:
            who = people.get(respondent.id)
            actor_here = actor or f"respondent:{respondent.id}"
            if who is None or who.city != respondent.city or who.status == "erased":
                raise AccessDenied("This respondent does not exist for this city.")
            if who.closed_at is not None:
                raise ICFError("this round is closed: answers can no longer be changed")
            if who.status != "open" and not actor_here.startswith("import"):
                raise ICFError(f"answers are {who.status}: ask your facilitator to reopen them to make changes")
        current = {(r["respondent_id"], r["question"]): dict(r) for r in conn.execute(
            sa.select(answers).where(answers.c.respondent_id.in_(ids))).mappings()}
        touched, audits, out = {}, [], []
        for respondent, question, changes in items:
            key = (respondent.id, question)
            old = current.get(key)
            before = {f: (old[f] if old else None) for f in ANSWER_FIELDS}
            after = dict(before) | changes
            for f in ("evidence", "links", "comment"):
                after[f], before[f] = after[f] or "", before[f] or ""
            current[key] = {**(old or {"respondent_id": respondent.id, "question": question}), **after}
            if key not in touched:
                touched[key] = old is None  # new to the store: one insert at the end, else one update
            audits += [{"at": stamp, "actor": actor or f"respondent:{respondent.id}", "action": "answer",
                        "respondent_id": respondent.id, "city": respondent.city, "round_id": respondent.round_id,
                        "question": question, "field": f, "old": _text(before[f]), "new": _text(after[f])}
                       for f in ANSWER_FIELDS if before[f] != after[f]]
            out.append(after)
        new = [{"respondent_id": k[0], "question": k[1], "created_at": stamp, "updated_at": stamp,
                **{f: current[k][f] for f in ANSWER_FIELDS}} for k, is_new in touched.items() if is_new]
        changed = [{"b_id": current[k]["id"], "updated_at": stamp, **{f: current[k][f] for f in ANSWER_FIELDS}}
                   for k, is_new in touched.items() if not is_new]
        if new:
            conn.execute(answers.insert(), new)
        if changed:
            conn.execute(answers.update().where(answers.c.id == sa.bindparam("b_id")), changed)
        if audits:
            conn.execute(audit_log.insert(), audits)
            bump_revision(conn)
        return out

    def answers_for(self, respondent: Respondent) -> dict[str, dict]:
        """This respondent's answers by question code."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(answers).where(answers.c.respondent_id == respondent.id)).mappings()
            return {
                r["question"]: {f: r[f] for f in ANSWER_FIELDS} | {"updated_at": r["updated_at"]}
                for r in rows
            }

    def answers_frame(self, round_id: str | None = None, city: str | None = None) -> pd.DataFrame:
        """One row per answer with its respondent and round: the input of diagnostics and exports."""
        q = (
            sa.select(
                rounds.c.id.label("round"),
                respondents.c.city,
                respondents.c.id.label("respondent_id"),
                respondents.c.label.label("respondent"),
                respondents.c.sector,
                respondents.c.role,
                respondents.c.status,
                answers.c.question,
                answers.c.response,
                answers.c.level,
                answers.c.evidence,
                answers.c.links,
                answers.c.comment,
                answers.c.updated_at,
                (rounds.c.synthetic | respondents.c.synthetic).label("synthetic"),
            )
            .select_from(answers.join(respondents).join(rounds))
            .order_by(rounds.c.id, respondents.c.city, respondents.c.id, answers.c.question)
        )
        if round_id:
            q = q.where(rounds.c.id == round_id)
        if city:
            q = q.where(respondents.c.city == city)
        import pandas as pd

        with self.engine.connect() as conn:
            df = pd.read_sql(q, conn)
        df["level"] = df["level"].astype("Int64")
        df["synthetic"] = df["synthetic"].astype(bool)
        return df

    def respondents_frame(self, round_id: str | None = None) -> pd.DataFrame:
        q = sa.select(
            respondents.c.id.label("respondent_id"),
            respondents.c.round_id.label("round"),
            respondents.c.city,
            respondents.c.sector,
            respondents.c.role,
            respondents.c.label,
            respondents.c.status,
            respondents.c.synthetic,
            respondents.c.no_quotes,
            respondents.c.lang,
        ).where(respondents.c.status != "erased")  # what analyses count: erased people are gone from them
        if round_id:
            q = q.where(respondents.c.round_id == round_id)
        import pandas as pd

        with self.engine.connect() as conn:
            return pd.read_sql(q, conn)

    def audit_frame(self, respondent_id: int | None = None) -> pd.DataFrame:
        q = sa.select(audit_log).order_by(audit_log.c.id)
        if respondent_id is not None:
            q = q.where(audit_log.c.respondent_id == respondent_id)
        import pandas as pd

        with self.engine.connect() as conn:
            df = pd.read_sql(q, conn)
        for col in ("old", "new"):  # keep "no value" as None, distinct from the empty string
            df[col] = df[col].astype(object).where(df[col].notna(), None)
        return df

    def revision(self) -> int:
        """A number that grows with every committed change to the store: cached results computed from the store
        stay valid while it is unchanged. It is a counter every writing transaction increments (not the last
        audit id, which a transaction still open when it is read could later commit below)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(store_revision.c.revision)).scalar_one()

    # -- personal data --------------------------------------------------------------------------------------
    def erase_respondent(self, respondent_id: int, actor: str = "facilitator") -> int:
        """Erase a person (GDPR erasure): their answers, their role and label, their link, and the old and new
        text of their audit rows. What stays: that a respondent of that city, round and sector existed and was
        erased, by whom and when (one `erase` audit row, without content). Returns the answers erased."""
        with self.engine.begin() as conn:
            row = self._lock_respondent(conn, respondent_id)
            if row["status"] == "erased":
                raise ICFError(f"respondent {respondent_id} is already erased")
            n = conn.execute(answers.delete().where(answers.c.respondent_id == respondent_id)).rowcount
            conn.execute(respondents.update().where(respondents.c.id == respondent_id).values(
                role="", label=f"erased-{respondent_id}", code_hash=None, status="erased", submitted_at=None))
            conn.execute(audit_log.update().where(
                audit_log.c.respondent_id == respondent_id,
                audit_log.c.action.in_(("answer", "add_respondent"))).values(old=None, new=None))
            self._audit(conn, actor, "erase", respondent_id=respondent_id, city=row["city"],
                        round_id=row["round_id"], new=f"{n} answers erased")
        return n

    def _lock_respondent(self, conn: sa.Connection, respondent_id: int):
        row = conn.execute(sa.select(respondents).where(respondents.c.id == respondent_id)
                           .with_for_update(key_share=True)).mappings().first()
        if not row:
            raise NotFoundError(f"no respondent with id {respondent_id}")
        return row

    def is_synthetic(self, round_id: str | None = None) -> bool:
        """True when any round or respondent (of `round_id`) is synthetic demo data."""
        q1 = sa.select(sa.func.count()).select_from(rounds).where(rounds.c.synthetic.is_(True))
        q2 = sa.select(sa.func.count()).select_from(respondents).where(respondents.c.synthetic.is_(True))
        if round_id:
            q1, q2 = q1.where(rounds.c.id == round_id), q2.where(respondents.c.round_id == round_id)
        with self.engine.connect() as conn:
            return bool(conn.execute(q1).scalar_one() or conn.execute(q2).scalar_one())

    def _audit(self, conn, actor: str, action: str, *, at: dt.datetime | None = None, **fields) -> None:
        """One audit row, in the transaction of the change it records; the store's revision moves with it."""
        conn.execute(audit_log.insert().values(at=at or now(), actor=actor, action=action, **fields))
        bump_revision(conn)


def bump_revision(conn: sa.Connection) -> None:
    """Increment the store's revision in this transaction. On PostgreSQL this holds the counter's row lock until
    the commit, so writers take it last (after their own rows' locks) and only for the end of a short
    transaction."""
    conn.execute(store_revision.update().where(store_revision.c.id == 1)
                 .values(revision=store_revision.c.revision + 1))



def _round(row) -> Round:
    return Round(row["id"], row["title"], row["framework"], row["framework_version"], row["convening"],
                 bool(row["synthetic"]), row["framework_digest"], row["opens"], row["closes"], row["closed_at"])


def _respondent(row) -> Respondent:
    return Respondent(
        row["id"],
        row["round_id"],
        row["city"],
        row["sector"],
        row["role"] or "",
        row["label"],
        row["status"],
        bool(row["synthetic"]),
        bool(row.get("no_quotes", False)),
        row.get("lang"),
    )


def _text(value) -> str | None:
    return None if value is None else str(value)


def _normalise(changes: dict, fw: Framework) -> dict:
    """Check and complete a change: a level implies response 'level'; other responses clear the level."""
    out = dict(changes)
    if "level" in out and out["level"] is not None and "response" not in out:
        out["response"] = "level"
    if "response" in out:
        response = out["response"]
        if response not in (*RESPONSES, None):
            raise ICFError(f"response must be one of {', '.join(RESPONSES)} (or empty), not {response!r}")
        if response == "level":
            level = out.get("level")
            if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= fw.scale.max_level:
                raise ICFError(f"level must be a whole number from 0 to {fw.scale.max_level}, not {level!r}")
        else:
            out["level"] = None
    elif "level" in out:
        raise ICFError("give a response together with level=None")
    for f in ("evidence", "links", "comment"):
        if f in out:
            value = out[f] if out[f] is not None else ""
            if not isinstance(value, str):
                raise ICFError(f"{f} must be text")
            if len(value) > 20000:
                raise ICFError(f"{f} is too long ({len(value)} characters); keep it under 20,000")
            out[f] = value
    return out


def bulk_answers(store: Store, records: list[dict], actor: str) -> int:
    """Insert many new answers in one transaction, each with its audit row (for imports of synthetic data).

    Each record has respondent_id, question and any of the answer fields. Existing answers are not touched:
    use `Store.save_answer` for edits.
    """
    if not records:
        return 0
    stamp = now()
    with store.engine.begin() as conn:
        who = {
            r.id: r
            for r in map(
                _respondent,
                conn.execute(
                    sa.select(respondents).where(
                        respondents.c.id.in_({rec["respondent_id"] for rec in records})
                    )
                ).mappings(),
            )
        }
        rows = [
            {
                "respondent_id": rec["respondent_id"],
                "question": rec["question"],
                "response": rec.get("response"),
                "level": rec.get("level"),
                "evidence": rec.get("evidence", ""),
                "links": rec.get("links", ""),
                "comment": rec.get("comment", ""),
                "created_at": stamp,
                "updated_at": stamp,
            }
            for rec in records
        ]
        conn.execute(answers.insert(), rows)
        conn.execute(
            audit_log.insert(),
            [
                {
                    "at": stamp,
                    "actor": actor,
                    "action": "answer",
                    "respondent_id": r["respondent_id"],
                    "city": who[r["respondent_id"]].city,
                    "round_id": who[r["respondent_id"]].round_id,
                    "question": r["question"],
                    "field": "response",
                    "old": None,
                    "new": _text(r["level"] if r["response"] == "level" else r["response"]),
                }
                for r in rows
            ],
        )
        bump_revision(conn)
    return len(records)
