"""The reports of a whole round computed in one pass (`scores.RoundTables`, `reports.city_report`,
`reports.convening_report`, `exchange.round_scores`) equal the per-city computation they replaced.

The reference below is the per-city code as it was before the one-pass tables (a filter and a dozen pandas
group-bys per city), built on the per-city functions of `icframework.analysis.scores`, which stay as they were.
It is compared field by field, unrounded where the tables are compared and as the JSON people read.
"""

from __future__ import annotations

import datetime as dt
import math  # noqa: F401
from pathlib import Path

import pandas as pd
import pytest

from icframework.analysis import exchange, reports
from icframework.analysis.models import CityReport, ConveningReport
from icframework.analysis.reports import (
    FEW_PEOPLE,  # noqa: F401 - used by the reference through _with_people
    SCHEMA,
    SCORE_ROW,
    NotFoundError,
    _find_round,
    _framework,
    _framework_info,
    _notice,
    _round_info,
    _rows,
    _title,
    _with_people,
    common_gaps,
    evidence_quotes,
    jsonable,
    parse_cities,
    people_change,
    previous_round,
    quote_opt_outs,
    strongest,
)
from icframework.analysis.scores import (
    area_scores,
    as_float,
    compare,
    core_completeness,
    disagreements,
    evidence_coverage,
    matrix,
    overall_score,
    prepare,
    principle_scores,
    question_scores,
    question_table,
    sector_coverage,
    strengths_and_gaps,
    tier,
)
from icframework.model.framework import Framework
from icframework.store import Store
from icframework.store.demo import DEMO_ROUNDS, generate


# -- the reference: the per-city code this replaced ------------------------------------------------------------
def reference_city_report(store, city_slug: str, round_id: str, framework: Framework | str | None = None, *,
                cities: Path | None = None, answers: pd.DataFrame | None = None, core_level: int = 2,
                top_disagreements: int = 5, no_quotes: set[int] | None = None) -> CityReport:
    """The diagnostics of one city in one round (diagnostics.json), validated by its model.

    `cities` is the programme's cities folder (default: the example programme icframework carries).

    Reads the store once for answers (this city, every round) unless `answers` is given: then it must hold this
    city's answers to this round and to earlier rounds (other rows are ignored), so a batch can pass slices.
    `no_quotes`: ids of respondents who asked not to be quoted (default: `quote_opt_outs(store, round_id)`).
    """
    from icframework.model.cities import load_city
    from icframework.model.types import check_slug

    check_slug(city_slug, "city")
    check_slug(round_id, "round")
    city = load_city(city_slug, cities)
    rounds = store.list_rounds()
    this = _find_round(rounds, round_id)
    fw = _framework(framework, this)
    if answers is None:
        answers = store.answers_frame(None, city_slug)
    answers = answers[answers["city"] == city_slug]
    prev_round = previous_round(rounds, round_id, answers, fw.code)
    before = prepare(answers[answers["round"] == prev_round], fw) if prev_round else None
    prev = question_table(before, fw) if prev_round else None
    prepared = prepare(answers[answers["round"] == round_id], fw)
    now = question_table(prepared, fw)
    questions = question_scores(now, fw)
    areas = _with_people(compare(area_scores(now, fw), area_scores(prev, fw) if prev_round else None),
                         prepared, before, fw, "area")
    principles = _with_people(compare(principle_scores(now, fw), principle_scores(prev, fw) if prev_round else None),
                              prepared, before, fw, "principle")
    if no_quotes is None:
        no_quotes = quote_opt_outs(store, round_id)
    overall = overall_score(now, fw)
    strengths, gaps = strengths_and_gaps(areas, questions)
    synthetic = bool(this.synthetic or city.synthetic or prepared["synthetic"].astype(bool).any())
    respondents = int(prepared["respondent_id"].nunique())
    answered = int(prepared["answered"].sum())

    report = {
        "schema": SCHEMA,
        "synthetic": synthetic,
        "notice": _notice(synthetic),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "city": {"slug": city.slug, "name": city.name, "local_name": city.local_name, "nation": city.nation,
                 "phase": city.phase, "languages": list(city.languages)},
        "round": _round_info(this, cities),
        "previous_round": prev_round,
        "previous_round_title": _title(rounds, prev_round),
        "people_change": people_change(prepared, before) if prev_round else None,
        "framework": _framework_info(fw),
        "counts": {"respondents": respondents, "answers": answered, "scored": int(prepared["scored"].sum()),
                   "dont_know": int(prepared["dont_know"].sum()), "na": int(prepared["na"].sum()),
                   "unanswered": respondents * len(fw.questions) - answered, "questions": len(fw.questions)},
        "overall": {**{k: overall[k] for k in ("score", "n", "thin")}, **tier(fw, overall["score"])},
        "areas": _rows(areas, SCORE_ROW),
        "principles": _rows(principles, SCORE_ROW),
        "matrix": matrix(now, fw).to_dict(orient="records"),
        "questions": _rows(questions.assign(principles=[list(q.principles) for q in fw.questions]),
                           ["area", "text", "core", "weight", "principles", "score", "n", "thin", "dont_know",
                            "na", "spread", "levels"]),
        "disagreements": disagreements(now, fw, top_disagreements).to_dict(orient="records"),
        "sectors": sector_coverage(prepared, fw, city.taskforce_sectors),
        "evidence": evidence_coverage(prepared, fw),
        "strengths": strengths,
        "gaps": gaps,
        "core": core_completeness(questions, fw, core_level),
        "quotes": evidence_quotes(prepared, fw, no_quotes),
    }
    return CityReport.model_validate(jsonable(report))


def reference_convening_report(store, round_id: str, cities: list[str] | str | None = None, *, root: Path | None = None,
                     answers: pd.DataFrame | None = None, top: int = 3) -> ConveningReport:
    """Cities side by side for a convening (convening.json), validated by its model.

    `cities`: slugs (a list, or one comma-separated string); None means every city with answers in the round.
    `root` is the programme's cities folder (default: the example programme icframework carries). Reads the store
    once for answers (all cities, all rounds) unless `answers` is given.
    """
    from icframework.model.cities import load_city
    from icframework.model.types import check_slug

    check_slug(round_id, "round")
    rounds = store.list_rounds()
    this = _find_round(rounds, round_id)
    fw = _framework(None, this)
    if answers is None:
        answers = store.answers_frame()
    current = answers[answers["round"] == round_id]
    slugs = parse_cities(cities) if cities is not None else sorted(current["city"].unique())
    for slug in slugs:
        check_slug(slug, "city")

    rows, heat, synthetic = [], [], bool(this.synthetic)
    for slug in slugs:
        try:
            city = load_city(slug, root)
            name, nation, phase, synthetic = city.name, city.nation, city.phase, synthetic or city.synthetic
        except NotFoundError:
            name, nation, phase = slug, None, None
        mine = answers[answers["city"] == slug]
        prepared = prepare(mine[mine["round"] == round_id], fw)
        now = question_table(prepared, fw)
        synthetic = synthetic or bool(prepared["synthetic"].astype(bool).any())
        prev = previous_round(rounds, round_id, mine, fw.code)
        before = prepare(mine[mine["round"] == prev], fw) if prev else None
        areas = _with_people(compare(area_scores(now, fw), area_scores(before, fw) if prev else None),
                             prepared, before, fw, "area")
        overall = overall_score(now, fw)
        rows.append({"slug": slug, "name": name, "nation": nation, "phase": phase, "previous_round": prev,
                     "previous_round_title": _title(rounds, prev),
                     "people_change": people_change(prepared, before) if prev else None,
                     "respondents": int(prepared["respondent_id"].nunique()),
                     "answers": int(prepared["answered"].sum()),
                     "overall": {**{k: overall[k] for k in ("score", "n", "thin")}, **tier(fw, overall["score"])}})
        for code, r in areas.iterrows():
            heat.append({"city": slug, "area": code, "score": as_float(r["score"]), "n": int(r["n"]),
                         "thin": bool(r["thin"]), **{k: r[k] for k in SCORE_ROW[5:]}})

    report = {
        "schema": SCHEMA,
        "synthetic": synthetic,
        "notice": _notice(synthetic),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "round": _round_info(this, root),
        "framework": _framework_info(fw),
        "areas": [{"code": a.code, "title": a.title} for a in fw.areas],
        "cities": rows,
        "heatmap": heat,
        "strongest": strongest(heat, fw, top),
        "common_gaps": common_gaps(heat, rows, fw),
    }
    return ConveningReport.model_validate(jsonable(report))




# -- the tests -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    store = Store(f"sqlite:///{path}")
    generate(store, seed=7)
    # make the data awkward: a revoked respondent, an opt-out of quotes
    people = store.respondents_frame("virtual-2020")
    cardiff = people[people["city"] == "cardiff"]["respondent_id"].tolist()
    store.set_choices(int(cardiff[0]), no_quotes=True)
    glasgow = people[people["city"] == "glasgow"]["respondent_id"].tolist()
    store.set_status(int(glasgow[0]), "revoked", actor="test")
    yield store
    store.close()


def without_time(model) -> dict:
    data = model.model_dump(mode="json", by_alias=True)
    data.pop("generated_at")
    return data


def test_every_city_of_every_round_equals_the_per_city_computation(demo):
    answers = demo.answers_frame()
    for rnd in DEMO_ROUNDS:
        cities = sorted(answers[answers["round"] == rnd.id]["city"].unique())
        assert cities
        for slug in cities:
            mine = answers[answers["city"] == slug]
            new = reports.city_report(demo, slug, rnd.id, answers=mine)
            old = reference_city_report(demo, slug, rnd.id, answers=mine)
            assert without_time(new) == without_time(old), (rnd.id, slug)


def test_the_shared_round_work_gives_the_same_reports_and_sees_changes(demo, monkeypatch):
    answers = demo.answers_frame()
    monkeypatch.setattr(reports, "_SHARED", {"on": True, "key": None, "ctx": None})
    cities = sorted(answers[answers["round"] == "virtual-2020"]["city"].unique())
    for slug in cities:
        new = reports.city_report(demo, slug, "virtual-2020")
        assert without_time(new) == without_time(reference_city_report(demo, slug, "virtual-2020")), slug
    assert reports._SHARED["ctx"] is not None
    # one answer changes: the next report sees it (the store's revision moved on)
    person = next(r for r in demo.list_respondents("virtual-2020", "newport") if r.status != "revoked")
    before = reports.city_report(demo, "newport", "virtual-2020").overall
    demo.save_answer(person, "A1.Q1", actor="test", level=0)
    demo.save_answer(person, "A1.Q2", actor="test", level=0)
    after = reports.city_report(demo, "newport", "virtual-2020")
    assert without_time(after) == without_time(reference_city_report(demo, "newport", "virtual-2020"))
    assert after.overall != before


@pytest.mark.parametrize("shared", [False, True])
def test_the_convening_equals_the_per_city_computation(demo, monkeypatch, shared):
    """Alone, and in a batch worker, where it is made from the round tables the worker's cities use."""
    monkeypatch.setattr(reports, "_SHARED", {"on": shared, "key": None, "ctx": None})
    for rnd in DEMO_ROUNDS:
        new = reports.convening_report(demo, rnd.id)
        old = reference_convening_report(demo, rnd.id)
        assert without_time(new) == without_time(old), rnd.id
        assert (reports._SHARED["key"] is not None and reports._SHARED["key"][2] == rnd.id) == shared
    some = reports.convening_report(demo, "virtual-2020", cities="cardiff,bristol,atlantis")
    assert without_time(some) == without_time(reference_convening_report(demo, "virtual-2020",
                                                                         cities="cardiff,bristol,atlantis"))


@pytest.mark.parametrize("shared", [False, True])
def test_round_scores_equal_area_scores_city_by_city(demo, monkeypatch, shared):
    """Alone, and from a batch worker's shared tables (every round up to this one, made for the reports)."""
    monkeypatch.setattr(reports, "_SHARED", {"on": shared, "key": None, "ctx": None})
    for rnd in DEMO_ROUNDS:
        fw = demo.framework_for(rnd.id)
        answers = demo.answers_frame(rnd.id)
        got = exchange.round_scores(demo, rnd.id)
        want = pd.concat([area_scores(g, fw).assign(city=c) for c, g in answers.groupby("city")]).rename_axis(
            "area").reset_index()[["city", "area", "title", "score", "n", "thin"]]
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
        assert (reports._SHARED["ctx"] is not None) == shared


def test_area_scores_by_hand():
    """The one-pass tables against numbers worked out by hand, for two cities and two rounds."""
    from icframework.analysis.scores import RoundTables
    from icframework.model.framework import load_framework

    fw = load_framework("inclusive-cities")
    q1, q2 = [q for q in fw.questions if q.area == fw.areas[0].code][:2]
    top = fw.scale.max_level
    rows = [  # city, round, respondent, question, response, level
        ("a", "r1", 1, q1.code, "level", top), ("a", "r1", 2, q1.code, "level", 0),
        ("a", "r1", 2, q2.code, "dont_know", None), ("a", "r2", 3, q1.code, "level", top),
        ("b", "r1", 4, q2.code, "level", 1), ("b", "r1", 5, q2.code, "na", None),
    ]
    df = pd.DataFrame(rows, columns=["city", "round", "respondent_id", "question", "response", "level"])
    df = df.assign(level=df["level"].astype("Int64"), status="active", respondent=df["respondent_id"].astype(str),
                   sector="employer", synthetic=False, evidence=None, links=None, updated_at=None)
    t = RoundTables(df, fw)
    area = fw.areas[0].code
    w1, w2 = float(q1.weight), float(q2.weight)
    assert t.scores(("a", "r1"), "area")[area]["score"] == pytest.approx(50.0)  # (100 + 0) / 2, one question
    assert t.scores(("a", "r1"), "area")[area]["dont_know"] == 1
    assert t.scores(("a", "r2"), "area")[area]["score"] == pytest.approx(100.0)
    assert t.scores(("b", "r1"), "area")[area]["score"] == pytest.approx(100 / top)
    assert t.scores(("b", "r1"), "area")[area]["n"] == 1
    assert t.overall(("a", "r1"))["score"] == pytest.approx((w1 * 100 + w1 * 0) / (2 * w1))
    both = RoundTables(pd.concat([df, df.assign(city="c", question=[q2.code] * 6)]), fw)
    assert both.scores(("a", "r1"), "area") == t.scores(("a", "r1"), "area")
    assert both.count(("b", "r1")) == {"respondents": 2, "answers": 2, "scored": 1, "dont_know": 0, "na": 1,
                                       "synthetic": False}
    assert w2 > 0


def test_peer_names_given_on_demand_equal_the_plan_made_with_names(demo):
    """A worker's plan is made without reading city files; each brief names only its own pairs. The result is the
    plan `match` writes with every name given up front (names in `why` too)."""
    from icframework.analysis.exchange import _names, city_peers, pairs_data

    scores = exchange.round_scores(demo, "virtual-2020")
    with_all_names = pairs_data(scores, _names(sorted(scores["city"].unique())))
    assert exchange.round_pairs(demo, "virtual-2020") == with_all_names
    bare = exchange.round_pairs(demo, "virtual-2020", names=False)
    assert any(p["why"] != q["why"] for p, q in zip(bare["pairs"], with_all_names["pairs"], strict=True))
    for city in scores["city"].unique():
        assert city_peers(bare, city, names=True) == city_peers(with_all_names, city), city
