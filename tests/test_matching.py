"""Peer matching: hand-worked optima, fair limits, thin scores, ties, minimum group, and enriched reports."""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pytest

from icframework.analysis.matching import GroupTooSmall, match, score_table


def table(cells: dict[str, dict[str, float]], thin: set[tuple[str, str]] = frozenset()) -> pd.DataFrame:
    """A long score table from {city: {area: score}}; only the cells given exist (n=10, thin if listed)."""
    rows = [{"city": c, "area": a, "score": s, "n": 10, "thin": (c, a) in thin}
            for c, areas in cells.items() for a, s in areas.items()]
    return pd.DataFrame(rows)


def chosen(plan) -> set[tuple[str, str, str]]:
    return {(p.learner, p.area, p.mentor) for p in plan.pairs}


def test_the_optimum_beats_taking_the_biggest_gap_first():
    # x can learn A1 from m1 (+60) or m2 (+50); y can learn A2 only from m1 (+55); each mentors once.
    # Taking the biggest gap first (x<-m1) leaves y with no one; the optimum pairs both: 50 + 55 = 105.
    scores = table({"x": {"A1": 20}, "y": {"A2": 30}, "m1": {"A1": 80, "A2": 85}, "m2": {"A1": 70}})
    plan = match(scores, k=1, focus=1, min_group=2)
    assert chosen(plan) == {("x", "A1", "m2"), ("y", "A2", "m1")}
    assert plan.total_potential == 105.0 and plan.learners == 2


def test_more_learners_come_before_a_bigger_total():
    # Alone, x<-m1 (+90) is the biggest total, but then y cannot learn (m1 mentors once).
    # Two learners (x<-m2 +16, y<-m1 +20 = 36) beat one learner with 90.
    scores = table({"x": {"A1": 5}, "y": {"A2": 60}, "m1": {"A1": 95, "A2": 80}, "m2": {"A1": 21, "A3": 10}})
    plan = match(scores, k=1, focus=1, min_group=2)
    assert chosen(plan) == {("x", "A1", "m2"), ("y", "A2", "m1")}
    assert plan.total_potential == 36.0
    assert {u["city"] for u in plan.unmatched} == {"m1", "m2"}


def test_no_city_mentors_more_than_k_times():
    # s is the only possible mentor (the learners are within 15 points of each other).
    scores = table({"s": {"A1": 90, "A2": 95}, "l1": {"A1": 10}, "l2": {"A1": 20}, "l3": {"A1": 24}})
    two = match(scores, k=2, min_group=2)
    assert chosen(two) == {("l1", "A1", "s"), ("l2", "A1", "s")}  # the two biggest gaps: 80 and 70
    assert [u["city"] for u in two.unmatched] == ["l3", "s"]
    assert "mentor the most allowed (2)" in two.unmatched[0]["reason"]
    three = match(scores, k=3, min_group=2)
    assert {p.learner for p in three.pairs} == {"l1", "l2", "l3"}
    assert three.total_potential == 80 + 70 + 66


def test_thin_scores_are_never_paired_and_a_city_with_no_gaps_learns_nothing():
    # t would be the best mentor but its score is thin; l2's only score is thin, so it is not in the group;
    # top scores highest everywhere, so no one can teach it.
    scores = table({"l": {"A1": 10}, "t": {"A1": 95, "A2": 50}, "m": {"A1": 40}, "l2": {"A1": 5},
                    "top": {"A1": 99, "A2": 99}}, thin={("t", "A1"), ("l2", "A1")})
    plan = match(scores, k=2, min_group=2)
    assert ("l", "A1", "m") in chosen(plan)
    assert all("t" not in (p.mentor, p.learner) or p.area != "A1" for p in plan.pairs)
    assert all("l2" not in (p.mentor, p.learner) for p in plan.pairs)
    assert plan.cities == 4  # l, t, m, top
    top = next(u for u in plan.unmatched if u["city"] == "top")
    assert "no city scores at least 15 points higher" in top["reason"]
    # t learns A2 (50) from top (99): its A2 score is not thin
    assert ("t", "A2", "top") in chosen(plan)


def test_only_the_weakest_areas_are_learned_and_the_gap_must_be_big_enough():
    # l's weakest areas are A1 (10) and A2 (20); A3 (30) is not in focus even though m is 65 points above there.
    scores = table({"l": {"A1": 10, "A2": 20, "A3": 30}, "m": {"A1": 24, "A2": 50, "A3": 95}})
    plan = match(scores, focus=2, min_group=2)
    assert chosen(plan) == {("l", "A2", "m")}  # A1: 24 - 10 = 14 < 15
    assert plan.pairs[0].potential == 30.0
    assert chosen(match(scores, focus=3, min_group=2)) == {("l", "A3", "m")}
    assert chosen(match(scores, focus=2, min_gap=10, min_group=2)) == {("l", "A2", "m")}  # 30 > 14


def test_ties_go_to_the_alphabetically_first_mentor_and_learner():
    one = table({"l": {"A1": 20}, "mb": {"A1": 70}, "ma": {"A1": 70}})
    assert chosen(match(one, min_group=2)) == {("l", "A1", "ma")}
    # Two learners, two equal mentors, each mentoring once: both plans give 100; the first learner gets the
    # first mentor.
    two = table({"l2": {"A1": 20}, "l1": {"A1": 20}, "mb": {"A1": 70}, "ma": {"A1": 70}})
    assert chosen(match(two, k=1, min_group=2)) == {("l1", "A1", "ma"), ("l2", "A1", "mb")}


def test_learning_twice_never_repeats_a_mentor_or_an_area():
    # l may learn twice: A1 from m (+70) and A2 from m (+40) would repeat m, so A2 comes from n (+30).
    scores = table({"l": {"A1": 10, "A2": 20}, "m": {"A1": 80, "A2": 60}, "n": {"A2": 50}})
    plan = match(scores, learns=2, k=2, min_group=2)
    assert chosen(plan) == {("l", "A1", "m"), ("l", "A2", "n")}
    assert plan.total_potential == 100.0


def test_the_plan_is_reproducible_whatever_the_row_order():
    rng = random.Random(7)
    cells = {c: {a: rng.choice([20, 40, 60, 80]) for a in ("A1", "A2", "A3")} for c in "abcdefgh"}
    scores = table(cells)
    first = match(scores)
    for seed in range(3):
        shuffled = scores.sample(frac=1, random_state=seed)
        assert match(shuffled).pairs == first.pairs


def test_peer_comparisons_need_a_minimum_group():
    scores = table({c: {"A1": 10 * i} for i, c in enumerate("abcd", 1)})
    with pytest.raises(GroupTooSmall, match="only 4 cities .* at least 5"):
        match(scores)
    assert match(scores, min_group=4).cities == 4
    # a city with only thin scores does not count towards the group
    with pytest.raises(GroupTooSmall):
        match(table({c: {"A1": 10 * i} for i, c in enumerate("abcde", 1)}, thin={("e", "A1")}))


def test_each_pair_is_explained_with_its_numbers():
    scores = table({"cardiff": {"A1": 30, "A2": 70}, "bristol": {"A1": 75, "A2": 80}})
    plan = match(scores, min_group=2, focus=1, names={"cardiff": "Cardiff", "bristol": "Bristol"})
    (pair,) = plan.pairs
    assert (pair.learner, pair.mentor, pair.area, pair.potential) == ("cardiff", "bristol", "A1", 45.0)
    assert pair.why == ("Cardiff scores 30/100 in A1 from 10 answers, its weakest area; Bristol scores "
                        "75/100 from 10 answers, 45 points higher.")


def test_scores_may_come_as_report_areas():
    by_city = {"a": [{"code": "A1", "title": "Leading", "score": 10.0, "n": 5, "thin": False}],
               "b": [{"code": "A1", "title": "Leading", "score": None, "n": 0, "thin": True}]}
    df = score_table(by_city)
    assert df.to_dict("records") == [{"city": "a", "area": "A1", "score": 10.0, "n": 5, "thin": False,
                                      "title": "Leading"}]


def _brute_force(scores: pd.DataFrame, k: int, min_gap: float, focus: int, learns: int) -> tuple[int, float]:
    """(learners, total potential) of the best plan, by trying every choice of pairs for every learner."""
    solid = scores[~scores["thin"]]
    choices = []
    for city, g in solid.groupby("city"):
        arcs = []
        for _, weak in g.sort_values(["score", "area"]).head(focus).iterrows():
            others = solid[(solid["area"] == weak["area"]) & (solid["city"] != city)]
            arcs += [(weak["area"], m, round(s - weak["score"], 1))
                     for m, s in zip(others["city"], others["score"], strict=True) if s - weak["score"] >= min_gap]
        # every set of at most `learns` pairs with distinct areas and distinct mentors
        choices.append([c for r in range(learns + 1) for c in itertools.combinations(arcs, r)
                        if len({a for a, _, _ in c}) == len(c) == len({m for _, m, _ in c})])
    best = (0, 0.0)
    for combo in itertools.product(*choices):
        mentors = [m for c in combo for _, m, _ in c]
        if any(mentors.count(m) > k for m in mentors):
            continue
        best = max(best, (sum(1 for c in combo if c), round(sum(p for c in combo for _, _, p in c), 1)))
    return best


@pytest.mark.parametrize("seed", range(16))
def test_the_solver_finds_what_trying_every_plan_finds(seed):
    rng = random.Random(seed)
    focus, learns = (1, 1) if seed < 8 else (2, 2)
    cities = [f"c{i}" for i in range(rng.randint(5, 7) if learns == 1 else 5)]
    rows = [{"city": c, "area": a, "score": float(rng.randint(0, 20) * 5), "n": 4, "thin": rng.random() < 0.15}
            for c in cities for a in ("A1", "A2", "A3")]
    scores = pd.DataFrame(rows)
    k = rng.choice([1, 2])
    try:
        plan = match(scores, k=k, focus=focus, learns=learns, min_group=2)
    except GroupTooSmall:
        pytest.skip("every score thin")
    assert (plan.learners, plan.total_potential) == _brute_force(scores, k, 15.0, focus, learns)
    assert all(sum(p.mentor == m for p in plan.pairs) <= k for m in cities)
    assert all(sum(p.learner == c for p in plan.pairs) <= learns for c in cities)


# -- enriched reports, through a real store ---------------------------------------------------------------------
LEVELS = {  # one respondent per city answers every question of an area at this level: area score = level x 25
    "belfast": {"A1": 1, "A2": 3, "A3": 3, "A4": 3, "A5": 3},
    "bristol": {"A1": 3, "A2": 3, "A3": 3, "A4": 3, "A5": 4},
    "cardiff": {"A1": 3, "A2": 3, "A3": 3, "A4": 2, "A5": 1},
    "glasgow": {"A1": 4, "A2": 2, "A3": 4, "A4": 4, "A5": 3},
    "london": {"A1": 4, "A2": 4, "A3": 1, "A4": 4, "A5": 3},
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from icframework.model.framework import load_framework
    from icframework.store import Store, bulk_answers

    s = Store(f"sqlite:///{tmp_path_factory.mktemp('kx') / 'icf.sqlite3'}")
    s.create_round("r1", "inclusive-cities", convening="virtual-2020-03")
    fw = load_framework("inclusive-cities")
    for city, levels in LEVELS.items():
        resp, _ = s.add_respondent("r1", city, "local-authority", with_code=False)
        bulk_answers(s, [{"respondent_id": resp.id, "question": q.code, "response": "level",
                          "level": levels[q.area]} for q in fw.questions], actor="test")
    return s


def test_a_round_plan_from_the_store(store):
    from icframework.analysis.exchange import round_pairs

    data = round_pairs(store, "r1")
    pairs = {(p["learner"], p["area"]): p for p in data["pairs"]}
    # Cardiff's weakest area is A5 (25); Bristol's 100 there is the only +75, so the optimum takes it.
    assert pairs[("cardiff", "A5")]["mentor"] == "bristol" and pairs[("cardiff", "A5")]["potential"] == 75.0
    # Upper bound reached: Belfast +75 (A1), Bristol +25, Cardiff +75, Glasgow +50 (A2 from London), London +75
    assert data["total_potential"] == 300.0 and data["learners"] == 5 and data["notice"] is None
    assert pairs[("glasgow", "A2")]["mentor"] == "london" and pairs[("london", "A3")]["mentor"] == "glasgow"
    assert round_pairs(store, "r1", min_group=6)["notice"].startswith("No peer pairs: only 5 cities")


def test_an_enriched_city_report_shows_practices_and_peers_for_its_gaps(store):
    from icframework.analysis.exchange import enrich_report, round_pairs
    from icframework.analysis.reports import city_report
    from icframework.model.practices import load_practices

    report = city_report(store, "cardiff", "r1")
    out = enrich_report(report, pairs=round_pairs(store, "r1")).model_dump(mode="json")
    assert report.practices is None and "practices" not in report.model_dump()  # the input is left as it was
    # gaps: the two weakest areas (A5 25, A4 50) and the two weakest principles of this report
    principles = sorted((p.score, p.code) for p in report.principles if not p.thin)
    gap_codes = {"A5", "A4", principles[0][1], principles[1][1]}
    assert 1 <= len(out["practices"]) <= 5
    library = {p.id: p for p in load_practices()}
    for s in out["practices"]:
        assert s["matched"] and set(s["matched"]) <= gap_codes
        assert set(s["matched"]) <= set(library[s["id"]].areas) | set(library[s["id"]].principles)
        assert "Fits your" in s["why"]
    # an A5 practice (weakest area: weight 4) outranks any practice that fits only A4 (weight 2)
    assert any("A5" in s["matched"] for s in out["practices"])  # the order is checked in test_practices.py
    assert out["peers"] == [next(dict(p, role="learner") for p in round_pairs(store, "r1")["pairs"]
                                 if p["learner"] == "cardiff")]
    assert out["peers"][0]["mentor"] == "bristol" and out["peers_notice"] is None
    # Cardiff's synthetic action plan, judged on the convening date (March 2020): worked out from the file
    assert out["actions"]["reference"] == "2020-03-01" and out["actions"]["synthetic"] is True
    assert "Synthetic" in out["actions"]["notice"]
    assert (out["actions"]["done"], out["actions"]["on_track"], out["actions"]["overdue"]) == (1, 2, 2)


def test_a_mentor_sees_whom_it_mentors_and_the_convening_gets_the_plan(store):
    from icframework.analysis.exchange import enrich_convening, enrich_report, round_pairs
    from icframework.analysis.reports import city_report, convening_report

    bristol = enrich_report(city_report(store, "bristol", "r1"), store=store).model_dump(mode="json")
    roles = {(p["role"], p["learner"]) for p in bristol["peers"]}
    assert ("mentor", "cardiff") in roles and any(r == "learner" for r, _ in roles)
    conv = enrich_convening(convening_report(store, "r1")).model_dump(mode="json")
    assert conv["pairs"]["pairs"] == round_pairs(store, "r1")["pairs"]  # the briefs agree with each other
    assert conv["pairs"]["total_potential"] == 300.0
    assert {p["learner"] for p in conv["pairs"]["pairs"]} == set(LEVELS)
    assert conv["pairs"]["pairs"][0]["learner_name"] == "Belfast" and "weakest" in conv["pairs"]["method"]


def test_without_a_plan_or_a_big_enough_group_the_report_says_so(store, tmp_path):
    from icframework.analysis.exchange import enrich_report, round_pairs
    from icframework.analysis.reports import city_report

    small = round_pairs(store, "r1", min_group=6)
    out = enrich_report(city_report(store, "cardiff", "r1"), pairs=small, cities_root=tmp_path).model_dump()
    assert out["peers"] == [] and out["peers_notice"].startswith("No peer pairs: only 5 cities")
    assert "actions" not in out  # no cities/cardiff/actions.yaml under tmp_path
    assert out["practices"]  # the bundled library is still there


def test_icf_match_prints_the_plan(store):
    from click.testing import CliRunner

    from icframework.cli import main

    res = CliRunner().invoke(main, ["match", "--round", "r1", "--store", store.url])
    assert res.exit_code == 0
    assert "5 pair(s), 5 of 5 cities learn, total learning potential 300 points" in res.output
    assert "Cardiff learns A5 from Bristol (+75): Cardiff scores 25/100 in A5" in res.output
    res = CliRunner().invoke(main, ["match", "--round", "r1", "--store", store.url, "--min-group", "6"])
    assert res.exit_code == 1 and "at least 6" in res.output


@pytest.mark.parametrize("seed", range(12))
def test_leaving_out_pairs_no_best_plan_uses_gives_the_same_plan(seed, monkeypatch):
    """`_usable` drops the pairs no plan with the most learners and the largest total uses; the tie-break then
    picks among the same plans, so the plan is the very same as with every pair (ties made common here)."""
    from icframework.analysis import matching

    rng = random.Random(seed)
    step = 5.0 if seed % 2 else 0.1  # coarse scores tie often
    cities = [f"c{i:02d}" for i in range(rng.randint(20, 60))]
    rows = [{"city": c, "area": a, "score": round(rng.randint(0, int(100 / step)) * step, 1), "n": 4,
             "thin": rng.random() < 0.1} for c in cities for a in ("A1", "A2", "A3", "A4", "A5")]
    k, focus = rng.choice([1, 2, 3]), rng.choice([1, 2])
    reduced = match(pd.DataFrame(rows), k=k, focus=focus)
    kept = []
    monkeypatch.setattr(matching, "_usable", lambda arcs, c, k: kept.append(len(arcs)) or range(len(arcs)))
    full = match(pd.DataFrame(rows), k=k, focus=focus)
    assert kept and reduced.pairs == full.pairs and reduced.unmatched == full.unmatched
