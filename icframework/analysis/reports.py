"""The reports a brief is made from: one city in one round (`city_report`, diagnostics.json) and the cities of a
round side by side (`convening_report`, convening.json), as the typed models of `icframework.analysis.models`
(the source of truth for their shape; docs/diagnostics-json.md describes it).

Both read the store once and compute every number with the pure functions of `icframework.analysis.scores`.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ICFError, NotFoundError
from ..model.framework import Framework, load_framework
from .models import FEW_PEOPLE, SCHEMA, CityReport, ConveningReport, write_json
from .scores import (
    SAME_WITHIN,
    RoundTables,
    _direction,
    area_scores,
    links_frame,
    prepare,
    principle_scores,
    share,
    tier,
)

__all__ = ["SCHEMA", "city_report", "common_gaps", "convening_report", "evidence_quotes", "jsonable", "parse_cities",
           "people_change", "previous_round", "quote_opt_outs", "strongest", "write_json"]

QUOTES_PER_AREA = 2  # evidence notes quoted per area in a city brief
QUOTE_LENGTH = 280  # characters; a longer note is cut at a word and ends with an ellipsis


def city_report(store, city_slug: str, round_id: str, framework: Framework | str | None = None, *,
                cities: Path | None = None, answers: pd.DataFrame | None = None, core_level: int = 2,
                top_disagreements: int = 5, no_quotes: set[int] | None = None) -> CityReport:
    """The diagnostics of one city in one round (diagnostics.json), validated by its model.

    `cities` is the programme's cities folder (default: the example programme icframework carries).

    Reads the store once for answers (this city, every round) unless `answers` is given: then it must hold this
    city's answers to this round and to earlier rounds (other rows are ignored), so a batch can pass slices.
    In a batch worker (`share_round_work()`), the figures of every city of the round are computed in one pass
    the first time and kept while the store is unchanged, so each later city costs only its assembly.
    `no_quotes`: ids of respondents who asked not to be quoted (default: `quote_opt_outs(store, round_id)`).
    """
    from ..model.cities import load_city
    from ..model.types import check_slug

    check_slug(city_slug, "city")
    check_slug(round_id, "round")
    city = load_city(city_slug, cities)
    if answers is None and _SHARED["on"] and not isinstance(framework, Framework):
        ctx = round_context(store, round_id, framework)
        if no_quotes is None:
            no_quotes = ctx.no_quotes
    else:
        rounds = store.list_rounds()
        this = _find_round(rounds, round_id)
        fw = _framework(framework, this)
        if answers is None:
            answers = store.answers_frame(None, city_slug)
        answers = answers[answers["city"] == city_slug]
        ctx = RoundContext(rounds, this, fw, RoundTables(answers, fw), None)
    if no_quotes is None:
        no_quotes = quote_opt_outs(store, round_id)
    return assemble_city(ctx, city, cities, core_level=core_level, top_disagreements=top_disagreements,
                         no_quotes=no_quotes)


@dataclass
class RoundContext:
    """What reports of one round are assembled from: the store's rounds, this round, its framework and the
    `RoundTables` of the answers (every city's, or one city's)."""

    rounds: list
    this: object
    fw: Framework
    tables: RoundTables
    no_quotes: set[int] | None


_SHARED: dict = {"on": False, "key": None, "ctx": None}


def share_round_work(on: bool = True) -> None:
    """In this process, compute the figures of every city of a round at once and keep them while the store is
    unchanged (its revision), for `city_report` calls without `answers`: what a batch worker wants, where one
    process makes the reports of many cities one after another."""
    _SHARED.update(on=on, key=None, ctx=None)


def shared_tables(store, round_id: str) -> RoundTables | None:
    """The round's kept tables (every city, this round and the earlier ones) when this process shares round work
    (`share_round_work`), else None: the peer plan then scores from the same pass as the cities' reports."""
    return round_context(store, round_id).tables if _SHARED["on"] else None


def round_context(store, round_id: str, framework: str | None = None) -> RoundContext:
    """The round's RoundContext over every city's answers, kept per store revision (see `share_round_work`)."""
    key = (store.url, store.revision(), round_id, framework)
    if _SHARED["key"] != key:
        _SHARED["key"], _SHARED["ctx"] = None, None
        rounds = store.list_rounds()
        this = _find_round(rounds, round_id)
        fw = _framework(framework, this)
        answers = store.answers_frame()
        upto = {r.id for r in rounds[: [r.id for r in rounds].index(round_id) + 1]}
        answers = answers[answers["round"].isin(upto)]
        _SHARED["key"], _SHARED["ctx"] = key, RoundContext(rounds, this, fw, RoundTables(answers, fw),
                                                            quote_opt_outs(store, round_id))
    return _SHARED["ctx"]


def _previous(ctx: RoundContext, slug: str) -> str | None:
    """`previous_round` from the rounds the city has answers in."""
    ids = [r.id for r in ctx.rounds]
    have = ctx.tables.rounds_of.get(slug, set())
    for r in reversed(ctx.rounds[: ids.index(ctx.this.id)]):
        if r.id in have and _framework_code(r.framework) == ctx.fw.code:
            return r.id
    return None


def _score_rows(ctx: RoundContext, slug: str, prev: str | None, kind: str) -> list[dict]:
    """Area or principle rows (SCORE_ROW): scores compared with the previous round (`scores.compare`), with the
    people behind them (`_with_people`)."""
    fw, t = ctx.fw, ctx.tables
    now_key, prev_key = (slug, ctx.this.id), (slug, prev) if prev else None
    now, before = t.scores(now_key, kind), t.scores(prev_key, kind)
    people = t.people[kind]
    out = []
    for code, r in now.items():
        score = r["score"]
        previous = before[code]["score"] if before is not None else None
        change = None if score is None or previous is None else score - previous
        direction = _direction(score, previous, change, SAME_WITHIN)
        row = {"code": code, **r, "previous": previous, "change": change, "direction": direction,
               "people": int(people.get((*now_key, code), 0)),
               "previous_n": None if prev_key is None else before[code]["n"],
               "previous_people": None if prev_key is None else int(people.get((*prev_key, code), 0))}
        row["few_people"] = direction in ("up", "down", "same") and (
            bool(row["thin"]) or row["previous_n"] < fw.thin_threshold or row["people"] < FEW_PEOPLE
            or row["previous_people"] < FEW_PEOPLE)
        out.append(row)
    return out


def _pick(rows: list[dict], kind: str, k: int, title: str) -> tuple[list[dict], list[dict]]:
    """`strengths_and_gaps` for one kind of row."""
    items = [{"kind": kind, "code": r["code"], "title": r[title], "score": float(r["score"]), "n": int(r["n"])}
             for r in rows if r["score"] is not None and not r["thin"]]
    best = sorted(items, key=lambda i: (-i["score"], i["code"]))[:k]
    named = {i["code"] for i in best}
    worst = [i for i in sorted(items, key=lambda i: (i["score"], i["code"])) if i["code"] not in named][:k]
    return best, worst


def _quotes(ctx: RoundContext, key: tuple, no_quotes, per_area: int = QUOTES_PER_AREA,
            length: int = QUOTE_LENGTH) -> list[dict]:
    """`evidence_quotes` of one (city, round)."""
    rows = [r for r in ctx.tables.quote_rows.get(key, []) if r[5] not in no_quotes]
    order = {a.code: i for i, a in enumerate(ctx.fw.areas)}
    out: list[dict] = []
    for area in sorted({r[0] for r in rows}, key=lambda a: order.get(a, len(order))):
        seen: set[str] = set()
        taken = 0
        for a, question, sector, note, date, _ in rows:
            if a != area:
                continue
            if taken >= per_area:
                break
            if note.casefold() in seen:
                continue
            seen.add(note.casefold())
            taken += 1
            out.append({"area": area, "question": question, "sector": str(sector), "text": _shorten(note, length),
                        "date": date})
    return out


def assemble_city(ctx: RoundContext, city, cities: Path | None, *, core_level: int = 2, top_disagreements: int = 5,
                  no_quotes=frozenset()) -> CityReport:
    """One city's report from the round's tables (plain Python: no pandas per city)."""
    fw, t, this, rounds = ctx.fw, ctx.tables, ctx.this, ctx.rounds
    slug = city.slug
    key = (slug, this.id)
    prev_round = _previous(ctx, slug)
    counts = t.count(key)
    questions = t.question_rows(key)
    areas = _score_rows(ctx, slug, prev_round, "area")
    principles = _score_rows(ctx, slug, prev_round, "principle")
    overall = t.overall(key)
    best_a, worst_a = _pick(areas, "area", 2, "title")
    best_q, worst_q = _pick(questions, "question", 3, "text")
    spread = sorted((q for q in questions if q["spread"] is not None and q["spread"] > 0),
                    key=lambda q: (-q["spread"], q["code"]))[:top_disagreements]
    threshold = level_threshold = core_level / fw.scale.max_level * 100
    core = [q for q in questions if q["core"]]
    met = sum(q["score"] is not None and q["score"] >= level_threshold - 1e-9 for q in core)
    synthetic = bool(this.synthetic or city.synthetic or counts["synthetic"])
    respondents, answered = counts["respondents"], counts["answers"]
    people = None
    if prev_round:
        a, b = t.who.get(key, set()), t.who.get((slug, prev_round), set())
        people = {"both": len(a & b), "only_now": len(a - b), "only_before": len(b - a), "different": a != b}
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
        "people_change": people,
        "framework": _framework_info(fw),
        "counts": {"respondents": respondents, "answers": answered, "scored": counts["scored"],
                   "dont_know": counts["dont_know"], "na": counts["na"],
                   "unanswered": respondents * len(fw.questions) - answered, "questions": len(fw.questions)},
        "overall": {**{k: overall[k] for k in ("score", "n", "thin")}, **tier(fw, overall["score"])},
        "areas": [{k: r[k] for k in ("code", *SCORE_ROW)} for r in areas],
        "principles": [{k: r[k] for k in ("code", *SCORE_ROW)} for r in principles],
        "matrix": t.matrix(key),
        "questions": questions,
        "disagreements": [{"code": q["code"], "text": q["text"], "spread": q["spread"], "levels": q["levels"],
                           "n": len(q["levels"])} for q in spread],
        "sectors": t.sector_coverage(key, city.taskforce_sectors),
        "evidence": t.evidence_coverage(key),
        "strengths": best_a + best_q,
        "gaps": worst_a + worst_q,
        "core": {"level": core_level, "threshold": threshold, "share": share(met, len(core)), "n_core": len(core),
                 "n_met": int(met), "n_scored": sum(q["score"] is not None for q in core)},
        "quotes": _quotes(ctx, key, no_quotes or frozenset()),
    }
    return CityReport.model_validate(jsonable(report))


def convening_report(store, round_id: str, cities: list[str] | str | None = None, *, root: Path | None = None,
                     answers: pd.DataFrame | None = None, top: int = 3) -> ConveningReport:
    """Cities side by side for a convening (convening.json), validated by its model.

    `cities`: slugs (a list, or one comma-separated string); None means every city with answers in the round.
    `root` is the programme's cities folder (default: the example programme icframework carries). Reads the store
    once for answers (all cities, all rounds) unless `answers` is given; every city's figures come from one pass
    over the answers (`scores.RoundTables`).
    """
    from ..model.cities import load_city
    from ..model.types import check_slug

    check_slug(round_id, "round")
    if answers is None and cities is None and _SHARED["on"]:  # a batch worker: the tables its cities use too
        ctx = round_context(store, round_id)
        rounds, this, fw = ctx.rounds, ctx.this, ctx.fw
        slugs = sorted({c for c, r in ctx.tables.keys if r == round_id})
    else:
        rounds = store.list_rounds()
        this = _find_round(rounds, round_id)
        fw = _framework(None, this)
        if answers is None:
            answers = store.answers_frame()
        current = answers[answers["round"] == round_id]
        slugs = parse_cities(cities) if cities is not None else sorted(current["city"].unique())
        for slug in slugs:
            check_slug(slug, "city")
        upto = {r.id for r in rounds[: [r.id for r in rounds].index(round_id) + 1]}
        mine = answers[answers["city"].isin(slugs) & answers["round"].isin(upto)]
        ctx = RoundContext(rounds, this, fw, RoundTables(mine, fw), None)

    rows, heat, synthetic = [], [], bool(this.synthetic)
    for slug in slugs:
        try:
            city = load_city(slug, root)
            name, nation, phase, synthetic = city.name, city.nation, city.phase, synthetic or city.synthetic
        except NotFoundError:
            name, nation, phase = slug, None, None
        key = (slug, round_id)
        counts = ctx.tables.count(key)
        synthetic = synthetic or counts["synthetic"]
        prev = _previous(ctx, slug)
        overall = ctx.tables.overall(key)
        people = None
        if prev:
            a, b = ctx.tables.who.get(key, set()), ctx.tables.who.get((slug, prev), set())
            people = {"both": len(a & b), "only_now": len(a - b), "only_before": len(b - a), "different": a != b}
        rows.append({"slug": slug, "name": name, "nation": nation, "phase": phase, "previous_round": prev,
                     "previous_round_title": _title(rounds, prev), "people_change": people,
                     "respondents": counts["respondents"], "answers": counts["answers"],
                     "overall": {**{k: overall[k] for k in ("score", "n", "thin")}, **tier(fw, overall["score"])}})
        for r in _score_rows(ctx, slug, prev, "area"):
            heat.append({"city": slug, "area": r["code"], "score": r["score"], "n": r["n"], "thin": r["thin"],
                         **{k: r[k] for k in SCORE_ROW[5:]}})

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


def strongest(heat: list[dict], fw: Framework, top: int = 3) -> list[dict]:
    """Per area, the `top` cities with the highest non-thin score (best first)."""
    out = []
    for a in fw.areas:
        cells = [c for c in heat if c["area"] == a.code and c["score"] is not None and not c["thin"]]
        best = sorted(cells, key=lambda c: (-c["score"], c["city"]))[:top]
        out.append({"area": a.code, "title": a.title,
                    "cities": [{"city": c["city"], "score": c["score"], "n": c["n"]} for c in best]})
    return out


def common_gaps(heat: list[dict], cities: list[dict], fw: Framework) -> list[dict]:
    """Areas that are low in most cities: an area is *low* for a city when its (non-thin) score is below the
    city's own overall score; it is a common gap when it is low in more than half of the cities that have a
    non-thin score for it. Sorted by share of cities (highest first), then by mean score (lowest first)."""
    overall = {c["slug"]: c["overall"]["score"] for c in cities}
    out = []
    for a in fw.areas:
        cells = [c for c in heat if c["area"] == a.code and c["score"] is not None and not c["thin"]
                 and overall.get(c["city"]) is not None]
        low = sorted(c["city"] for c in cells if c["score"] < overall[c["city"]])
        if cells and len(low) > len(cells) / 2:
            out.append({"area": a.code, "title": a.title, "low_in": len(low), "of": len(cells),
                        "share": len(low) / len(cells), "mean": sum(c["score"] for c in cells) / len(cells),
                        "cities": low})
    return sorted(out, key=lambda g: (-g["share"], g["mean"], g["area"]))


SCORE_ROW = ["title", "score", "n", "thin", "dont_know", "previous", "change", "direction", "people", "previous_n",
             "previous_people", "few_people"]


def _people(prepared: pd.DataFrame | None, fw: Framework, by: str) -> pd.Series:
    """How many people gave a level, per area or per principle (`by`)."""
    if prepared is None:
        return pd.Series(dtype=int)
    scored = prepared[prepared["scored"]]
    if by == "principle":
        scored = scored.merge(links_frame(fw), on="question")
    return scored.groupby(by)["respondent_id"].nunique()


def _with_people(table: pd.DataFrame, now: pd.DataFrame, before: pd.DataFrame | None, fw: Framework,
                 by: str) -> pd.DataFrame:
    """A compared score table (`scores.compare`) with `people` and `previous_people` (people who gave a level),
    `previous_n` and `few_people`: the change rests on few answers, because this or the previous score comes
    from fewer than FEW_PEOPLE people or from too few answers (thin). A row with nothing to compare is never
    marked."""
    out = table.copy()
    people, earlier = _people(now, fw, by), _people(before, fw, by)
    prev_n = (area_scores(before, fw) if by == "area" else principle_scores(before, fw))["n"] \
        if before is not None else pd.Series(dtype=int)
    out["people"] = [int(people.get(code, 0)) for code in out.index]
    out["previous_n"] = [None if before is None else int(prev_n.get(code, 0)) for code in out.index]
    out["previous_people"] = [None if before is None else int(earlier.get(code, 0)) for code in out.index]
    out["few_people"] = [
        r["direction"] in ("up", "down", "same")
        and (bool(r["thin"]) or r["previous_n"] < fw.thin_threshold
             or r["people"] < FEW_PEOPLE or r["previous_people"] < FEW_PEOPLE)
        for _, r in out.iterrows()]
    return out


def people_change(now: pd.DataFrame, before: pd.DataFrame) -> dict:
    """Who answered in both rounds, compared by respondent label and sector (ids differ from round to round):
    {both, only_now, only_before, different}. A person counts when they gave any response."""
    def who(df: pd.DataFrame) -> set[tuple[str, str]]:
        df = df[df["answered"]] if "answered" in df.columns else df
        return {(str(label), str(sector)) for label, sector in zip(df["respondent"], df["sector"], strict=True)}

    a, b = who(now), who(before)
    return {"both": len(a & b), "only_now": len(a - b), "only_before": len(b - a), "different": a != b}


def quote_opt_outs(store, round_id: str) -> set[int]:
    """Ids of the round's respondents who asked not to be quoted: a truthy `no_quotes` column in
    `store.respondents_frame(round_id)`, once the store has one; none before that."""
    frame = getattr(store, "respondents_frame", None)
    people = frame(round_id) if frame is not None else None
    if people is None or "no_quotes" not in people.columns:
        return set()
    chosen = [bool(v) and not (isinstance(v, float) and math.isnan(v)) for v in people["no_quotes"]]
    return {int(i) for i, yes in zip(people["respondent_id"], chosen, strict=True) if yes}


def evidence_quotes(answers: pd.DataFrame, fw: Framework, no_quotes: set[int] | frozenset[int] = frozenset(),
                    per_area: int = QUOTES_PER_AREA, length: int = QUOTE_LENGTH) -> list[dict]:
    """A few of the taskforce's own evidence notes per area, for a brief to quote: at most `per_area` per area,
    the most recently saved first, from scored answers with non-blank evidence, never from a respondent in
    `no_quotes`, never the same words twice in an area. Each is attributed only by sector (never a name or
    label); whitespace is collapsed and a note longer than `length` characters is cut at a word with "…"."""
    df = prepare(answers, fw)
    if not len(df) or "evidence" not in df.columns:
        return []
    df = df[df["scored"] & ~df["respondent_id"].isin(list(no_quotes))]
    df = df.assign(note=df["evidence"].fillna("").astype(str).str.split().str.join(" "))
    df = df[df["note"] != ""]
    stamp = pd.to_datetime(df["updated_at"], errors="coerce", utc=True) if "updated_at" in df.columns else None
    df = df.assign(stamp=stamp if stamp is not None else pd.NaT)
    df = df.sort_values(["stamp", "question", "respondent_id"], ascending=[False, True, True], na_position="last")
    order = {a.code: i for i, a in enumerate(fw.areas)}
    out: list[dict] = []
    for area in sorted(df["area"].unique(), key=lambda a: order.get(a, len(order))):
        seen: set[str] = set()
        for r in df[df["area"] == area].itertuples():
            if len([q for q in out if q["area"] == area]) >= per_area:
                break
            if r.note.casefold() in seen:
                continue
            seen.add(r.note.casefold())
            out.append({"area": area, "question": r.question, "sector": str(r.sector), "text": _shorten(r.note, length),
                        "date": None if pd.isna(r.stamp) else r.stamp.date().isoformat()})
    return out


def _shorten(text: str, length: int) -> str:
    if len(text) <= length:
        return text
    cut = text[: length - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "\u2026"


def _title(rounds: list, round_id: str | None) -> str | None:
    """The title people read for a round id (None stays None)."""
    return next((r.title or r.id for r in rounds if r.id == round_id), round_id) if round_id else None


def previous_round(rounds: list, round_id: str, answers: pd.DataFrame, framework_code: str) -> str | None:
    """The latest round before `round_id` (in `rounds` order) that has answers in `answers` and uses a framework
    with the same code."""
    ids = [r.id for r in rounds]
    have = set(answers["round"].unique()) if len(answers) else set()
    for r in reversed(rounds[: ids.index(round_id)]):
        if r.id in have and _framework_code(r.framework) == framework_code:
            return r.id
    return None


def parse_cities(cities: list[str] | str) -> list[str]:
    """City slugs from a list or a comma-separated string (papermill passes either)."""
    if isinstance(cities, str):
        cities = cities.split(",")
    return [c.strip() for c in cities if c and c.strip()]


# -- helpers -----------------------------------------------------------------------------------------------
def _find_round(rounds: list, round_id: str):
    for r in rounds:
        if r.id == round_id:
            return r
    known = ", ".join(r.id for r in rounds) or "none yet (run `icf demo-data`)"
    raise NotFoundError(f"unknown round {round_id!r}; rounds in this store: {known}")


def _framework(framework, this) -> Framework:
    if isinstance(framework, Framework):
        return framework
    return load_framework(framework or this.framework)


def _framework_code(name: str) -> str | None:
    try:
        return load_framework(name).code
    except ICFError:
        return None


def _framework_info(fw: Framework) -> dict:
    return {"code": fw.code, "version": fw.version, "thin_threshold": fw.thin_threshold, **_framework_texts(fw),
            "translations": {lang: {**_framework_texts(fw.localized(lang)), "titles": _titles(fw.localized(lang))}
                             for lang in fw.languages[1:]}}


def _framework_texts(fw: Framework) -> dict:
    """The words of a framework a brief shows, in the framework's (or a localized copy's) language."""
    return {"title": fw.title, "labels": {"principle": fw.labels.principle, "area": fw.labels.area},
            "scale": [{"value": lv.value, "label": lv.label} for lv in fw.scale.levels],
            "dont_know": fw.scale.dont_know.label, "not_applicable": fw.scale.not_applicable.label,
            "tiers": [{"min": t.min, "label": t.label, "description": t.description} for t in fw.tiers]}


def _titles(fw: Framework) -> dict[str, str]:
    return {**{p.code: p.title for p in fw.principles}, **{a.code: a.title for a in fw.areas},
            **{q.code: q.text for a in fw.areas for q in a.questions}}


def _round_info(r, root: Path | None) -> dict:
    conv = _convenings(root).get(r.convening) if r.convening else None
    return {"id": r.id, "title": r.title, "convening": r.convening,
            "convening_title": conv.title if conv else None, "convening_when": conv.when if conv else None}


def _convenings(root: Path | None) -> dict:
    from ..model.cities import example_cities

    path = Path(root or example_cities()) / "convenings.yaml"
    return _convenings_cached(str(path), path.stat().st_mtime if path.exists() else 0.0)


@lru_cache(maxsize=4)
def _convenings_cached(path: str, mtime: float) -> dict:
    from ..model.cities import load_convenings

    return {c.id: c for c in load_convenings(Path(path).parent)}


def _notice(synthetic: bool) -> str | None:
    from ..style import SYNTHETIC_NOTICE

    return SYNTHETIC_NOTICE if synthetic else None


def _rows(table: pd.DataFrame, columns: list[str]) -> list[dict]:
    return [{"code": code, **{c: row[c] for c in columns}} for code, row in table.iterrows()]


ROUNDING = {"score": 1, "previous": 1, "change": 1, "mean": 1, "spread": 2, "share": 3, "threshold": 1}


def jsonable(value, key: str | None = None):
    """Plain JSON data: numpy/pandas scalars become Python ones, NaN/NA become None, numbers are rounded by key
    (scores to 0.1, spreads to 0.01, shares to 0.001)."""
    if isinstance(value, dict):
        return {k: jsonable(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return round(float(value), ROUNDING[key]) if key in ROUNDING else float(value)
    return value
