"""The numbers a city's dashboard shows beyond its report: the change across every round, the city beside the
programme's median and range, and the answers behind each question (the drill-down).

Like the rest of `icframework.analysis`, these are computed from the answers table with the scoring functions of
`scores.py` (so a dashboard and a brief never disagree), and each has a chart with a text alternative
(`trend_chart`, `benchmark_chart`: `icframework.analysis.charts.Figure`).

The programme's median and range follow the small-group rule of peer matching (`matching.MIN_GROUP`): an area is
compared only when at least that many cities, this one included, have a score there that is not thin; otherwise
the comparison is left out and says why. The median and range never name a city.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..i18n import N_, Translator, translator
from ..model.framework import Framework
from .charts import Figure, _spec, _synthetic_note, _title
from .matching import MIN_GROUP
from .models import CityReport
from .scores import area_scores, overall_score, question_table

OVERALL = "Overall"  # the key of the overall score in `trend`'s table; shown as `tr._(OVERALL_LABEL)`
OVERALL_LABEL = N_("Overall")
NO_ANSWER_YET = N_("No answer yet")


def city_rounds(rounds: list, answers: pd.DataFrame) -> list:
    """The rounds (in the store's order) in which `answers` (one city's) has at least one answer."""
    have = set(answers["round"].unique()) if len(answers) else set()
    return [r for r in rounds if r.id in have]


def trend(rounds: list, answers: pd.DataFrame, fw: Framework, framework_codes: dict[str, str | None]) -> pd.DataFrame:
    """The city's overall and area scores in every round that used a framework with `fw`'s code (the store's
    order), one row per round and area: round, title, area (a code, or "Overall"), area_title, score, n, thin.

    `answers`: the city's answers to every round (already filtered by sector when the dashboard is);
    `framework_codes`: each round id's framework code (rounds of another framework are left out: their questions
    are not these)."""
    rows = []
    for r in rounds:
        if framework_codes.get(r.id) != fw.code:
            continue
        mine = answers[answers["round"] == r.id]
        if mine.empty:
            continue
        table = question_table(mine, fw)
        title = r.title or r.id
        overall = overall_score(table, fw)
        rows.append({"round": r.id, "title": title, "area": OVERALL, "area_title": OVERALL,
                     "score": overall["score"], "n": overall["n"], "thin": overall["thin"]})
        for code, a in area_scores(table, fw).iterrows():
            rows.append({"round": r.id, "title": title, "area": code, "area_title": a["title"],
                         "score": None if pd.isna(a["score"]) else float(a["score"]), "n": int(a["n"]),
                         "thin": bool(a["thin"])})
    return pd.DataFrame(rows, columns=["round", "title", "area", "area_title", "score", "n", "thin"])


@dataclass(frozen=True)
class Benchmark:
    """Per area: the city's score and the programme's median and range (`rows`), and a notice for the areas
    left out by the small-group rule."""

    rows: tuple[dict, ...]  # area, title, score, n, thin, cities, median, low, high, compared
    min_group: int
    notice: str | None


def benchmark(city: str, scores: pd.DataFrame, min_group: int = MIN_GROUP,
              tr: Translator | None = None) -> Benchmark:
    """The city beside the programme in one round, from every city's area scores (`exchange.round_scores`:
    city, area, title, score, n, thin). An area is compared when at least `min_group` cities (this one
    included) have a non-thin score in it; the median and range are over those cities."""
    rows, left_out = [], []
    for area, group in scores.groupby("area", sort=False):
        mine = group[group["city"] == city]
        usable = group[group["score"].notna() & ~group["thin"].astype(bool)]
        score = float(mine["score"].iloc[0]) if len(mine) and pd.notna(mine["score"].iloc[0]) else None
        compared = len(usable) >= min_group
        row = {"area": area, "title": str(group["title"].iloc[0]), "score": score,
               "n": int(mine["n"].iloc[0]) if len(mine) else 0,
               "thin": bool(mine["thin"].iloc[0]) if len(mine) else True,
               "cities": int(len(usable)), "compared": compared, "median": None, "low": None, "high": None}
        if compared:
            row.update(median=float(usable["score"].median()), low=float(usable["score"].min()),
                       high=float(usable["score"].max()))
        else:
            left_out.append(area)
        rows.append(row)
    notice = None
    if left_out:
        notice = (tr or translator())._(
            "Not compared: {areas}. A comparison needs at least {min_group} cities with enough answers in an area, "
            "so that no other city can be recognised.", areas=", ".join(left_out), min_group=min_group)
    return Benchmark(tuple(rows), min_group, notice)


def drilldown(answers: pd.DataFrame, fw: Framework, report: CityReport,
              tr: Translator | None = None) -> list[dict]:
    """Area -> questions -> answers, for the dashboard's drill-down: each area of the report with its questions
    (score, n, levels) and, per question, the answers given (sector, the answer in words, evidence, links),
    sorted by sector. Who gave an answer is not shown: only their sector (a taskforce sees its answers, not a
    roll call). `answers`: the city's answers to the round (already filtered by sector when the dashboard is)."""
    no_answer = (tr or translator())._(NO_ANSWER_YET)
    labels = {lv.value: lv.label for lv in fw.scale.levels}
    words = {"dont_know": fw.scale.dont_know.label, "na": fw.scale.not_applicable.label}
    if "status" in answers.columns:
        answers = answers[answers["status"] != "revoked"]
    given: dict[str, list[dict]] = {}
    for row in answers.sort_values(["sector", "respondent_id"]).itertuples():
        response = row.response if isinstance(row.response, str) else None
        text = ""
        if response == "level" and pd.notna(row.level):
            text = f"{labels.get(int(row.level), row.level)} ({int(row.level)})"
        elif response in words:
            text = words[response]
        evidence, links = (row.evidence or "").strip(), (row.links or "").strip()
        if not (text or evidence or links):
            continue
        given.setdefault(row.question, []).append({"sector": row.sector, "answer": text or no_answer,
                                                   "evidence": evidence, "links": links})
    questions = {q.code: q for q in report.questions}
    out = []
    for a in report.areas:
        qs = [{"code": q.code, "text": q.text, "score": q.score, "n": q.n, "thin": q.thin, "dont_know": q.dont_know,
               "na": q.na, "answers": given.get(q.code, [])} for q in questions.values() if q.area == a.code]
        out.append({"code": a.code, "title": a.title, "score": a.score, "n": a.n, "thin": a.thin, "questions": qs})
    return out


# -- charts -------------------------------------------------------------------------------------------------------

def trend_chart(report: CityReport, table: pd.DataFrame, tr: Translator | None = None) -> Figure:
    """Small multiples, one per area and one overall: the score in each round, every point labelled."""
    tr = tr or translator()
    overall = tr._(OVERALL_LABEL)
    short = short_titles(list(dict.fromkeys(table["title"])))
    rows = [{"round": short.get(r.title, r.title), "area": overall if r.area == OVERALL else f"{r.area} {r.area_title}",
             "score": r.score, "label": _label(r.score, r.n, r.thin, tr)}
            for r in table.itertuples() if r.score is not None and not pd.isna(r.score)]
    order = [short.get(t, t) for t in dict.fromkeys(table["title"])]
    x = {"field": "round", "type": "ordinal", "sort": order, "title": None,
         "axis": {"labelAngle": -30, "labelLimit": 180}}
    y = {"field": "score", "type": "quantitative", "scale": {"domain": [0, 100]}, "title": tr._("Score")}
    layer = [{"mark": {"type": "line", "point": True, "color": "#2b6cb0"}, "encoding": {"x": x, "y": y}},
             {"mark": {"type": "text", "dy": -9, "fontSize": 10, "color": "#111"},
              "encoding": {"x": x, "y": y, "text": {"field": "label"}}}]
    areas = list(dict.fromkeys(r["area"] for r in rows))
    spec = _spec(_title(report, tr._("change across every round")), rows, {
        "facet": {"field": "area", "type": "nominal", "title": None, "sort": areas,
                  "header": {"labelFontWeight": "bold", "labelLimit": 220}},
        "columns": 3, "spec": {"layer": layer, "width": 190, "height": 120}})
    lines = []
    for area, group in table.groupby("area", sort=False):
        points = [f"{r.title} {_label(r.score, r.n, r.thin, tr)}" for r in group.itertuples()]
        name = overall if area == OVERALL else f"{area} {group['area_title'].iloc[0]}"
        lines.append(f"{name}: " + "; ".join(points) + ".")
    rounds = len(order)
    alt = (tr.ngettext("Line charts of {city}'s scores (0 to 100) in {n} round, overall and per area.",
                       "Line charts of {city}'s scores (0 to 100) in {n} rounds, overall and per area.", rounds,
                       city=report.city.name)
           + " " + " ".join(lines) + _note(report, tr))
    return Figure(spec, alt)


def benchmark_chart(report: CityReport, bench: Benchmark, tr: Translator | None = None) -> Figure:
    """Per area: the programme's range (a line), its median (a tick) and the city's score (a dot, labelled)."""
    tr = tr or translator()
    rows = [{"area": f"{r['area']} {r['title']}", "score": r["score"], "median": r["median"], "low": r["low"],
             "high": r["high"],
             "label": tr._("{city} {score} · median {median}", city=report.city.name,
                           score=_label(r["score"], r["n"], r["thin"], tr), median=format(r["median"], ".0f"))}
            for r in bench.rows if r["compared"]]
    order = [r["area"] for r in rows]
    y = {"field": "area", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 260}}
    x = {"type": "quantitative", "scale": {"domain": [0, 100]}, "title": tr._("Score (0-100)")}
    spec = _spec(_title(report, tr._("beside the programme's median and range")), rows, {
        "layer": [
            {"mark": {"type": "rule", "color": "#888", "strokeWidth": 3},
             "encoding": {"y": y, "x": {**x, "field": "low"}, "x2": {"field": "high"}}},
            {"mark": {"type": "tick", "color": "#111", "thickness": 2, "size": 18},
             "encoding": {"y": y, "x": {**x, "field": "median"}}},
            {"mark": {"type": "point", "filled": True, "size": 90, "color": "#c05621"},
             "encoding": {"y": y, "x": {**x, "field": "score"}}},
            {"mark": {"type": "text", "align": "left", "dy": -12, "fontSize": 10, "color": "#111"},
             "encoding": {"y": y, "x": {**x, "field": "low"}, "text": {"field": "label"}}},
        ],
        "width": 360, "height": {"step": 40}})
    lines = [tr._("{area}: {city} {score}; programme median {median}, range {low} to {high} over {cities} cities.",
                  area=r["area"], city=report.city.name, score=_label(r["score"], r["n"], r["thin"], tr),
                  median=format(r["median"], ".0f"), low=format(r["low"], ".0f"), high=format(r["high"], ".0f"),
                  cities=r["cities"])
             for r in bench.rows if r["compared"]]
    alt = (tr._("Chart of {city}'s area scores (dots) beside the programme's range (lines) and median (ticks).",
                city=report.city.name)
           + " " + (" ".join(lines) if lines else tr._("No area can be compared."))
           + (f" {bench.notice}" if bench.notice else "") + _note(report, tr))
    return Figure(spec, alt)


def short_titles(titles: list[str]) -> dict[str, str]:
    """Round titles without the words they all begin with ("Self-assessment before the ..."), for axis labels
    that fit; a title is never shortened to nothing."""
    if len(titles) < 2:
        return {t: t for t in titles}
    words = [t.split(" ") for t in titles]
    common = 0
    while all(len(w) > common + 1 for w in words) and len({w[common] for w in words}) == 1:
        common += 1
    return {t: " ".join(w[common:]) for t, w in zip(titles, words, strict=True)}


def _label(score, n: int, thin: bool, tr: Translator | None = None) -> str:
    tr = tr or translator()
    if score is None or pd.isna(score):
        return tr._("no score")
    if thin:
        return tr._("{score} (n={n}, thin)", score=format(score, ".0f"), n=n)
    return tr._("{score} (n={n})", score=format(score, ".0f"), n=n)


def _note(report: CityReport, tr: Translator) -> str:
    """The synthetic-data notice at the end of a chart's text, in the language of the rest."""
    note = _synthetic_note(report)
    return " " + tr._(note.strip()) if note else ""
