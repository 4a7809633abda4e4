"""Many processes on one store at once, on SQLite and on a real PostgreSQL: nothing lost, nothing failed.

Each case is a scenario that returns its figures (benchmarks/store_concurrency.py prints them); the tests assert
them. The processes are started with `spawn`, as separate app servers or `icf` commands would be, and wait at
a barrier so that their writes really meet.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback

import pytest
import sqlalchemy as sa

from icframework.store import Store

WRITERS = 8
TIMEOUT = 300
slow = pytest.mark.slow  # each spawns processes for several seconds: `make test` runs them, `make test-fast` not


def _run(target, argsets: list[tuple]) -> list[dict]:
    """Run target(barrier, queue, *args) in one spawned process per argument set; their reports, in order."""
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(len(argsets)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(barrier, queue, i, *args)) for i, args in enumerate(argsets)]
    for p in procs:
        p.start()
    reports = [queue.get(timeout=TIMEOUT) for _ in procs]
    for p in procs:
        p.join(TIMEOUT)
    assert [p.exitcode for p in procs] == [0] * len(procs), "a worker process died"
    return [r for _, r in sorted(reports, key=lambda r: r[0])]


def _report(queue, index: int, failures: list[str], **figures) -> None:
    queue.put((index, {"failed": len(failures), "errors": failures[:3], **figures}))


# -- two people, one answer, different fields --------------------------------------------------------------------

def _field_writer(barrier, queue, index, url, respondent_id, questions, field):
    store, failures = Store(url), []
    resp = store.respondent(respondent_id)
    for i, q in enumerate(questions):
        barrier.wait()
        try:
            store.save_answer(resp, q, **({"level": i % 5} if field == "level" else {field: f"{field} {i}"}))
        except Exception:
            failures.append(traceback.format_exc(limit=1))
    _report(queue, index, failures)


def same_answer_different_fields(url: str, trials: int = 20) -> dict:
    """Three processes save the level, the evidence and the comment of the same answer at the same moment,
    `trials` times (a new question each time). Lost: answers missing one of the three afterwards."""
    store = Store(url)
    store.create_round("r1", "inclusive-cities")
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    questions = [q.code for q in store.framework_for("r1").questions][:trials]
    reports = _run(_field_writer, [(url, resp.id, questions, f) for f in ("level", "evidence", "comment")])
    got = store.answers_for(resp)
    lost = sum(1 for i, q in enumerate(questions)
               if q not in got or got[q]["level"] != i % 5 or got[q]["evidence"] != f"evidence {i}"
               or got[q]["comment"] != f"comment {i}")
    store.close()
    return {"trials": len(questions), "lost": lost, "failed": sum(r["failed"] for r in reports),
            "errors": [e for r in reports for e in r["errors"]]}


# -- eight writers on one respondent ---------------------------------------------------------------------------

def _many_writer(barrier, queue, index, url, respondent_id, questions, saves):
    store, failures = Store(url), []
    resp = store.respondent(respondent_id)
    barrier.wait()
    for i in range(saves):
        q = questions[i % len(questions)]
        change = ({"level": (index + i) % 5} if i % 3 == 0 else {"evidence": f"w{index} s{i}"} if i % 3 == 1
                  else {"response": "dont_know"})
        try:
            store.save_answer(resp, q, **change)
        except Exception:
            failures.append(traceback.format_exc(limit=1))
    _report(queue, index, failures)


def audit_chain_breaks(store: Store, respondent_id: int) -> list[str]:
    """Audit rows whose `old` is not the `new` of the row before them for the same question and field, and
    answers whose stored value is not the last audited `new`."""
    audit = store.audit_frame(respondent_id)
    audit = audit[audit.action == "answer"]
    breaks, last = [], {}
    for row in audit.itertuples():
        key = (row.question, row.field)
        before = last.get(key, "" if row.field in ("evidence", "links", "comment") else None)
        if row.old != before:
            breaks.append(f"audit {row.id} {key}: old {row.old!r}, previous new {before!r}")
        last[key] = row.new
    for question, answer in store.answers_for(store.respondent(respondent_id)).items():
        for field in ("response", "level", "evidence"):
            value = answer[field]
            if last.get((question, field), "" if field == "evidence" else None) != (
                    None if value is None else str(value)):
                breaks.append(f"answer {question} {field}: {value!r} is not the last audited value")
    return breaks


def eight_writers_on_one_respondent(url: str, saves: int = 30) -> dict:
    """Eight processes save level, evidence and response changes to the same three answers of one person."""
    store = Store(url)
    store.create_round("r1", "inclusive-cities")
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    questions = [q.code for q in store.framework_for("r1").questions][:3]
    reports = _run(_many_writer, [(url, resp.id, questions, saves)] * WRITERS)
    breaks = audit_chain_breaks(store, resp.id)
    store.close()
    return {"saves": WRITERS * saves, "failed": sum(r["failed"] for r in reports), "audit_breaks": len(breaks),
            "errors": [e for r in reports for e in r["errors"]] + breaks[:3]}


# -- eight processes opening an empty database -------------------------------------------------------------------

def _opener(barrier, queue, index, urls):
    failures = []
    for url in urls:
        barrier.wait()
        try:
            store = Store(url)
            store.list_rounds()
            store.close()
        except Exception:
            failures.append(traceback.format_exc(limit=1))
    _report(queue, index, failures)


def eight_processes_open_an_empty_database(urls: list[str]) -> dict:
    """Eight processes open each of `urls` (empty databases) at the same moment: the store is made once."""
    reports = _run(_opener, [(urls,)] * WRITERS)
    for url in urls:
        store = Store(url, create=False)  # made, at this code's schema
        store.close()
    return {"opens": WRITERS * len(urls), "failed": sum(r["failed"] for r in reports),
            "errors": [e for r in reports for e in r["errors"]]}


# -- eight processes issuing links -------------------------------------------------------------------------------

def _issuer(barrier, queue, index, url, count):
    store, failures, labels = Store(url), [], []
    barrier.wait()
    for _ in range(count):
        try:
            labels.append(store.add_respondent("r1", "bristol", "employer")[0].label)
        except Exception:
            failures.append(traceback.format_exc(limit=1))
    _report(queue, index, failures, labels=labels)


def eight_processes_issue_links(url: str, count: int = 10) -> dict:
    """Eight processes issue `count` links each for one city, with automatic labels."""
    store = Store(url)
    store.create_round("r1", "inclusive-cities")
    reports = _run(_issuer, [(url, count)] * WRITERS)
    labels = [label for r in reports for label in r["labels"]]
    stored = [r.label for r in store.list_respondents("r1", "bristol")]
    store.close()
    return {"links": WRITERS * count, "failed": sum(r["failed"] for r in reports),
            "duplicate_labels": len(stored) - len(set(stored)), "issued": len(labels), "stored": len(stored),
            "errors": [e for r in reports for e in r["errors"]]}


# -- the tests -----------------------------------------------------------------------------------------------------

@slow
def test_two_people_saving_different_fields_of_one_answer_lose_nothing(db_url):
    figures = same_answer_different_fields(db_url)
    assert (figures["lost"], figures["failed"]) == (0, 0), figures


@slow
def test_eight_writers_on_one_respondent_all_succeed_with_a_consistent_audit_chain(db_url):
    figures = eight_writers_on_one_respondent(db_url)
    assert (figures["failed"], figures["audit_breaks"]) == (0, 0), figures


@slow
def test_eight_processes_opening_an_empty_database_all_succeed(db_url, request, tmp_path):
    if db_url.startswith("sqlite"):
        urls = [f"sqlite:///{tmp_path / f'open{i}.sqlite3'}" for i in range(3)]
    else:
        from conftest import postgres_database

        server = request.getfixturevalue("postgres_server")
        urls = [postgres_database(server, f"open{i}") for i in range(3)]
    figures = eight_processes_open_an_empty_database(urls)
    assert figures["failed"] == 0, figures


@slow
def test_eight_processes_issuing_links_get_unique_labels(db_url):
    figures = eight_processes_issue_links(db_url)
    assert (figures["failed"], figures["duplicate_labels"]) == (0, 0), figures
    assert figures["stored"] == figures["issued"] == figures["links"]


@pytest.mark.parametrize("n", [1])
def test_the_audit_chain_check_finds_a_break(tmp_path, n):
    """The checker itself: an audit row whose old value is not the previous new one is reported."""
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    store.create_round("r1", "inclusive-cities")
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    store.save_answer(resp, "A1.Q1", level=1)
    store.save_answer(resp, "A1.Q1", level=2)
    assert audit_chain_breaks(store, resp.id) == []
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET old = '3' WHERE field = 'level' AND new = '2'"))
    assert len(audit_chain_breaks(store, resp.id)) == n


def _switch(barrier, queue, index: int, path: str) -> None:
    import sqlite3

    from icframework.store.store import _switch_to_wal

    failures = []
    barrier.wait()
    try:
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=60000")
        _switch_to_wal(conn.cursor())
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.close()
        if mode != "wal":
            failures.append(f"journal mode {mode}")
    except Exception:  # noqa: BLE001 - reported, then asserted
        failures.append(traceback.format_exc(limit=2))
    _report(queue, index, failures)


@slow
def test_eight_processes_switching_a_new_sqlite_file_to_wal_together_all_succeed(tmp_path):
    """SQLite can answer "database is locked" at once to a WAL switch that meets another (busy_timeout or
    not: seen 3 times in 120 plain switches here); the store's switch tries again until it is through."""
    for trial in range(3):
        reports = _run(_switch, [(str(tmp_path / f"new-{trial}.sqlite3"),)] * WRITERS)
        assert [r["failed"] for r in reports] == [0] * WRITERS, [r["errors"] for r in reports if r["failed"]]
