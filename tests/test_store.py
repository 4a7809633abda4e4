"""The answer store: saving, audit log, access codes and concurrent writers."""

from __future__ import annotations

import multiprocessing as mp

import pytest
import sqlalchemy as sa

from icframework.errors import AccessDenied, ICFError
from icframework.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round("r1", "inclusive-cities", title="Round one")
    return s


def test_sqlite_store_uses_wal(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_save_answer_and_audit_every_change(store):
    resp, code = store.add_respondent("r1", "bristol", "employer", role="HR lead")
    store.save_answer(resp, "A1.Q1", level=2)
    store.save_answer(resp, "A1.Q1", evidence="Minutes of May meeting")
    store.save_answer(resp, "A1.Q1", response="dont_know")
    got = store.answers_for(resp)["A1.Q1"]
    assert got["response"] == "dont_know" and got["level"] is None
    assert got["evidence"] == "Minutes of May meeting"
    audit = store.audit_frame(resp.id)
    answer_rows = audit[audit.action == "answer"][["field", "old", "new"]].values.tolist()
    assert answer_rows == [
        ["response", None, "level"],
        ["level", None, "2"],
        ["evidence", "", "Minutes of May meeting"],
        ["response", "level", "dont_know"],
        ["level", "2", None],
    ]
    assert set(audit[audit.action == "answer"].actor) == {f"respondent:{resp.id}"}


def test_bad_answers_are_refused(store):
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    with pytest.raises(ICFError, match="level must be"):
        store.save_answer(resp, "A1.Q1", level=9)
    with pytest.raises(ICFError, match="not in framework"):
        store.save_answer(resp, "A9.Q1", level=1)
    with pytest.raises(ICFError, match="response must be"):
        store.save_answer(resp, "A1.Q1", response="maybe")
    assert store.answers_for(resp) == {}


def test_codes_are_hashed_and_bound_to_one_city(store):
    resp, code = store.add_respondent("r1", "bristol", "employer")
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT code_hash FROM respondents").scalar()
    assert code not in stored and len(stored) == 64
    assert store.authenticate("bristol", code).id == resp.id
    with pytest.raises(AccessDenied):
        store.authenticate("cardiff", code)  # another city's link
    with pytest.raises(AccessDenied):
        store.authenticate("bristol", "wrong-code")
    with pytest.raises(AccessDenied):
        store.authenticate("bristol", None)
    store.set_status(resp.id, "revoked", "facilitator")
    with pytest.raises(AccessDenied, match="withdrawn"):
        store.authenticate("bristol", code)


def test_a_respondent_cannot_write_as_another_city(store):
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    forged = resp.__class__(**{**resp.__dict__, "city": "cardiff"})
    with pytest.raises(AccessDenied):
        store.save_answer(forged, "A1.Q1", level=1)


def test_submitted_answers_are_locked_until_reopened(store):
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    store.save_answer(resp, "A1.Q1", level=1)
    store.set_status(resp.id, "submitted", f"respondent:{resp.id}")
    with pytest.raises(ICFError, match="reopen"):
        store.save_answer(resp, "A1.Q1", level=3)
    store.set_status(resp.id, "open", "facilitator")
    store.save_answer(resp, "A1.Q1", level=3)
    assert store.answers_for(resp)["A1.Q1"]["level"] == 3


def _writer(url: str, respondent_id: int, questions: list[str]) -> None:
    s = Store(url)
    resp = s.respondent(respondent_id)
    for i, q in enumerate(questions):
        s.save_answer(resp, q, level=i % 5)
        s.save_answer(resp, q, evidence=f"evidence {i}")


def test_eight_processes_saving_at_once_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("r1", "inclusive-cities")
    questions = [q.code for q in store.framework_for("r1").questions]
    ids = [store.add_respondent("r1", "bristol", "employer", label=f"p{i}")[0].id for i in range(8)]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, rid, questions)) for rid in ids]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 8
    with store.engine.connect() as conn:
        n_answers = conn.execute(sa.text("SELECT count(*) FROM answers")).scalar()
        n_audit = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE action='answer'")).scalar()
    assert n_answers == 8 * len(questions)
    # Per question: response and level on the first save, evidence on the second.
    assert n_audit == 8 * len(questions) * 3
    frame = store.answers_frame("r1")
    assert (frame.groupby("respondent_id").size() == len(questions)).all()
    assert frame["evidence"].str.startswith("evidence ").all()
