"""Diagnostics on small hand-built answer tables; every expected number is worked out by hand in a comment.

The tiny framework (scale 0-4, so a level scores level * 25; thin below 2 answers):

    A1.Q1  weight 2  core      principles P1
    A1.Q2  weight 1            principles P1, P2
    A2.Q1  weight 1  core      principles P2
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from icframework.analysis import reports, scores
from icframework.analysis.models import CityReport, ConveningReport, dump_json, load_report, report_from_data, to_data
from icframework.errors import ICFError, NotFoundError
from icframework.model.framework import load_framework
from icframework.store import Round, Store

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagnostics-json.md"

FRAMEWORK = {
    "code": "tiny", "title": "Tiny framework", "version": "0.1", "source": "tests", "description": "For tests.",
    "scale": "maturity", "thin_threshold": 2,
    "tiers": [{"min": 0, "label": "Starting", "description": "Just starting."},
              {"min": 50, "label": "Established", "description": "Well on the way."}],
    "principles": [{"code": "P1", "title": "Lead", "description": "Leadership."},
                   {"code": "P2", "title": "Share", "description": "Partnership."}],
    "areas": [
        {"code": "A1", "title": "Story", "description": "A shared story.", "questions": [
            {"code": "A1.Q1", "text": "Is there a lead?", "guidance": {0: "No."}, "evidence_prompt": "Who?",
             "core": True, "weight": 2, "principles": ["P1"]},
            {"code": "A1.Q2", "text": "Is there a plan?", "guidance": {0: "No."}, "evidence_prompt": "Where?",
             "core": False, "weight": 1, "principles": ["P1", "P2"]},
        ]},
        {"code": "A2", "title": "Work", "description": "Jobs.", "questions": [
            {"code": "A2.Q1", "text": "Are employers involved?", "guidance": {0: "No."},
             "evidence_prompt": "Which?", "core": True, "weight": 1, "principles": ["P2"]},
        ]},
    ],
}

COLUMNS = ["round", "city", "respondent_id", "respondent", "sector", "role", "status", "question", "response",
           "level", "evidence", "links", "comment", "updated_at", "synthetic"]


@pytest.fixture
def fw_path(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(FRAMEWORK, sort_keys=False))
    return path


@pytest.fixture
def fw(fw_path):
    return load_framework(fw_path)


def frame(rows, round_id="r2", city="x", synthetic=False) -> pd.DataFrame:
    """rows: (respondent_id, sector, question, value, evidence, links); value is a level, 'dont_know', 'na' or
    None (text only)."""
    out = []
    for rid, sector, question, value, evidence, links in rows:
        response = value if value in ("dont_know", "na", None) else "level"
        out.append({"round": round_id, "city": city, "respondent_id": rid, "respondent": f"{sector}-{rid}",
                    "sector": sector, "role": "", "status": "open", "question": question, "response": response,
                    "level": value if response == "level" else None, "evidence": evidence, "links": links,
                    "comment": "", "updated_at": pd.Timestamp("2020-03-01", tz="UTC"), "synthetic": synthetic})
    df = pd.DataFrame(out, columns=COLUMNS)
    df["level"] = df["level"].astype("Int64")
    return df


# Respondent 1 (local-authority): A1.Q1=4 with evidence, A1.Q2=2, A2.Q1=n/a
# Respondent 2 (employer):        A1.Q1=2, A1.Q2=don't know (evidence, but not scored), A2.Q1=1 with a link
# Respondent 3 (local-authority): A1.Q1=0, A1.Q2=4 (blank evidence), A2.Q1 text only (unanswered)
MAIN = [
    (1, "local-authority", "A1.Q1", 4, "Minutes of May", ""),
    (1, "local-authority", "A1.Q2", 2, "", ""),
    (1, "local-authority", "A2.Q1", "na", "", ""),
    (2, "employer", "A1.Q1", 2, "", ""),
    (2, "employer", "A1.Q2", "dont_know", "We are unsure", ""),
    (2, "employer", "A2.Q1", 1, "", "https://example.org/plan"),
    (3, "local-authority", "A1.Q1", 0, "", ""),
    (3, "local-authority", "A1.Q2", 4, "   ", ""),
    (3, "local-authority", "A2.Q1", None, "", ""),
]
# The previous round: respondent 4 A1.Q1=2, A1.Q2=2, A2.Q1=don't know; respondent 5 A1.Q1=1, A1.Q2=n/a.
PREVIOUS = [
    (4, "local-authority", "A1.Q1", 2, "", ""),
    (4, "local-authority", "A1.Q2", 2, "", ""),
    (4, "local-authority", "A2.Q1", "dont_know", "", ""),
    (5, "employer", "A1.Q1", 1, "", ""),
    (5, "employer", "A1.Q2", "na", "", ""),
]


def test_question_scores_means_counts_and_spread(fw):
    q = scores.question_scores(frame(MAIN), fw)
    # A1.Q1: levels 4, 2, 0 -> 100, 50, 0 -> mean 50; population sd of (0, 2, 4) = sqrt(8/3) = 1.633
    assert q.loc["A1.Q1", "score"] == pytest.approx(50)
    assert q.loc["A1.Q1", "n"] == 3 and not q.loc["A1.Q1", "thin"]
    assert q.loc["A1.Q1", "levels"] == [0, 2, 4]
    assert q.loc["A1.Q1", "spread"] == pytest.approx(math.sqrt(8 / 3))
    # A1.Q2: levels 2, 4 -> 50, 100 -> 75; don't know counted on its own, not as zero; sd of (2, 4) = 1
    assert q.loc["A1.Q2", "score"] == pytest.approx(75)
    assert (q.loc["A1.Q2", "n"], q.loc["A1.Q2", "dont_know"]) == (2, 1)
    assert q.loc["A1.Q2", "spread"] == pytest.approx(1.0)
    # A2.Q1: only level 1 -> 25; the n/a is left out (lowers the maximum); one answer < 2 -> thin; no spread
    assert q.loc["A2.Q1", "score"] == pytest.approx(25)
    assert (q.loc["A2.Q1", "n"], q.loc["A2.Q1", "na"]) == (1, 1)
    assert q.loc["A2.Q1", "thin"]
    assert math.isnan(q.loc["A2.Q1", "spread"])


def test_area_scores_are_weighted_by_question_weight(fw):
    a = scores.area_scores(frame(MAIN), fw)
    # A1: A1.Q1 (weight 2): 100 + 50 + 0 = 150 -> 300 weighted; A1.Q2 (weight 1): 50 + 100 = 150.
    #     (300 + 150) / (3 * 2 + 2 * 1) = 450 / 8 = 56.25 (an unweighted mean would be 300 / 5 = 60)
    assert a.loc["A1", "score"] == pytest.approx(56.25)
    assert (a.loc["A1", "n"], a.loc["A1", "dont_know"], a.loc["A1", "thin"]) == (5, 1, False)
    # A2: one scored answer (25); the n/a and the text-only row do not count
    assert a.loc["A2", "score"] == pytest.approx(25)
    assert (a.loc["A2", "n"], a.loc["A2", "thin"]) == (1, True)


def test_principle_scores_and_overall(fw):
    p = scores.principle_scores(frame(MAIN), fw)
    # P1 = questions A1.Q1 and A1.Q2 = the same answers as area A1: 56.25 over 5
    assert p.loc["P1", "score"] == pytest.approx(56.25) and p.loc["P1", "n"] == 5
    # P2 = A1.Q2 (50, 100; weight 1) and A2.Q1 (25; weight 1): 175 / 3 = 58.33, one don't know
    assert p.loc["P2", "score"] == pytest.approx(175 / 3)
    assert (p.loc["P2", "n"], p.loc["P2", "dont_know"]) == (3, 1)
    # overall: (450 + 25) / (8 + 1) = 52.78 over 6 scored answers
    overall = scores.overall_score(frame(MAIN), fw)
    assert overall["score"] == pytest.approx(475 / 9)
    assert (overall["n"], overall["thin"], overall["dont_know"]) == (6, False, 1)
    assert scores.tier(fw, overall["score"])["tier"] == "Established"  # 52.78 >= 50
    assert scores.tier(fw, 49.9)["tier"] == "Starting"
    assert scores.tier(fw, None) == {"tier": None, "tier_description": None}


def test_not_applicable_lowers_the_maximum(fw):
    # One respondent: A1.Q1 = 4 (weight 2), A1.Q2 = n/a. Points 4*2 = 8 of a maximum 4*2 = 8 (A1.Q2 left out):
    # 100, not 8 / 12 = 66.7 as it would be if n/a counted as zero.
    a = scores.area_scores(frame([(1, "employer", "A1.Q1", 4, "", ""), (1, "employer", "A1.Q2", "na", "", "")]), fw)
    assert a.loc["A1", "score"] == pytest.approx(100)


def test_matrix_cells(fw):
    m = scores.matrix(frame(MAIN), fw).set_index(["principle", "area"])
    assert len(m) == 4  # 2 principles x 2 areas
    # P1 x A1: A1.Q1, A1.Q2 -> 56.25 over 5
    assert (m.loc[("P1", "A1"), "questions"], m.loc[("P1", "A1"), "n"]) == (2, 5)
    assert m.loc[("P1", "A1"), "score"] == pytest.approx(56.25)
    # P1 x A2: no linked question -> no score
    assert m.loc[("P1", "A2"), "questions"] == 0 and math.isnan(m.loc[("P1", "A2"), "score"])
    # P2 x A1: A1.Q2 only -> (50 + 100) / 2 = 75 over 2
    assert m.loc[("P2", "A1"), "score"] == pytest.approx(75) and m.loc[("P2", "A1"), "n"] == 2
    # P2 x A2: A2.Q1 -> 25 over 1, thin
    assert m.loc[("P2", "A2"), "score"] == pytest.approx(25) and m.loc[("P2", "A2"), "thin"]


def test_disagreements_need_two_levels_and_some_spread(fw):
    # respondent 2 answers A1.Q2 with level 2 instead of don't know: A1.Q2 now has levels 2, 2, 4
    rows = [r for r in MAIN if r[2:4] != ("A1.Q2", "dont_know")] + [(2, "employer", "A1.Q2", 2, "", "")]
    d = scores.disagreements(frame(rows), fw, top=5)
    # A1.Q1 (sd 1.633) then A1.Q2 (levels 2, 2, 4: mean 8/3, sd sqrt(((2/3)^2 * 2 + (4/3)^2) / 3) = 0.943);
    # A2.Q1 has a single level and is left out
    assert d["code"].tolist() == ["A1.Q1", "A1.Q2"]
    assert d["spread"].tolist() == pytest.approx([math.sqrt(8 / 3), math.sqrt(8 / 9)])
    assert d["levels"].tolist() == [[0, 2, 4], [2, 2, 4]]
    assert d["n"].tolist() == [3, 3]
    assert scores.disagreements(frame(MAIN), fw, top=1)["code"].tolist() == ["A1.Q1"]
    # everyone agreeing is not a disagreement
    same = [(1, "employer", "A1.Q1", 3, "", ""), (2, "housing", "A1.Q1", 3, "", "")]
    assert scores.disagreements(frame(same), fw).empty


def test_sector_coverage(fw):
    cov = scores.sector_coverage(frame(MAIN), fw, ["local-authority", "employer", "housing"])
    # local-authority: respondent 1 (3 answers) + respondent 3 (2; the text-only row is no answer) = 5
    assert cov["answered"] == {"local-authority": 5, "employer": 3, "housing": 0}
    assert cov["respondents"] == {"local-authority": 2, "employer": 1, "housing": 0}
    assert cov["missing"] == ["housing"] and cov["thin"] == []
    # police (not expected) answers one of three questions: fewer than half -> thin, listed after the expected
    rows = [(1, "local-authority", q, 2, "", "") for q in ("A1.Q1", "A1.Q2", "A2.Q1")]
    rows += [(2, "police", "A1.Q1", "dont_know", "", ""), (3, "housing", "A1.Q1", None, "", "")]
    cov = scores.sector_coverage(frame(rows), fw, ["local-authority", "housing"])
    assert cov["answered"] == {"local-authority": 3, "housing": 0, "police": 1}
    assert cov["missing"] == ["housing"] and cov["thin"] == ["police"]


def test_evidence_coverage(fw):
    ev = scores.evidence_coverage(frame(MAIN), fw)
    # scored answers: 6; backed: respondent 1's A1.Q1 (evidence) and respondent 2's A2.Q1 (link) -> 2 / 6.
    # The don't-know with evidence is not scored; blank evidence ("   ") is no evidence.
    assert ev["share"] == pytest.approx(2 / 6) and ev["n"] == 6
    # A1: 1 of 5; A2: 1 of 1
    assert ev["areas"] == [{"code": "A1", "share": pytest.approx(0.2), "n": 5},
                           {"code": "A2", "share": pytest.approx(1.0), "n": 1}]


def test_compare_directions():
    current = pd.DataFrame({"score": [50, 51.5, 40, 60, math.nan]}, index=["A", "B", "C", "D", "E"])
    previous = pd.DataFrame({"score": [48, 55, math.nan, 57.9, 30]}, index=["A", "B", "C", "D", "E"])
    out = scores.compare(current, previous)
    # A +2 (within 2 points) same; B -3.5 down; C no previous -> new; D +2.1 up; E no score now -> null
    assert out["direction"].tolist() == ["same", "down", "new", "up", None]
    assert out["change"].tolist()[:2] == pytest.approx([2, -3.5])
    assert out.loc["C", "previous"] is None and out.loc["E", "change"] is None
    assert scores.compare(current, None)["direction"].tolist() == ["new"] * 4 + [None]


def test_strengths_and_gaps_ignore_thin_scores(fw):
    df = frame(MAIN)
    areas, questions = scores.area_scores(df, fw), scores.question_scores(df, fw)
    strengths, gaps = scores.strengths_and_gaps(areas, questions, n_areas=2, n_questions=1)
    # areas: only A1 (56.25) is not thin -> a strength, and then nothing is left for gaps.
    # questions (not thin): A1.Q2 75 (n 2), A1.Q1 50 (n 3); A2.Q1 (25, n 1) is thin and ignored.
    assert [(s["kind"], s["code"]) for s in strengths] == [("area", "A1"), ("question", "A1.Q2")]
    assert [(g["kind"], g["code"], g["score"]) for g in gaps] == [("question", "A1.Q1", pytest.approx(50))]
    assert strengths[1]["title"] == "Is there a plan?"


def test_core_completeness(fw):
    q = scores.question_scores(frame(MAIN), fw)
    # core: A1.Q1 (50) and A2.Q1 (25). Level 2 of 4 -> threshold 50: A1.Q1 meets it (at), A2.Q1 does not.
    assert scores.core_completeness(q, fw) == {"level": 2, "threshold": 50.0, "share": 0.5, "n_core": 2, "n_met": 1,
                                           "n_scored": 2}
    # level 1 -> threshold 25: both met
    assert scores.core_completeness(q, fw, level=1)["share"] == 1.0
    # a core question nobody scored counts as not met
    q2 = scores.question_scores(frame([(1, "employer", "A1.Q1", 4, "", "")]), fw)
    assert scores.core_completeness(q2, fw) == {"level": 2, "threshold": 50.0, "share": 0.5, "n_core": 2,
                                            "n_met": 1, "n_scored": 1}


def test_revoked_respondents_and_unknown_questions_are_ignored(fw):
    df = frame(MAIN + [(9, "employer", "A1.Q1", 0, "", ""), (1, "local-authority", "A9.Q9", 0, "", "")])
    df.loc[df["respondent_id"] == 9, "status"] = "revoked"
    assert scores.question_scores(df, fw).loc["A1.Q1", "score"] == pytest.approx(50)  # still 100, 50, 0
    assert scores.overall_score(df, fw)["n"] == 6


def test_previous_round_skips_empty_rounds_and_other_frameworks(fw_path):
    rounds = [Round(r, r, fw, "1", None, False) for r, fw in
              (("r0", str(fw_path)), ("r1", str(fw_path)), ("rx", "educating-cities"), ("r2", str(fw_path)),
               ("r3", str(fw_path)))]
    answers = pd.concat([frame(PREVIOUS, "r1"), frame(MAIN, "rx"), frame(MAIN, "r2"), frame(MAIN, "r3")])
    # rx has answers but another framework; r0 has no answers; r3 comes later
    assert reports.previous_round(rounds, "r2", answers, "tiny") == "r1"
    assert reports.previous_round(rounds, "r1", answers, "tiny") is None


# -- the whole report, through a real store ---------------------------------------------------------------
@pytest.fixture
def cities_root(tmp_path):
    root = tmp_path / "cities"
    for slug, name in (("x", "Exton"), ("y", "Wyford"), ("z", "Zedby")):
        (root / slug).mkdir(parents=True)
        (root / slug / "city.yaml").write_text(yaml.safe_dump({
            "slug": slug, "name": name, "nation": "England", "phase": 1, "year_joined": 2017,
            "leadership": {"senior_lead": "Leader", "operational_lead": "Officer"},
            "taskforce_sectors": ["local-authority", "employer", "housing"], "context": "A test city."}))
    (root / "convenings.yaml").write_text(yaml.safe_dump({"convenings": [
        {"id": "conv-2", "title": "Second meeting", "city": None, "date": "2020-03-01", "month_only": True,
         "phase": 1, "note": "Online."}]}))
    return root


def fill(store: Store, round_id: str, city: str, rows) -> None:
    """Save `rows` (as for `frame`) through the store, one respondent per respondent id."""
    people = {}
    for rid, sector, question, value, evidence, links in rows:
        if rid not in people:
            people[rid], _ = store.add_respondent(round_id, city, sector, label=f"{sector}-{rid}")
        response = value if value in ("dont_know", "na", None) else "level"
        store.save_answer(people[rid], question, response=response, level=value if response == "level" else None,
                          evidence=evidence, links=links, comment="text only" if value is None else "")


@pytest.fixture
def store(tmp_path, fw_path, cities_root):
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round("r1", str(fw_path), title="Round one")
    s.create_round("r2", str(fw_path), title="Round two", convening="conv-2")
    fill(s, "r1", "x", PREVIOUS)
    fill(s, "r2", "x", MAIN)
    return s


def doc_keys() -> list[str]:
    """The top-level keys of diagnostics.json listed in the contract (before the knowledge-exchange part)."""
    block = DOC.read_text().split("```json")[1].split("// added by the knowledge-exchange")[0]
    return re.findall(r'^  "(\w+)":', block, flags=re.M)


def test_city_report_numbers_and_shape(store, cities_root):
    report = reports.city_report(store, "x", "r2", cities=cities_root)
    assert isinstance(report, CityReport)
    r = to_data(report)
    json.dumps(r, allow_nan=False)  # plain JSON, no NaN
    assert set(doc_keys()) <= set(r) and len(doc_keys()) >= 15
    assert r["synthetic"] is False and r["notice"] is None
    assert r["city"] == {"slug": "x", "name": "Exton", "local_name": None, "nation": "England", "phase": 1,
                         "languages": []}
    assert r["round"] == {"id": "r2", "title": "Round two", "convening": "conv-2",
                          "convening_title": "Second meeting", "convening_when": "March 2020"}
    assert r["previous_round"] == "r1"
    # 9 rows: 8 with a response (6 levels, 1 don't know, 1 n/a) + 1 text only; 3 people x 3 questions - 8 = 1
    assert r["counts"] == {"respondents": 3, "answers": 8, "scored": 6, "dont_know": 1, "na": 1, "unanswered": 1,
                           "questions": 3}
    # overall 475 / 9 = 52.78 -> 52.8, Established
    assert r["overall"] | {"tier_description": None} == {"score": 52.8, "n": 6, "thin": False,
                                                         "tier": "Established", "tier_description": None}
    areas = {a["code"]: a for a in r["areas"]}
    # previous A1: A1.Q1 50 (x2), 25 (x2); A1.Q2 50 (x1) -> (100 + 50 + 50) / 5 = 40; now 56.25 -> +16.25 up
    assert (areas["A1"]["score"], areas["A1"]["previous"], areas["A1"]["change"]) == (56.2, 40.0, 16.2)
    assert areas["A1"]["direction"] == "up"
    # previous A2: only a don't know -> no score -> "new"
    assert (areas["A2"]["score"], areas["A2"]["previous"], areas["A2"]["direction"]) == (25.0, None, "new")
    assert areas["A2"]["thin"] is True
    principles = {p["code"]: p for p in r["principles"]}
    # P2 previous: A1.Q2 = 50 (one answer); now 58.33 -> +8.3 up
    assert (principles["P2"]["score"], principles["P2"]["previous"], principles["P2"]["change"]) == (58.3, 50.0, 8.3)
    q = {x["code"]: x for x in r["questions"]}
    assert q["A1.Q1"] | {"text": None} == {"code": "A1.Q1", "area": "A1", "text": None, "core": True, "weight": 2.0,
                                           "principles": ["P1"], "score": 50.0, "n": 3, "thin": False,
                                           "dont_know": 0, "na": 0, "spread": 1.63, "levels": [0, 2, 4]}
    assert q["A2.Q1"]["spread"] is None
    assert [d["code"] for d in r["disagreements"]] == ["A1.Q1", "A1.Q2"]
    assert r["sectors"]["missing"] == ["housing"]
    assert r["evidence"]["share"] == 0.333
    assert r["core"]["share"] == 0.5
    assert {"kind": "area", "code": "A1", "title": "Story", "score": 56.2, "n": 5} in r["strengths"]
    matrix = {(c["principle"], c["area"]): c for c in r["matrix"]}
    assert matrix[("P1", "A2")] == {"principle": "P1", "area": "A2", "questions": 0, "score": None, "n": 0,
                                    "thin": True}


def test_city_report_of_a_city_without_answers(store, cities_root):
    r = to_data(reports.city_report(store, "y", "r2", cities=cities_root))
    json.dumps(r, allow_nan=False)
    assert r["counts"] == {"respondents": 0, "answers": 0, "scored": 0, "dont_know": 0, "na": 0, "unanswered": 0,
                           "questions": 3}
    assert r["overall"] == {"score": None, "n": 0, "thin": True, "tier": None, "tier_description": None}
    assert r["previous_round"] is None
    assert all(a["score"] is None and a["n"] == 0 and a["direction"] is None for a in r["areas"])
    assert r["sectors"]["missing"] == ["local-authority", "employer", "housing"]
    assert r["evidence"] == {"share": None, "n": 0, "areas": [{"code": "A1", "share": None, "n": 0},
                                                              {"code": "A2", "share": None, "n": 0}]}
    assert r["strengths"] == [] and r["gaps"] == [] and r["disagreements"] == []
    assert r["core"]["share"] == 0.0


def test_city_report_accepts_a_preloaded_slice_and_flags_synthetic(store, cities_root):
    answers = pd.concat([frame(PREVIOUS, "r1"), frame(MAIN, "r2", synthetic=True), frame(MAIN, "r2", city="y")])
    r = to_data(reports.city_report(store, "x", "r2", answers=answers, cities=cities_root))
    assert r["synthetic"] is True and "Synthetic" in r["notice"]
    assert r["overall"]["score"] == 52.8 and r["previous_round"] == "r1"
    assert r["counts"]["respondents"] == 3  # city y's rows are ignored


def test_city_report_refuses_bad_parameters(store, cities_root):
    with pytest.raises(ICFError, match="not valid"):
        reports.city_report(store, "../x", "r2", cities=cities_root)
    with pytest.raises(NotFoundError, match="unknown city"):
        reports.city_report(store, "nowhere", "r2", cities=cities_root)
    with pytest.raises(NotFoundError, match="unknown round 'r9'; rounds in this store: r1, r2"):
        reports.city_report(store, "x", "r9", cities=cities_root)


def test_write_json_is_atomic_and_strict(store, cities_root, tmp_path):
    report = reports.city_report(store, "x", "r2", cities=cities_root)
    path = reports.write_json(report, tmp_path / "out" / "d.json")
    assert json.loads(path.read_text()) == to_data(report) and path.read_bytes() == dump_json(report)
    assert load_report(path) == report
    data = to_data(report)
    data["overall"]["score"] = math.nan  # a NaN never becomes a report, so it never reaches a file
    with pytest.raises(ICFError, match=r"overall\.score: Input should be a finite number"):
        report_from_data(data)
    with pytest.raises(TypeError):
        reports.write_json({"a": 1.5}, tmp_path / "out" / "bad.json")  # a plain dict is not a report
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["d.json"]


# -- convening ---------------------------------------------------------------------------------------------
# City x: A1.Q1 4,4; A1.Q2 4,4; A2.Q1 0,0 -> A1 100 (n 4), A2 0 (n 2); overall (400 + 200 + 0) / 8 = 75
# City y: A1.Q1 2,2; A1.Q2 2,2; A2.Q1 1,1 -> A1 50, A2 25; overall (200 + 100 + 50) / 8 = 43.75
# City z: A1.Q1 4; A1.Q2 0; A2.Q1 4 -> A1 (200 + 0) / 3 = 66.7 (n 2), A2 100 (n 1, thin); overall 300 / 4 = 75
def two(rid, q_levels, sector="local-authority"):
    return [(rid + i, sector, q, lv, "", "") for q, lv in q_levels for i in (0, 1)]


CONVENING = pd.concat([
    frame(two(1, [("A1.Q1", 4), ("A1.Q2", 4), ("A2.Q1", 0)]), "r2", "x"),
    frame(two(3, [("A1.Q1", 2), ("A1.Q2", 2), ("A2.Q1", 1)]), "r2", "y"),
    frame([(5, "employer", "A1.Q1", 4, "", ""), (5, "employer", "A1.Q2", 0, "", ""),
           (5, "employer", "A2.Q1", 4, "", "")], "r2", "z"),
    frame([(6, "employer", "A1.Q1", 2, "", "")], "r1", "x"),  # x's previous round: A1 50 (n 1)
])


def test_convening_report(store, cities_root):
    report = reports.convening_report(store, "r2", answers=CONVENING, top=2, root=cities_root)
    assert isinstance(report, ConveningReport)
    c = to_data(report)
    json.dumps(c, allow_nan=False)
    assert [x["slug"] for x in c["cities"]] == ["x", "y", "z"]  # cities=None: every city with answers
    assert [x["overall"]["score"] for x in c["cities"]] == [75.0, 43.8, 75.0]
    assert [x["previous_round"] for x in c["cities"]] == ["r1", None, None]
    heat = {(h["city"], h["area"]): h for h in c["heatmap"]}
    assert len(heat) == 6
    assert (heat[("x", "A1")]["score"], heat[("x", "A1")]["change"], heat[("x", "A1")]["direction"]) == \
        (100.0, 50.0, "up")
    assert heat[("z", "A1")]["score"] == 66.7 and heat[("z", "A2")]["thin"] is True
    assert heat[("y", "A2")]["direction"] == "new"
    # strongest (top 2, thin ignored): A1 x 100, z 66.7; A2 y 25, x 0 (z's 100 is thin)
    best = {s["area"]: [x["city"] for x in s["cities"]] for s in c["strongest"]}
    assert best == {"A1": ["x", "z"], "A2": ["y", "x"]}
    # common gaps: A2 is below the city's overall in x (0 < 75) and y (25 < 43.75); z is thin -> 2 of 2.
    # A1 is low only in z (66.7 < 75): 1 of 3, not a common gap.
    assert c["common_gaps"] == [{"area": "A2", "title": "Work", "low_in": 2, "of": 2, "share": 1.0, "mean": 12.5,
                                 "cities": ["x", "y"]}]
    assert c["synthetic"] is False and c["notice"] is None


def test_convening_report_with_chosen_cities(store, cities_root):
    c = to_data(reports.convening_report(store, "r2", cities="y, nowhere", answers=CONVENING, root=cities_root))
    assert [(x["slug"], x["name"]) for x in c["cities"]] == [("y", "Wyford"), ("nowhere", "nowhere")]
    assert c["cities"][1]["overall"]["score"] is None and c["cities"][1]["answers"] == 0
    with pytest.raises(ICFError, match="not valid"):
        reports.convening_report(store, "r2", cities=["../etc"], answers=CONVENING, root=cities_root)
