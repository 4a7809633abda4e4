"""The answer store, on SQLite and on a real PostgreSQL (the `db_url` fixture gives each in turn): saving, audit
log, access codes, labels, revision, erasure. Many processes at once: test_store_concurrency.py; schema versions:
test_store_migrations.py."""

from __future__ import annotations

import multiprocessing as mp

import pytest
import sqlalchemy as sa

from icframework.errors import AccessDenied, ICFError
from icframework.store import Store


@pytest.fixture
def store(db_url):
    s = Store(db_url)
    s.create_round("r1", "inclusive-cities", title="Round one")
    yield s
    s.close()


def test_sqlite_store_uses_wal(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
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


def test_automatic_labels_count_the_city_and_skip_taken_ones(store):
    first, _ = store.add_respondent("r1", "bristol", "employer")
    store.add_respondent("r1", "bristol", "education", label="education-3")
    other, _ = store.add_respondent("r1", "bristol", "education")
    assert (first.label, other.label) == ("employer-1", "education-4")
    with pytest.raises(ICFError, match="label 'employer-1' is taken"):
        store.add_respondent("r1", "bristol", "employer", label="employer-1")
    assert store.add_respondent("r1", "cardiff", "employer")[0].label == "employer-1"


def test_a_round_id_is_taken_once(store):
    with pytest.raises(ICFError, match="already exists"):
        store.create_round("r1", "inclusive-cities")


def test_the_revision_moves_with_every_change(store):
    seen = [store.revision()]
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    seen.append(store.revision())
    store.save_answer(resp, "A1.Q1", level=2)
    seen.append(store.revision())
    store.set_status(resp.id, "submitted", "facilitator")
    seen.append(store.revision())
    store.set_round_closed("r1", True)
    seen.append(store.revision())
    assert seen == sorted(set(seen)), seen
    assert Store(store.url).revision() == seen[-1]


def test_closing_a_round_stops_changes_and_new_links(store):
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    store.set_round_closed("r1", True)
    with pytest.raises(ICFError, match="closed"):
        store.save_answer(resp, "A1.Q1", level=1)
    with pytest.raises(ICFError, match="closed"):
        store.add_respondent("r1", "bristol", "employer")
    store.set_round_closed("r1", False)
    store.save_answer(resp, "A1.Q1", level=1)


def test_erasing_a_person_removes_their_answers_and_text_and_records_that_it_happened(store):
    keep, _ = store.add_respondent("r1", "bristol", "education", role="Head teacher")
    gone, code = store.add_respondent("r1", "bristol", "employer", role="HR lead, Acme Ltd", label="Jane Doe")
    store.save_answer(keep, "A1.Q1", level=3, comment="kept")
    store.save_answer(gone, "A1.Q1", level=2, evidence="Jane's secret minutes", comment="private")
    store.save_answer(gone, "A1.Q2", response="na", links="https://example.org/jane")
    assert store.erase_respondent(gone.id) == 2

    assert store.answers_for(gone) == {}
    assert set(store.answers_frame("r1").respondent_id) == {keep.id}
    assert gone.id not in set(store.respondents_frame("r1").respondent_id)  # briefs no longer count them
    erased = store.respondent(gone.id)
    assert (erased.status, erased.role, erased.label) == ("erased", "", f"erased-{gone.id}")
    with pytest.raises(AccessDenied):
        store.authenticate("bristol", code)
    with pytest.raises(ICFError):
        store.set_status(gone.id, "open", "facilitator")
    with pytest.raises(AccessDenied):
        store.save_answer(gone, "A1.Q1", level=1)

    audit = store.audit_frame(gone.id)
    text = " ".join(str(v) for v in audit[["old", "new"]].values.ravel() if v is not None)
    for secret in ("Jane", "Acme", "secret", "private", "example.org"):
        assert secret not in text
    last = audit.iloc[-1]
    assert (last.action, last.actor, last.new) == ("erase", "facilitator", "2 answers erased")
    assert store.answers_for(keep)["A1.Q1"]["comment"] == "kept"
    with pytest.raises(ICFError, match="already erased"):
        store.erase_respondent(gone.id)


def _writer(url: str, respondent_id: int, questions: list[str]) -> None:
    s = Store(url)
    resp = s.respondent(respondent_id)
    for i, q in enumerate(questions):
        s.save_answer(resp, q, level=i % 5)
        s.save_answer(resp, q, evidence=f"evidence {i}")


def test_eight_processes_saving_at_once_lose_nothing(db_url):
    url = db_url
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


def test_a_person_can_ask_not_to_be_quoted_and_choose_a_language(tmp_path):
    from icframework.analysis.reports import quote_opt_outs

    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    store.create_round("r1", "inclusive-cities")
    quiet, _ = store.add_respondent("r1", "cardiff", "employer", no_quotes=True, lang="cy")
    other, _ = store.add_respondent("r1", "cardiff", "housing")
    assert (quiet.no_quotes, quiet.lang, other.no_quotes, other.lang) == (True, "cy", False, None)
    assert quote_opt_outs(store, "r1") == {quiet.id}
    assert store.set_choices(other.id, no_quotes=True, lang="cy").lang == "cy"
    assert store.set_choices(quiet.id, no_quotes=False, lang="").lang is None
    assert quote_opt_outs(store, "r1") == {other.id}
    audit = store.audit_frame()
    assert list(audit[audit.action == "choice"][["field", "old", "new"]].itertuples(index=False, name=None)) == [
        ("no_quotes", "False", "True"), ("lang", None, "cy"), ("no_quotes", "True", "False"), ("lang", "cy", None)]
