"""Turn a report (`CityReport` or `ConveningReport`, icframework.analysis.models) into the plain-language view a
brief shows.

Both briefs (PDF through Typst, HTML through nbconvert) print the strings built here, so they say the same
thing in the same words. Everything here is data: no markup is produced, and user text passes through as-is
for the templates to print literally.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from ..analysis.models import (
    FEW_PEOPLE,
    ActionsProgress,
    CityInfo,
    CityReport,
    ConveningReport,
    FrameworkInfo,
    HeatCell,
    PairsPlan,
    Peer,
    PracticeSuggestion,
    Quote,
    RoundInfo,
    ScaleLevel,
    ScoreRow,
)
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


def _meta(report: CityReport | ConveningReport) -> list[tuple[str, str]]:
    """The rows every brief opens with: round, convening, framework and date."""
    rnd, fw = report.round, report.framework
    meta = [("Round", round_text(rnd))]
    if rnd.convening_title:
        meta.append(("Convening", rnd.convening_title))
    if rnd.convening_when:
        meta.append(("Date of the round", rnd.convening_when))
    meta.append(("Framework", f"{fw.title or fw.code}, version {fw.version}"))
    meta.append(("Brief made on", long_date(report.generated_at)))
    return meta


def _stamp(report: CityReport | ConveningReport) -> dict:
    """What every brief shows of its report: the synthetic-data notice and when it was made."""
    return {"notice": report.notice or ("Synthetic demo data." if report.synthetic else ""),
            "date": long_date(report.generated_at), "generated_at": report.generated_at}


def long_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        d = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d.day} {d:%B %Y}"


def city_heading(city: CityInfo) -> str:
    name, local = city.name or city.slug, city.local_name
    return f"{name} ({local})" if local and local != name else name


def round_text(rnd: RoundInfo) -> str:
    """What people read for a round: its title ('Self-assessment before the virtual convening (March 2020)');
    the id only when a round has no title."""
    return rnd.title or rnd.id


FEW_WORDS = "few people answered"
DIFFERENT_WORDS = "different people answered"


def change_text(item: ScoreRow | HeatCell, different: bool = False) -> str:
    """Arrow and words, so change never depends on colour: '▲ up 3 points (was 55)', followed by '(few people
    answered)' when the change rests on few answers (`few_people`) and '(different people answered)' when
    `different` (the people who answered are not the same in both rounds)."""
    direction = item.direction or "new"
    if item.score is None:
        return "no score this round"
    if direction == "new" or item.previous is None:
        return "new: no earlier score to compare"
    was = f"(was {score_text(item.previous)})"
    if direction == "same":
        text = f"{ARROWS['same']} {was}"
    else:
        points = abs(whole(item.change or 0))
        amount = "less than 1 point" if points == 0 else plural(points, "point")
        text = f"{ARROWS[direction]} {amount} {was}"
    if item.few_people:
        text += f" ({FEW_WORDS})"
    if different:
        text += f" ({DIFFERENT_WORDS})"
    return text


def tier_ranges(fw: FrameworkInfo) -> list[tuple[str, str]]:
    """(stage, range) per tier: ('Foundations', 'under 25'), ('Building', '25 to 49'), ('Sustaining', '75 and
    over')."""
    tiers = fw.tiers
    out = []
    for i, t in enumerate(tiers):
        low = whole(t.min)
        if i + 1 < len(tiers):
            high = whole(tiers[i + 1].min) - 1
            out.append((t.label, f"under {high + 1}" if low <= 0 else f"{low} to {high}"))
        else:
            out.append((t.label, f"{low} and over" if low > 0 else "any score"))
    return out


def stage_text(fw: FrameworkInfo, tier: str | None) -> str:
    """'Consolidating, stage 3 of 4' (just the label when the report has no list of tiers)."""
    labels = [t.label for t in fw.tiers]
    if not tier:
        return ""
    if tier in labels:
        return f"{tier}, stage {labels.index(tier) + 1} of {len(labels)}"
    return tier


def how_to_read(fw: FrameworkInfo) -> list[str]:
    """The brief's "how to read" box: what 0-100 means, that Don't know / Not applicable never count as zero,
    what the stages are (and that they are not the answer levels), and what "few answers" and the change
    markers mean. Plain words for a council officer: no statistics."""
    scale = fw.scale
    dont_know, not_applicable = fw.dont_know or "Don't know", fw.not_applicable or "Not applicable"
    top = max((lv.value for lv in scale), default=0) or 1
    points = ", ".join(f"\u201c{lv.label}\u201d {whole(lv.value / top * 100)}" for lv in scale)
    out = [
        f"Scores run from 0 to 100: each answer counts the points of the level chosen ({points}) and a score is "
        "the average of the answers behind it.",
        f"\u201c{dont_know}\u201d and \u201c{not_applicable}\u201d answers never count as zero: they are left "
        f"out of the score. \u201c{dont_know}\u201d answers are counted on their own; \u201c{not_applicable}\u201d "
        "lowers the most a city could score, not its score.",
    ]
    ranges = tier_ranges(fw)
    if ranges:
        stages = ", ".join(f"{label} ({span})" for label, span in ranges)
        out.append(f"The overall score puts the city at one of {len(ranges)} stages: {stages}. A stage describes "
                   "the city as a whole; it is not one of the levels people chose for each question.")
    thin = fw.thin_threshold
    out.append(f"Next to each score is the number of answers behind it; \u201cfew answers\u201d means fewer than "
               f"{thin}, so the score can move a lot when more people answer. A change marked \u201c{FEW_WORDS}\u201d "
               f"rests on fewer than {FEW_PEOPLE} people (or few answers) in one of the two rounds; "
               f"\u201c{DIFFERENT_WORDS}\u201d means the people who answered are not the same as last time, so "
               "part of the change may come from who answered rather than from what the city did.")
    return out


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


def _people_change(change) -> str:
    """'Different people answered: 1 person answered both rounds, 2 only this one and 3 only the previous one.'"""
    if not change.different:
        return "The same people answered in both rounds."
    both = "1 person" if change.both == 1 else f"{change.both} people"
    return (f"{DIFFERENT_WORDS.capitalize()}: {both} answered both rounds, {change.only_now} only this one and "
            f"{change.only_before} only the previous one, so part of a change may come from who answered.")


def _score_row(item: ScoreRow, thin_words: str, different: bool = False) -> dict:
    score = item.score
    thin = item.thin and score is not None
    return {
        "code": item.code,
        "title": item.title,
        "score": score,
        "bar": 0.0 if score is None else max(0.0, min(float(score), 100.0)),
        "score_text": score_text(score),
        "n": item.n,
        "n_text": answers(item.n),
        "thin": thin,
        "thin_text": thin_words if thin else "",
        "direction": item.direction or "new",
        "change_text": change_text(item, different),
    }


def _level_words(levels: list[int], scale: list[ScaleLevel]) -> str:
    """'4 people: 1 Not started, 1 Emerging, 2 Leading' (lowest level first)."""
    names = {lv.value: lv.label for lv in scale}
    counts = [(v, levels.count(v)) for v in sorted(set(levels))]
    people = "1 person" if len(levels) == 1 else f"{len(levels)} people"
    return f"{people}: " + ", ".join(f"{k} {names.get(v, v)}" for v, k in counts)


def spread_words(levels: list[int], scale: list[ScaleLevel]) -> str:
    """How far apart the answers are, in the scale's words: 'Answers ranged from Emerging to Leading'."""
    if not levels:
        return ""
    names = {lv.value: lv.label for lv in scale}
    low, high = names.get(min(levels), str(min(levels))), names.get(max(levels), str(max(levels)))
    return f"Answers ranged from {low} to {high}" if low != high else f"Every answer was {low}"


def safe_href(link: str | None) -> str:
    """`link` when it is an http or https address with a host, else "" (so no other scheme becomes a link)."""
    if not link:
        return ""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return ""
    return link.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def shorten(text: str, length: int = 150) -> str:
    """`text` up to `length` characters: whole sentences when they fit, else cut at a word with an ellipsis."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    head = text[:length]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if end >= length // 3:
        return head[: end + 1]
    return head[: length - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "\u2026"


def practice_groups(practices: list[PracticeSuggestion]) -> list[dict]:
    """Practices grouped by why they were suggested (in order), so a reason shared by several is said once:
    [{"why", "entries": [{title, where, description, source, link, href}]}]."""
    groups: list[dict] = []
    for p in practices:
        item = {"title": p.title,
                "where": "; ".join(x for x in (", ".join(y for y in (p.city, p.country) if y), ", ".join(p.areas))
                                   if x),
                "description": shorten(p.description), "source": p.source or "", "link": (p.link or "").strip(),
                "href": safe_href(p.link)}
        if groups and groups[-1]["why"] == p.why:
            groups[-1]["entries"].append(item)
        else:
            groups.append({"why": p.why, "entries": [item]})
    return groups


def quote_groups(quotes: list[Quote], titles: dict[str, str]) -> list[dict]:
    """Evidence notes per area: [{"code", "title", "entries": [{"text", "sector"}]}], attributed only by sector."""
    out: list[dict] = []
    for q in quotes:
        if not out or out[-1]["code"] != q.area:
            out.append({"code": q.area, "title": titles.get(q.area, ""), "entries": []})
        out[-1]["entries"].append({"text": q.text, "sector": sector_label(q.sector) if q.sector else "a member",
                                 "question": q.question})
    return out


def _heatmap(report: CityReport, labels: dict) -> dict:
    cells = {(m.principle, m.area): m for m in report.matrix}
    areas = [a.code for a in report.areas]
    rows = []
    for p in report.principles:
        row = []
        for a in areas:
            m = cells.get((p.code, a))
            score, n = (m.score, m.n) if m else (None, 0)
            fill, ink = heat_colours(score)
            row.append({"area": a, "score": score, "text": "–" if score is None else score_text(score),
                        "n": n, "n_text": f"n = {n}",
                        "thin": bool(m and m.thin) and score is not None, "fill": fill, "ink": ink})
        rows.append({"code": p.code, "title": p.title, "cells": row})
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
    titles = [a.title for a in report.areas]
    return {"areas": areas, "area_titles": titles, "rows": rows, "summary": summary}


def _sectors(report: CityReport) -> dict:
    sec = report.sectors
    answered = sec.answered
    missing, thin = set(sec.missing), set(sec.thin)
    rows = []
    for s in sec.expected or sorted(answered):
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


def _actions(actions: ActionsProgress) -> dict:
    """Action-plan progress (icframework.model.actions.progress) as a sentence and one row per action."""
    counts = [("done", "done"), ("on_track", "on track"), ("overdue", "overdue"), ("dropped", "dropped"),
              ("undated", "without a date"), ("flagged", "flagged")]
    summary = ", ".join(f"{getattr(actions, k)} {words}" for k, words in counts)
    on = f" on {long_date(actions.reference)}" if actions.reference else ""
    total = actions.total
    rows = []
    for it in actions.items:
        state = it.state.replace("_", " ").replace("-", " ")
        if it.days_overdue:
            state = f"overdue by {plural(it.days_overdue, 'day')}"
        if it.flags:
            state += "; flagged: " + ", ".join(it.flags)
        owner = it.owner or ""
        rows.append({"title": it.title or it.id, "areas": ", ".join(it.areas),
                     "owner": sector_label(owner) if owner else "", "due": it.due or "", "state": state})
    flagged = (" \u201cFlagged\u201d means an action has no owner, no start date or no due date: the plan cannot "
               "be followed up until someone fills these in." if actions.flagged else "")
    return {"summary": f"Action plan{on}: {summary}" + (f" ({plural(total, 'action')} in all)." if total else ".")
                       + flagged,
            "notice": actions.notice or "", "rows": rows}


def _peer(p: Peer, titles: dict) -> dict:
    mentor = p.mentor_name or p.mentor
    learner = p.learner_name or p.learner
    text = f"{learner} could learn from {mentor}" if p.role == "learner" else f"{mentor} could mentor {learner}"
    return {"area": p.area, "area_title": p.area_title or titles.get(p.area, ""), "text": text, "why": p.why}


def city_view(report: CityReport) -> dict:
    """Everything a city brief prints, as plain strings and numbers."""
    fw = report.framework
    labels = {"principle": "Core principle", "area": "Area of action", **fw.labels.model_dump()}
    scale = fw.scale
    threshold = fw.thin_threshold
    thin_words = f"few answers (under {threshold})" if threshold else "few answers"
    counts, overall, rnd, city = report.counts, report.overall, report.round, report.city
    prev = report.previous_round_title or report.previous_round
    heading = city_heading(city)
    empty = not counts.answers and not counts.scored
    dont_know, not_applicable = fw.dont_know or "Don't know", fw.not_applicable or "Not applicable"

    meta = _meta(report)
    meta.append(("Compared with", f"{prev} (the city's previous round)" if prev else "no earlier round"))
    change = report.people_change
    different = bool(change and change.different)

    ev, core = report.evidence, report.core
    key = []
    if not empty:
        key.append({"label": "Overall score", "value": f"{score_text(overall.score)} out of 100",
                    "strong": stage_text(fw, overall.tier),
                    "note": f"{overall.tier_description or ''} "
                            f"Based on {answers(overall.n)} that gave a level."
                            + (" Few answers: treat with care." if overall.thin else "")})
        key.append({"label": "People who answered", "value": str(counts.respondents),
                    "note": f"{answers(counts.answers)} in all: {counts.scored} gave a level, "
                            f"{counts.dont_know} said \u201c{dont_know}\u201d, {counts.na} "
                            f"said \u201c{not_applicable}\u201d; {counts.unanswered} left blank."})
        key.append({"label": "Answers with evidence", "value": percent(ev.share),
                    "note": f"of the {answers(ev.n)} that gave a level came with evidence "
                            "(a document, link or example)."})
        if core.n_core:
            lvl = core.level
            lvl_name = next((s.label for s in scale if s.value == lvl), str(lvl))
            key.append({"label": "Core questions", "value": f"{core.n_met} of {core.n_core}",
                        "note": f"core questions stand at \u201c{lvl_name}\u201d (level {lvl}) or above "
                                "on average."})

    view = {
        "kind": "city",
        "lang": "en",
        "title": f"City brief: {heading}, {round_text(rnd)}" + (" (synthetic demo data)" if report.notice else ""),
        "heading": heading,
        "city": {"name": city.name, "local_name": city.local_name or "", "nation": city.nation or ""},
        "round_id": rnd.id,
        "running_head": f"City brief · {city.name} · {round_text(rnd)}",
        **_stamp(report),
        "meta": [{"label": k, "value": v} for k, v in meta],
        "labels": labels,
        # the people who answered differ for the whole city, so it is said once, on the column (and in words)
        "change_heading": ("Change since the last round" + (f" ({DIFFERENT_WORDS})" if different else "")
                           if prev else "Change"),
        "people_change": _people_change(change) if change else "",
        "sections": {
            "areas": f"{plural_label(labels['area'])}: scores and change since the last round",
            "principles": plural_label(labels["principle"]),
            "heatmap": f"Where {plural_label(labels['principle']).lower()} meet "
                       f"{plural_label(labels['area']).lower()}",
        },
        "empty": empty,
        "empty_text": (f"No answers have been recorded for {heading} in \u201c{round_text(rnd)}\u201d yet, so this "
                       "brief has no scores to show. It lists the sectors expected to answer; once taskforce "
                       "members answer, run the brief again."),
        "key_figures": key,
        "how_to_read": how_to_read(fw),
        "overall_tier": overall.tier or "",
        "areas": [_score_row(a, thin_words) for a in report.areas],
        "principles": [_score_row(p, thin_words) for p in report.principles],
        "heatmap": _heatmap(report, labels),
        "disagreements": [
            {"code": d.code, "text": d.text, "n": d.n, "levels_text": _level_words(d.levels, scale),
             "spread_text": spread_words(d.levels, scale)}
            for d in report.disagreements],
        "sectors": _sectors(report),
    }
    titles = {a.code: a.title for a in report.areas}
    view["evidence"] = {
        "summary": (f"{percent(ev.share)} of the answers that gave a level came with evidence, such as a "
                    "document, a link or an example. Areas with little evidence are worth checking before the "
                    "convening." if ev.share is not None else "No answer has evidence yet."),
        "rows": [{"code": e.code, "title": titles.get(e.code, ""), "share_text": percent(e.share),
                  "share": e.share or 0.0, "n_text": answers(e.n)}
                 for e in ev.areas],
    }
    kinds = {"area": labels["area"], "principle": labels["principle"], "question": "Question"}
    for key_name in ("strengths", "gaps"):
        view[key_name] = [{"kind": kinds.get(s.kind, s.kind), "code": s.code, "title": s.title,
                           "score_text": score_text(s.score)}
                          for s in getattr(report, key_name)]
    view["quotes"] = quote_groups(report.quotes or [], titles)
    if report.practices:
        view["practices"] = practice_groups(report.practices)
    if report.peers or report.peers_notice:
        view["peers"] = [_peer(p, titles) for p in report.peers or []]
        view["peers_notice"] = report.peers_notice or ""
    if report.actions:
        view["actions"] = _actions(report.actions)
    return view


def _short_change(cell: HeatCell | None) -> str:
    """'▲ 3', '▼ 2', '● 0' or '' (no earlier score): the arrow is a shape and the number says how much."""
    if cell is None or cell.score is None or cell.direction in (None, "new") or cell.change is None:
        return ""
    arrow = {"up": "▲", "down": "▼", "same": "●"}[cell.direction]
    return f"{arrow} {abs(whole(cell.change))}"


def convening_view(report: ConveningReport) -> dict:
    """Everything a convening brief prints: cities side by side, who is strong where, changes, common gaps."""
    fw = report.framework
    labels = {"principle": "Core principle", "area": "Area of action", **fw.labels.model_dump()}
    rnd = report.round
    cities = report.cities
    names = {c.slug: c.name or c.slug for c in cities}
    areas = report.areas
    titles = {a.code: a.title for a in areas}
    heat = {(h.city, h.area): h for h in report.heatmap}
    threshold = fw.thin_threshold
    conv_name = rnd.convening_title or rnd.title or rnd.id

    meta = _meta(report)
    meta.append(("Cities", str(len(cities))))

    city_rows = []
    for c in cities:
        o = c.overall
        city_rows.append({
            "name": names[c.slug], "phase": "" if c.phase is None else str(c.phase),
            "respondents": c.respondents, "answers": c.answers,
            "score_text": score_text(o.score), "bar": o.score or 0.0, "tier": o.tier or "",
            "stage": stage_text(fw, o.tier),
            "thin": o.thin and o.score is not None})

    heat_rows = []
    for c in cities:
        cells = []
        for a in areas:
            h = heat.get((c.slug, a.code))
            score = h.score if h else None
            fill, ink = heat_colours(score)
            cells.append({"area": a.code, "text": "–" if score is None else score_text(score),
                          "change": _short_change(h), "n_text": f"n = {h.n if h else 0}",
                          "thin": bool(h and h.thin) and score is not None, "fill": fill, "ink": ink})
        heat_rows.append({"name": names[c.slug], "cells": cells})

    strong = []
    for s in report.strongest:
        listed = [f"{names.get(x.city, x.city)} ({score_text(x.score)})" for x in s.cities]
        strong.append({"code": s.area, "title": s.title or titles.get(s.area, ""),
                       "cities": ", ".join(listed) if listed else "no city has enough answers yet"})

    moves = [h for h in report.heatmap if h.direction in ("up", "down") and h.change is not None and not h.thin]
    moves.sort(key=lambda h: (-abs(h.change), names.get(h.city, h.city), h.area))
    rises = [h for h in moves if h.direction == "up"][:5]
    falls = [h for h in moves if h.direction == "down"][:5]
    different = {c.slug: bool(c.people_change and c.people_change.different) for c in cities}
    changes = [{"city": names.get(h.city, h.city), "code": h.area, "title": titles.get(h.area, ""),
                "text": change_text(h, different.get(h.city, False)), "now": score_text(h.score)}
               for h in rises + falls]
    practices = {}
    for p in report.practices or []:
        for code in p.matched[:1]:
            practices.setdefault(code, []).append(p)

    gaps = [{"code": g.area, "title": g.title or titles.get(g.area, ""),
             "text": (f"Below the city's own overall score in {g.low_in} of {g.of} cities "
                      f"(average score {score_text(g.mean)})."),
             "cities": ", ".join(names.get(s, s) for s in g.cities),
             "practices": [item for group in practice_groups(practices.get(g.area, [])) for item in group["entries"]]}
            for g in report.common_gaps]

    silent = [names[c.slug] for c in cities if not c.answers]
    scored = [(c.overall.score, names[c.slug]) for c in cities if c.overall.score is not None]
    summary = (f"{len(cities)} cities; scores out of 100 for each city (rows) in each "
               f"{labels['area'].lower()} (columns). Every cell prints its score, the change since the city's "
               "previous round as an arrow and a number (▲ up, ▼ down, ● no change; blank when there is no "
               "earlier score) and the number of answers behind it (\u201cfew\u201d: too few answers to rely on); "
               "the shading steps every 20 points, darker "
               "for higher scores.")
    return {
        "kind": "convening",
        "lang": "en",
        "title": f"Convening brief: {conv_name}" + (" (synthetic demo data)" if report.notice else ""),
        "heading": f"Convening brief: {conv_name}",
        "round_id": rnd.id,
        "running_head": f"Convening brief · {conv_name}",
        **_stamp(report),
        "meta": [{"label": k, "value": v} for k, v in meta],
        "labels": labels,
        "area_heading": plural_label(labels["area"]),
        "empty": not scored,
        "empty_text": f"No city has answers in \u201c{round_text(rnd)}\u201d yet, so there is nothing to compare.",
        "intro": (f"Each city's self-assessment summed up in scores out of 100. Scores marked \u201cfew "
                  f"answers\u201d (fewer than {threshold or 'a few'} answers) are left out of the comparisons."),
        "how_to_read": how_to_read(fw),
        "silent": ("Cities with no answers this round: " + ", ".join(silent) + ".") if silent else "",
        "cities": city_rows,
        "heatmap": {"areas": [a.code for a in areas], "area_titles": [a.title for a in areas],
                    "rows": heat_rows, "summary": summary},
        "areas": [{"code": a.code, "title": a.title} for a in areas],
        "strongest": strong,
        "changes": changes,
        "common_gaps": gaps,
        **_pairs(report.pairs),
    }


def _pairs(pairs: PairsPlan | None) -> dict:
    """The round's learning pairs (icframework.analysis.exchange.enrich_convening), when the report has them."""
    if not pairs:
        return {}
    rows = [{"area": p.area, "area_title": p.area_title, "mentor": p.mentor_name or p.mentor,
             "learner": p.learner_name or p.learner, "why": p.why}
            for p in pairs.pairs]
    unmatched = [f"{u.city}: {u.reason}" for u in pairs.unmatched]
    return {"pairs": {"method": pairs.method or "", "notice": pairs.notice or "", "rows": rows,
                      "unmatched": "; ".join(unmatched)}}


def is_convening(report: CityReport | ConveningReport) -> bool:
    return isinstance(report, ConveningReport)


def view_for(report: CityReport | ConveningReport) -> dict:
    """The plain-language view of a city report or a convening report (control characters dropped from every
    string: neither a PDF nor an HTML page can show them)."""
    if isinstance(report, ConveningReport):
        return printable(convening_view(report))
    if isinstance(report, CityReport):
        return printable(city_view(report))
    raise TypeError(f"view_for takes a CityReport or ConveningReport (icframework.analysis.models), not "
                    f"{type(report).__name__}: read a saved report with icframework.analysis.models.load_report")


def printable(value):
    """`value` (a view: dicts, lists, strings) with control characters other than tab and newline dropped."""
    if isinstance(value, str):
        return "".join(c for c in value if c in "\n\t" or unicodedata.category(c) != "Cc")
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value
