"""Turn a diagnostics report into the plain-language view a brief shows.

Both briefs (PDF through Typst, HTML through nbconvert) print the strings built here, so they say the same
thing in the same words. Everything here is data: no markup is produced, and user text passes through as-is
for the templates to print literally.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from ..model.types import sector_label
from ..style import COLOURS, contrast_ratio

EMPTY = "#f2f2f2"  # heatmap cells with no score
ARROWS = {"up": "▲ up", "down": "▼ down", "same": "● no change", "new": "new"}


def whole(x: float) -> int:
    """Round half away from zero (62.5 -> 63), the way people round, unlike Python's round()."""
    return int(Decimal(str(x)).quantize(Decimal(1), ROUND_HALF_UP))


def score_text(score: float | None) -> str:
    return "no score" if score is None else str(whole(score))


def percent(share: float | None) -> str:
    return "–" if share is None else f"{whole(share * 100)}%"


def answers(n: int) -> str:
    return f"{n} answer" if n == 1 else f"{n} answers"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def plural_label(label: str) -> str:
    """'Area of action' -> 'Areas of action'; 'Core principle' -> 'Core principles'."""
    head, sep, tail = label.partition(" of ")
    return f"{head}s{sep}{tail}"


def _meta(report: dict, rnd: dict, fw: dict) -> list[tuple[str, str]]:
    """The rows every brief opens with: round, convening, framework and date."""
    meta = [("Round", round_text(rnd))]
    if rnd.get("convening_title"):
        when = f", {rnd['convening_when']}" if rnd.get("convening_when") else ""
        meta.append(("Convening", f"{rnd['convening_title']}{when}"))
    meta.append(("Framework", f"{fw.get('title', fw.get('code', ''))}, version {fw.get('version', '?')}"))
    meta.append(("Date", long_date(report.get("generated_at"))))
    return meta


def _stamp(report: dict) -> dict:
    """What every brief shows of its report: the synthetic-data notice and when it was made."""
    return {"notice": report.get("notice") or ("Synthetic demo data." if report.get("synthetic") else ""),
            "date": long_date(report.get("generated_at")), "generated_at": report.get("generated_at")}


def long_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        d = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


def city_heading(city: dict) -> str:
    name, local = city.get("name") or city.get("slug", ""), city.get("local_name")
    return f"{name} ({local})" if local and local != name else name


def round_text(rnd: dict) -> str:
    """'virtual-2020: Self-assessment before the virtual convening (March 2020)'."""
    rid, title = rnd.get("id", ""), rnd.get("title") or ""
    return f"{rid}: {title}" if title and title != rid else rid


def change_text(item: dict) -> str:
    """Arrow and words, so change never depends on colour: '▲ up 3 points (was 55)'."""
    direction = item.get("direction") or "new"
    if item.get("score") is None:
        return "no score this round"
    if direction == "new" or item.get("previous") is None:
        return "new: no earlier score to compare"
    was = f"(was {score_text(item['previous'])})"
    if direction == "same":
        return f"{ARROWS['same']} {was}"
    points = abs(whole(item.get("change") or 0))
    amount = "less than 1 point" if points == 0 else plural(points, "point")
    return f"{ARROWS[direction]} {amount} {was}"


# Heatmap fills in five steps of 20 points, light to dark: dark text on the three light ones, white on the two
# dark ones, each pair at least 5:1 contrast. Steps read more easily than a smooth blend, and the value is printed.
HEAT_STEPS = ("#e6f0f1", "#c2dade", "#8cb5bc", "#2f7480", "#0b5563")


def heat_colours(score: float | None) -> tuple[str, str]:
    """(fill, text) for a heatmap cell; the text colour is the one with the better contrast."""
    if score is None:
        return EMPTY, COLOURS["text"]
    fill = HEAT_STEPS[min(int(max(score, 0.0) // 20), len(HEAT_STEPS) - 1)]
    ink = max((COLOURS["text"], "#ffffff"), key=lambda c: contrast_ratio(fill, c))
    return fill, ink


def _score_row(item: dict, thin_words: str) -> dict:
    score = item.get("score")
    n = item.get("n") or 0
    return {
        "code": item["code"],
        "title": item.get("title", ""),
        "score": score,
        "bar": 0.0 if score is None else max(0.0, min(float(score), 100.0)),
        "score_text": score_text(score),
        "n": n,
        "n_text": answers(n),
        "thin": bool(item.get("thin")) and score is not None,
        "thin_text": thin_words if item.get("thin") and score is not None else "",
        "direction": item.get("direction") or "new",
        "change_text": change_text(item),
    }


def _level_words(levels: list[int], scale: list[dict]) -> str:
    names = {lv["value"]: lv["label"] for lv in scale}
    return ", ".join(f"{names.get(v, v)} ({v})" for v in levels)


def _heatmap(report: dict, labels: dict) -> dict:
    cells = {(m["principle"], m["area"]): m for m in report.get("matrix", [])}
    areas = [a["code"] for a in report.get("areas", [])]
    rows = []
    for p in report.get("principles", []):
        row = []
        for a in areas:
            m = cells.get((p["code"], a), {})
            fill, ink = heat_colours(m.get("score"))
            score = m.get("score")
            row.append({"area": a, "score": score, "text": "–" if score is None else score_text(score),
                        "n": m.get("n") or 0, "n_text": f"n = {m.get('n') or 0}",
                        "thin": bool(m.get("thin")) and score is not None, "fill": fill, "ink": ink})
        rows.append({"code": p["code"], "title": p.get("title", ""), "cells": row})
    scored = [(c["score"], r["code"], c["area"]) for r in rows for c in r["cells"]
              if c["score"] is not None and not c["thin"]]  # a cell from one or two answers is no highlight
    if scored:
        hi, lo = max(scored), min(scored)
        summary = (f"A table of scores out of 100 for each {labels['principle'].lower()} (rows) in each "
                   f"{labels['area'].lower()} (columns). Every cell prints its score and the number of answers "
                   "behind it (\u201cfew\u201d: too few answers to rely on); the shading steps every 20 points, darker "
                   "for higher scores. "
                   f"Highest: {hi[1]} in {hi[2]} ({score_text(hi[0])}). "
                   f"Lowest: {lo[1]} in {lo[2]} ({score_text(lo[0])}).")
    else:
        summary = "No cell has a score from enough answers yet."
    titles = [a.get("title", "") for a in report.get("areas", [])]
    return {"areas": areas, "area_titles": titles, "rows": rows, "summary": summary}


def _sectors(report: dict) -> dict:
    sec = report.get("sectors") or {}
    answered = sec.get("answered") or {}
    missing, thin = set(sec.get("missing") or []), set(sec.get("thin") or [])
    rows = []
    for s in sec.get("expected") or sorted(answered):
        n = answered.get(s, 0)
        status = "no answers" if s in missing or n == 0 else "few answers" if s in thin else "answered"
        rows.append({"sector": sector_label(s), "answers": n, "status": status})
    parts = []
    if missing:
        parts.append("No answers yet from: " + ", ".join(sector_label(s) for s in sorted(missing)) + ".")
    if thin:
        parts.append("Few answers from: " + ", ".join(sector_label(s) for s in sorted(thin)) + ".")
    if not parts:
        parts.append("Every sector expected on the taskforce has answered.")
    return {"rows": rows, "summary": " ".join(parts)}


def _actions(actions: dict) -> dict:
    """Action-plan progress (icframework.actions.progress) as a sentence and one row per action."""
    counts = [("done", "done"), ("on_track", "on track"), ("overdue", "overdue"), ("dropped", "dropped"),
              ("undated", "without a date"), ("flagged", "flagged")]
    summary = ", ".join(f"{actions[k]} {words}" for k, words in counts if k in actions)
    on = f" on {long_date(actions['reference'])}" if actions.get("reference") else ""
    total = actions.get("total")
    rows = []
    for it in actions.get("items") or []:
        if not isinstance(it, dict):
            continue
        state = str(it.get("state") or it.get("status") or "").replace("_", " ").replace("-", " ")
        if it.get("days_overdue"):
            state = f"overdue by {plural(it['days_overdue'], 'day')}"
        areas = it.get("areas") or ([it["area"]] if it.get("area") else [])
        owner = str(it.get("owner") or "")
        rows.append({"title": str(it.get("title") or it.get("id") or ""), "areas": ", ".join(areas),
                     "owner": sector_label(owner) if owner else "", "due": str(it.get("due") or ""), "state": state})
    return {"summary": f"Action plan{on}: {summary}" + (f" ({plural(total, 'action')} in all)." if total else "."),
            "notice": actions.get("notice") or "", "rows": rows}


def _peer(p: dict, city_slug: str, titles: dict) -> dict:
    mentor = p.get("mentor_name") or p.get("mentor", "")
    learner = p.get("learner_name") or p.get("learner", "")
    role = p.get("role") or ("mentor" if p.get("mentor") == city_slug else "learner")
    text = f"{learner} could learn from {mentor}" if role == "learner" else f"{mentor} could mentor {learner}"
    return {"area": p.get("area", ""), "area_title": p.get("area_title") or titles.get(p.get("area", ""), ""),
            "text": text, "why": p.get("why", "")}


def city_view(report: dict) -> dict:
    """Everything a city brief prints, as plain strings and numbers."""
    fw = report.get("framework") or {}
    labels = {"principle": "Core principle", "area": "Area of action", **(fw.get("labels") or {})}
    scale = fw.get("scale") or []
    threshold = fw.get("thin_threshold")
    thin_words = f"few answers (under {threshold})" if threshold else "few answers"
    counts = report.get("counts") or {}
    overall = report.get("overall") or {}
    rnd = report.get("round") or {}
    prev = report.get("previous_round")
    city = report.get("city") or {}
    heading = city_heading(city)
    scored = counts.get("scored", 0)
    empty = not counts.get("answers") and not scored
    dont_know, not_applicable = fw.get("dont_know") or "Don't know", fw.get("not_applicable") or "Not applicable"
    top = scale[-1]["label"] if scale else "the top level"
    bottom = scale[0]["label"] if scale else "the lowest level"

    meta = _meta(report, rnd, fw)
    meta.append(("Compared with", f"{prev} (the city's previous round)" if prev else "no earlier round"))

    key = []
    if not empty:
        o_score = overall.get("score")
        key.append({"label": "Overall score", "value": f"{score_text(o_score)} out of 100",
                    "strong": overall.get("tier") or "",
                    "note": f"{overall.get('tier_description') or ''} "
                            f"Based on {answers(overall.get('n') or 0)} that gave a level."
                            + (" Few answers: treat with care." if overall.get("thin") else "")})
        key.append({"label": "People who answered", "value": str(counts.get("respondents", 0)),
                    "note": f"{answers(counts.get('answers', 0))} in all: {scored} gave a level, "
                            f"{counts.get('dont_know', 0)} said \u201c{dont_know}\u201d, {counts.get('na', 0)} "
                            f"said \u201c{not_applicable}\u201d; {counts.get('unanswered', 0)} left blank."})
        ev = report.get("evidence") or {}
        key.append({"label": "Answers with evidence", "value": percent(ev.get("share")),
                    "note": f"of the {answers(ev.get('n') or 0)} that gave a level came with evidence "
                            "(a document, link or example)."})
        core = report.get("core") or {}
        if core.get("n_core"):
            lvl = core.get("level")
            lvl_name = next((s["label"] for s in scale if s["value"] == lvl), str(lvl))
            key.append({"label": "Core questions", "value": f"{core.get('n_met', 0)} of {core['n_core']}",
                        "note": f"core questions stand at \u201c{lvl_name}\u201d (level {lvl}) or above "
                                "on average."})

    how_to_read = (
        f"Scores run from 0 to 100: 0 means every answer was \u201c{bottom}\u201d and 100 means every answer "
        f"was \u201c{top}\u201d. \u201c{dont_know}\u201d and \u201c{not_applicable}\u201d answers are never counted "
        f"as zero. Next to each score is the number of answers behind it; a score marked \u201cfew answers\u201d "
        "rests on too few people to be sure of and can move a lot when more people answer."
    )

    view = {
        "kind": "city",
        "lang": "en",
        "title": f"City brief: {heading}, {rnd.get('id', '')}" + (" (synthetic demo data)" if report.get("notice")
                                                                  else ""),
        "heading": heading,
        "city": {"name": city.get("name", ""), "local_name": city.get("local_name") or "",
                 "nation": city.get("nation") or ""},
        "round_id": rnd.get("id", ""),
        "running_head": f"City brief · {city.get('name', '')} · {rnd.get('id', '')}",
        **_stamp(report),
        "meta": [{"label": k, "value": v} for k, v in meta],
        "labels": labels,
        "change_heading": f"Change since {prev}" if prev else "Change",
        "sections": {
            "areas": f"{plural_label(labels['area'])}: scores and change since the last round",
            "principles": plural_label(labels["principle"]),
            "heatmap": f"Where {plural_label(labels['principle']).lower()} meet "
                       f"{plural_label(labels['area']).lower()}",
        },
        "empty": empty,
        "empty_text": (f"No answers have been recorded for {heading} in round {rnd.get('id', '')} yet, so this "
                       "brief has no scores to show. It lists the sectors expected to answer; once taskforce "
                       "members answer, run the brief again."),
        "key_figures": key,
        "how_to_read": how_to_read,
        "overall_tier": overall.get("tier") or "",
        "areas": [_score_row(a, thin_words) for a in report.get("areas", [])],
        "principles": [_score_row(p, thin_words) for p in report.get("principles", [])],
        "heatmap": _heatmap(report, labels),
        "disagreements": [
            {"code": d["code"], "text": d.get("text", ""), "n": d.get("n", len(d.get("levels", []))),
             "levels_text": _level_words(d.get("levels") or [], scale),
             "spread_text": "" if d.get("spread") is None else f"spread {d['spread']:.1f} levels"}
            for d in report.get("disagreements", [])],
        "sectors": _sectors(report),
    }
    ev = report.get("evidence") or {}
    titles = {a["code"]: a.get("title", "") for a in report.get("areas", [])}
    view["evidence"] = {
        "summary": (f"{percent(ev.get('share'))} of the answers that gave a level came with evidence, such as a "
                    "document, a link or an example. Areas with little evidence are worth checking before the "
                    "convening." if ev.get("share") is not None else "No answer has evidence yet."),
        "rows": [{"code": e["code"], "title": titles.get(e["code"], ""), "share_text": percent(e.get("share")),
                  "share": e.get("share") or 0.0, "n_text": answers(e.get("n") or 0)}
                 for e in ev.get("areas", [])],
    }
    kinds = {"area": labels["area"], "principle": labels["principle"], "question": "Question"}
    for key_name in ("strengths", "gaps"):
        view[key_name] = [{"kind": kinds.get(s.get("kind", ""), s.get("kind", "")), "code": s.get("code", ""),
                           "title": s.get("title", ""), "score_text": score_text(s.get("score"))}
                          for s in report.get(key_name, [])]
    if report.get("practices"):
        view["practices"] = [
            {"title": p.get("title", ""),
             "where": "; ".join(x for x in (", ".join(y for y in (p.get("city"), p.get("country")) if y),
                                            ", ".join(p.get("areas") or [])) if x),
             "why": p.get("why", "")}
            for p in report["practices"]]
    if report.get("peers") or report.get("peers_notice"):
        view["peers"] = [_peer(p, city.get("slug", ""), titles) for p in report.get("peers") or []]
        view["peers_notice"] = report.get("peers_notice") or ""
    if report.get("actions"):
        view["actions"] = _actions(report["actions"])
    return view


def _short_change(cell: dict) -> str:
    """'▲ 3', '▼ 2', '● 0' or '' (no earlier score): the arrow is a shape and the number says how much."""
    direction = cell.get("direction")
    if cell.get("score") is None or direction in (None, "new") or cell.get("change") is None:
        return ""
    arrow = {"up": "▲", "down": "▼", "same": "●"}[direction]
    return f"{arrow} {abs(whole(cell['change']))}"


def convening_view(report: dict) -> dict:
    """Everything a convening brief prints: cities side by side, who is strong where, changes, common gaps."""
    fw = report.get("framework") or {}
    labels = {"principle": "Core principle", "area": "Area of action", **(fw.get("labels") or {})}
    rnd = report.get("round") or {}
    cities = report.get("cities") or []
    names = {c["slug"]: c.get("name") or c["slug"] for c in cities}
    areas = report.get("areas") or []
    titles = {a["code"]: a.get("title", "") for a in areas}
    heat = {(h["city"], h["area"]): h for h in report.get("heatmap") or []}
    threshold = fw.get("thin_threshold")
    conv_name = rnd.get("convening_title") or rnd.get("title") or rnd.get("id", "")

    meta = _meta(report, rnd, fw)
    meta.append(("Cities", str(len(cities))))

    city_rows = []
    for c in cities:
        o = c.get("overall") or {}
        city_rows.append({
            "name": names[c["slug"]], "phase": "" if c.get("phase") is None else str(c["phase"]),
            "respondents": c.get("respondents", 0), "answers": c.get("answers", 0),
            "score_text": score_text(o.get("score")), "bar": o.get("score") or 0.0, "tier": o.get("tier") or "",
            "thin": bool(o.get("thin")) and o.get("score") is not None})

    heat_rows = []
    for c in cities:
        cells = []
        for a in areas:
            h = heat.get((c["slug"], a["code"]), {})
            fill, ink = heat_colours(h.get("score"))
            cells.append({"area": a["code"], "text": "–" if h.get("score") is None else score_text(h["score"]),
                          "change": _short_change(h), "n_text": f"n = {h.get('n') or 0}",
                          "thin": bool(h.get("thin")) and h.get("score") is not None, "fill": fill, "ink": ink})
        heat_rows.append({"name": names[c["slug"]], "cells": cells})

    strong = []
    for s in report.get("strongest") or []:
        listed = [f"{names.get(x['city'], x['city'])} ({score_text(x['score'])})" for x in s.get("cities", [])]
        strong.append({"code": s["area"], "title": s.get("title") or titles.get(s["area"], ""),
                       "cities": ", ".join(listed) if listed else "no city has enough answers yet"})

    moves = [h for h in report.get("heatmap") or [] if h.get("direction") in ("up", "down")
             and h.get("change") is not None and not h.get("thin")]
    moves.sort(key=lambda h: (-abs(h["change"]), names.get(h["city"], h["city"]), h["area"]))
    rises = [h for h in moves if h["direction"] == "up"][:5]
    falls = [h for h in moves if h["direction"] == "down"][:5]
    changes = [{"city": names.get(h["city"], h["city"]), "code": h["area"], "title": titles.get(h["area"], ""),
                "text": change_text(h), "now": score_text(h.get("score"))} for h in rises + falls]

    gaps = [{"code": g["area"], "title": g.get("title") or titles.get(g["area"], ""),
             "text": (f"Below the city's own overall score in {g['low_in']} of {g['of']} cities "
                      f"(average score {score_text(g.get('mean'))})."),
             "cities": ", ".join(names.get(s, s) for s in g.get("cities", []))}
            for g in report.get("common_gaps") or []]

    silent = [names[c["slug"]] for c in cities if not c.get("answers")]
    scored = [(c["overall"]["score"], names[c["slug"]]) for c in cities
              if (c.get("overall") or {}).get("score") is not None]
    summary = (f"{len(cities)} cities; scores out of 100 for each city (rows) in each "
               f"{labels['area'].lower()} (columns). Every cell prints its score, the change since the city's "
               "previous round as an arrow and a number (▲ up, ▼ down, ● no change; blank when there is no "
               "earlier score) and the number of answers behind it (\u201cfew\u201d: too few answers to rely on); "
               "the shading steps every 20 points, darker "
               "for higher scores.")
    return {
        "kind": "convening",
        "lang": "en",
        "title": f"Convening brief: {conv_name}" + (" (synthetic demo data)" if report.get("notice") else ""),
        "heading": f"Convening brief: {conv_name}",
        "round_id": rnd.get("id", ""),
        "running_head": f"Convening brief · {rnd.get('id', '')}",
        **_stamp(report),
        "meta": [{"label": k, "value": v} for k, v in meta],
        "labels": labels,
        "area_heading": plural_label(labels["area"]),
        "empty": not scored,
        "empty_text": f"No city has answers in round {rnd.get('id', '')} yet, so there is nothing to compare.",
        "intro": (f"Scores run from 0 to 100 and sum up each city's self-assessment. A score marked "
                  f"\u201cfew answers\u201d rests on fewer than {threshold or 'a few'} answers and is left out of "
                  "the comparisons below."),
        "silent": ("Cities with no answers this round: " + ", ".join(silent) + ".") if silent else "",
        "cities": city_rows,
        "heatmap": {"areas": [a["code"] for a in areas], "area_titles": [a.get("title", "") for a in areas],
                    "rows": heat_rows, "summary": summary},
        "areas": [{"code": a["code"], "title": a.get("title", "")} for a in areas],
        "strongest": strong,
        "changes": changes,
        "common_gaps": gaps,
        **_pairs(report.get("pairs")),
    }


def _pairs(pairs: dict | None) -> dict:
    """The round's learning pairs (icframework.exchange.enrich_convening), when the report has them."""
    if not pairs:
        return {}
    rows = [{"area": p.get("area", ""), "area_title": p.get("area_title", ""),
             "mentor": p.get("mentor_name") or p.get("mentor", ""),
             "learner": p.get("learner_name") or p.get("learner", ""), "why": p.get("why", "")}
            for p in pairs.get("pairs") or []]
    unmatched = [f"{u.get('city', '')}: {u.get('reason', '')}" for u in pairs.get("unmatched") or []]
    return {"pairs": {"method": pairs.get("method") or "", "notice": pairs.get("notice") or "", "rows": rows,
                      "unmatched": "; ".join(unmatched)}}


def is_convening(report: dict) -> bool:
    return "cities" in report and "city" not in report


def view_for(report: dict) -> dict:
    """The plain-language view of a city report or a convening report."""
    return convening_view(report) if is_convening(report) else city_view(report)
