"""Turn a report (`CityReport` or `ConveningReport`, icframework.analysis.models) into the plain-language view a
brief shows.

Both briefs (PDF through Typst, HTML through nbconvert) print the strings built here, so they say the same
thing in the same words. Everything here is data: no markup is produced, and user text passes through as-is
for the templates to print literally.
"""

from __future__ import annotations

import datetime as dt
import re
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
    Pair,
    PairsPlan,
    Peer,
    PracticeSuggestion,
    Quote,
    RoundInfo,
    ScaleLevel,
    ScoreRow,
)
from ..i18n import N_, Translator, template_words, translator
from ..model.types import sector_label
from ..style import COLOURS, contrast_ratio

EMPTY = "#f2f2f2"  # heatmap cells with no score
ARROWS = {"up": N_("▲ up"), "down": N_("▼ down"), "same": N_("● no change"), "new": N_("new")}
EN = translator()  # English: the words as written here
PLURAL_LABELS = {N_("Area of action"): N_("Areas of action"), N_("Core principle"): N_("Core principles")}


def whole(x: float) -> int:
    """Round half away from zero (62.5 -> 63), the way people round, unlike Python's round()."""
    return int(Decimal(str(x)).quantize(Decimal(1), ROUND_HALF_UP))


def score_text(score: float | None, tr: Translator = EN) -> str:
    return tr._("no score") if score is None else tr.number(whole(score))


def percent(share: float | None, tr: Translator = EN) -> str:
    return "–" if share is None else tr.percent(whole(share * 100) / 100)


def answers(n: int, tr: Translator = EN) -> str:
    return tr.ngettext("{n} answer", "{n} answers", n)


def people(n: int, tr: Translator = EN) -> str:
    return tr.ngettext("{n} person", "{n} people", n)


def plural_label(label: str, tr: Translator = EN) -> str:
    """'Area of action' -> 'Areas of action'; 'Core principle' -> 'Core principles'. In another language, the
    catalogue's plural of the label when it has one, else the label as it is."""
    if tr.lang != "en":
        for one, many in PLURAL_LABELS.items():
            if tr._(one) == label:
                return tr._(many)
        return label
    head, sep, tail = label.partition(" of ")
    return f"{head}s{sep}{tail}"


def _meta(report: CityReport | ConveningReport, tr: Translator = EN) -> list[tuple[str, str]]:
    """The rows every brief opens with: round, convening, framework and date."""
    rnd, fw = report.round, report.framework
    meta = [(tr._("Round"), round_text(rnd))]
    if rnd.convening_title:
        meta.append((tr._("Convening"), rnd.convening_title))
    if rnd.convening_when:
        meta.append((tr._("Date of the round"), when_text(rnd.convening_when, tr)))
    meta.append((tr._("Framework"), tr._("{title}, version {version}", title=fw.title or fw.code,
                                          version=fw.version)))
    meta.append((tr._("Brief made on"), long_date(report.generated_at, tr)))
    return meta


def _stamp(report: CityReport | ConveningReport, tr: Translator = EN) -> dict:
    """What every brief shows of its report: the synthetic-data notice and when it was made."""
    notice = report.notice or ("Synthetic demo data." if report.synthetic else "")
    return {"notice": tr._(notice) if notice else "", "date": long_date(report.generated_at, tr),
            "generated_at": report.generated_at}


def long_date(iso: str | None, tr: Translator = EN) -> str:
    """'27 March 2020' (in the brief's language); text that is not a date is shown as it is."""
    return tr.date(iso) if iso else ""


def when_text(when: str, tr: Translator = EN) -> str:
    """A convening's date as convenings.yaml gives it: '2020-03-27', or 'March 2020' for a month."""
    try:
        return tr.date(dt.date.fromisoformat(when))
    except ValueError:
        try:
            return tr.date(dt.datetime.strptime(when, "%B %Y").date(), month_only=True)
        except ValueError:
            return when


def city_heading(city: CityInfo) -> str:
    name, local = city.name or city.slug, city.local_name
    return f"{name} ({local})" if local and local != name else name


def round_text(rnd: RoundInfo) -> str:
    """What people read for a round: its title ('Self-assessment before the virtual convening (March 2020)');
    the id only when a round has no title."""
    return rnd.title or rnd.id


FEW_WORDS = N_("few people answered")
DIFFERENT_WORDS = N_("different people answered")


def change_text(item: ScoreRow | HeatCell, different: bool = False, tr: Translator = EN) -> str:
    """Arrow and words, so change never depends on colour: '▲ up 3 points (was 55)', followed by '(few people
    answered)' when the change rests on few answers (`few_people`) and '(different people answered)' when
    `different` (the people who answered are not the same in both rounds)."""
    direction = item.direction or "new"
    if item.score is None:
        return tr._("no score this round")
    if direction == "new" or item.previous is None:
        return tr._("new: no earlier score to compare")
    was = tr._("(was {score})", score=score_text(item.previous, tr))
    if direction == "same":
        text = f"{tr._(ARROWS['same'])} {was}"
    else:
        points = abs(whole(item.change or 0))
        amount = tr._("less than 1 point") if points == 0 else tr.ngettext("{n} point", "{n} points", points)
        text = f"{tr._(ARROWS[direction])} {amount} {was}"
    if item.few_people:
        text += f" ({tr._(FEW_WORDS)})"
    if different:
        text += f" ({tr._(DIFFERENT_WORDS)})"
    return text


def tier_ranges(fw: FrameworkInfo, tr: Translator = EN) -> list[tuple[str, str]]:
    """(stage, range) per tier: ('Foundations', 'under 25'), ('Building', '25 to 49'), ('Sustaining', '75 and
    over')."""
    tiers = fw.tiers
    out = []
    for i, t in enumerate(tiers):
        low = whole(t.min)
        if i + 1 < len(tiers):
            high = whole(tiers[i + 1].min) - 1
            out.append((t.label, tr._("under {n}", n=high + 1) if low <= 0 else
                        tr._("{low} to {high}", low=low, high=high)))
        else:
            out.append((t.label, tr._("{n} and over", n=low) if low > 0 else tr._("any score")))
    return out


def stage_text(fw: FrameworkInfo, tier: str | None, tr: Translator = EN) -> str:
    """'Consolidating, stage 3 of 4' (just the label when the report has no list of tiers)."""
    labels = [t.label for t in fw.tiers]
    if not tier:
        return ""
    if tier in labels:
        return tr._("{tier}, stage {i} of {n}", tier=tier, i=labels.index(tier) + 1, n=len(labels))
    return tier


def how_to_read(fw: FrameworkInfo, tr: Translator = EN) -> list[str]:
    """The brief's "how to read" box: what 0-100 means, that Don't know / Not applicable never count as zero,
    what the stages are (and that they are not the answer levels), and what "few answers" and the change
    markers mean. Plain words for a council officer: no statistics."""
    scale = fw.scale
    dont_know = fw.dont_know or tr._("Don't know")
    not_applicable = fw.not_applicable or tr._("Not applicable")
    top = max((lv.value for lv in scale), default=0) or 1
    points = ", ".join(f"\u201c{lv.label}\u201d {whole(lv.value / top * 100)}" for lv in scale)
    out = [
        tr._("Scores run from 0 to 100: each answer counts the points of the level chosen ({points}) and a score "
             "is the average of the answers behind it.", points=points),
        tr._("\u201c{dont_know}\u201d and \u201c{not_applicable}\u201d answers never count as zero: they are left "
             "out of the score. \u201c{dont_know}\u201d answers are counted on their own; \u201c{not_applicable}"
             "\u201d lowers the most a city could score, not its score.",
             dont_know=dont_know, not_applicable=not_applicable),
    ]
    ranges = tier_ranges(fw, tr)
    if ranges:
        stages = ", ".join(f"{label} ({span})" for label, span in ranges)
        out.append(tr._("The overall score puts the city at one of {n} stages: {stages}. A stage describes the "
                        "city as a whole; it is not one of the levels people chose for each question.",
                        n=len(ranges), stages=stages))
    out.append(tr._("Next to each score is the number of answers behind it; \u201cfew answers\u201d means fewer "
                    "than {thin}, so the score can move a lot when more people answer. A change marked \u201c{few}"
                    "\u201d rests on fewer than {people} people (or few answers) in one of the two rounds; "
                    "\u201c{different}\u201d means the people who answered are not the same as last time, so part "
                    "of the change may come from who answered rather than from what the city did.",
                    thin=fw.thin_threshold, few=tr._(FEW_WORDS), people=FEW_PEOPLE,
                    different=tr._(DIFFERENT_WORDS)))
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


def _people_change(change, tr: Translator = EN) -> str:
    """'Different people answered: 1 person answered both rounds, 2 only this one and 3 only the previous one.'"""
    if not change.different:
        return tr._("The same people answered in both rounds.")
    return tr._("Different people answered: {both} answered both rounds, {now} only this one and {before} only "
                "the previous one, so part of a change may come from who answered.",
                both=people(change.both, tr), now=change.only_now, before=change.only_before)


def _score_row(item: ScoreRow, thin_words: str, different: bool = False, tr: Translator = EN) -> dict:
    score = item.score
    thin = item.thin and score is not None
    return {
        "code": item.code,
        "title": item.title,
        "score": score,
        "bar": 0.0 if score is None else max(0.0, min(float(score), 100.0)),
        "score_text": score_text(score, tr),
        "n": item.n,
        "n_text": answers(item.n, tr),
        "thin": thin,
        "thin_text": thin_words if thin else "",
        "direction": item.direction or "new",
        "change_text": change_text(item, different, tr),
    }


def _level_words(levels: list[int], scale: list[ScaleLevel], tr: Translator = EN) -> str:
    """'4 people: 1 Not started, 1 Emerging, 2 Leading' (lowest level first)."""
    names = {lv.value: lv.label for lv in scale}
    counts = [(v, levels.count(v)) for v in sorted(set(levels))]
    return f"{people(len(levels), tr)}: " + ", ".join(f"{k} {names.get(v, v)}" for v, k in counts)


def spread_words(levels: list[int], scale: list[ScaleLevel], tr: Translator = EN) -> str:
    """How far apart the answers are, in the scale's words: 'Answers ranged from Emerging to Leading'."""
    if not levels:
        return ""
    names = {lv.value: lv.label for lv in scale}
    low, high = names.get(min(levels), str(min(levels))), names.get(max(levels), str(max(levels)))
    return (tr._("Answers ranged from {low} to {high}", low=low, high=high) if low != high
            else tr._("Every answer was {level}", level=low))


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


def practice_groups(practices: list[PracticeSuggestion], whys: list[str] | None = None) -> list[dict]:
    """Practices grouped by why they were suggested (in order), so a reason shared by several is said once:
    [{"why", "entries": [{title, where, description, source, link, href}]}]. `whys` replaces each practice's
    `why` (the same reasons in another language)."""
    groups: list[dict] = []
    for p, why in zip(practices, whys or [p.why for p in practices], strict=True):
        item = {"title": p.title,
                "where": "; ".join(x for x in (", ".join(y for y in (p.city, p.country) if y), ", ".join(p.areas))
                                   if x),
                "description": shorten(p.description), "source": p.source or "", "link": (p.link or "").strip(),
                "href": safe_href(p.link)}
        if groups and groups[-1]["why"] == why:
            groups[-1]["entries"].append(item)
        else:
            groups.append({"why": why, "entries": [item]})
    return groups


def quote_groups(quotes: list[Quote], titles: dict[str, str], tr: Translator = EN) -> list[dict]:
    """Evidence notes per area: [{"code", "title", "entries": [{"text", "sector"}]}], attributed only by sector."""
    out: list[dict] = []
    for q in quotes:
        if not out or out[-1]["code"] != q.area:
            out.append({"code": q.area, "title": titles.get(q.area, ""), "entries": []})
        who = sector_words(q.sector, tr) if q.sector else tr._("a member")
        out[-1]["entries"].append({"text": q.text, "sector": who, "question": q.question})
    return out


def sector_words(slug: str, tr: Translator = EN) -> str:
    """A sector's name in the brief's language ('Employer', 'Cyflogwr')."""
    return tr._(sector_label(slug))


def _heatmap(report: CityReport, labels: dict, tr: Translator = EN) -> dict:
    cells = {(m.principle, m.area): m for m in report.matrix}
    areas = [a.code for a in report.areas]
    rows = []
    for p in report.principles:
        row = []
        for a in areas:
            m = cells.get((p.code, a))
            score, n = (m.score, m.n) if m else (None, 0)
            fill, ink = heat_colours(score)
            row.append({"area": a, "score": score, "text": "–" if score is None else score_text(score, tr),
                        "n": n, "n_text": f"n = {n}",
                        "thin": bool(m and m.thin) and score is not None, "fill": fill, "ink": ink})
        rows.append({"code": p.code, "title": p.title, "cells": row})
    scored = [(c["score"], r["code"], c["area"]) for r in rows for c in r["cells"]
              if c["score"] is not None and not c["thin"]]  # a cell from one or two answers is no highlight
    if scored:
        hi, lo = max(scored), min(scored)
        summary = tr._("A table of scores out of 100 for each {principle} (rows) in each {area} (columns). Every "
                       "cell prints its score and the number of answers behind it (\u201cfew\u201d: too few answers "
                       "to rely on); the shading steps every 20 points, darker for higher scores. Highest: {hi} in "
                       "{hi_area} ({hi_score}). Lowest: {lo} in {lo_area} ({lo_score}).",
                       principle=labels["principle"].lower(), area=labels["area"].lower(), hi=hi[1],
                       hi_area=hi[2], hi_score=score_text(hi[0], tr), lo=lo[1], lo_area=lo[2],
                       lo_score=score_text(lo[0], tr))
    else:
        summary = tr._("No cell has a score from enough answers yet.")
    titles = [a.title for a in report.areas]
    return {"areas": areas, "area_titles": titles, "rows": rows, "summary": summary}


def _sectors(report: CityReport, tr: Translator = EN) -> dict:
    sec = report.sectors
    answered = sec.answered
    missing, thin = set(sec.missing), set(sec.thin)
    rows = []
    for s in sec.expected or sorted(answered):
        n = answered.get(s, 0)
        status = (tr._("no answers") if s in missing or n == 0 else tr._("few answers") if s in thin
                  else tr._("answered"))
        rows.append({"sector": sector_words(s, tr), "answers": n, "status": status})
    parts = []
    if missing:
        parts.append(tr._("No answers yet from: {sectors}.",
                          sectors=", ".join(sector_words(s, tr) for s in sorted(missing))))
    if thin:
        parts.append(tr._("Few answers from: {sectors}.", sectors=", ".join(sector_words(s, tr) for s in sorted(thin))))
    if not parts:
        parts.append(tr._("Every sector expected on the taskforce has answered."))
    return {"rows": rows, "summary": " ".join(parts)}


ACTION_COUNTS = {"done": N_("done"), "on_track": N_("on track"), "overdue": N_("overdue"),
                 "dropped": N_("dropped"), "undated": N_("without a date"), "flagged": N_("flagged")}
ACTION_STATES = {"done": N_("done"), "on_track": N_("on track"), "overdue": N_("overdue"),
                 "dropped": N_("dropped"), "undated": N_("undated")}  # icframework.model.actions.action_state


def _actions(actions: ActionsProgress, tr: Translator = EN) -> dict:
    """Action-plan progress (icframework.model.actions.progress) as a sentence and one row per action."""
    counts = ("done", "on_track", "overdue", "dropped", "undated", "flagged")
    summary = ", ".join(f"{getattr(actions, k)} {tr._(ACTION_COUNTS[k])}" for k in counts)
    total = actions.total
    rows = []
    for it in actions.items:
        state = (tr._(ACTION_STATES[it.state]) if it.state in ACTION_STATES
                 else it.state.replace("_", " ").replace("-", " "))
        if it.days_overdue:
            state = tr.ngettext("overdue by {n} day", "overdue by {n} days", it.days_overdue)
        if it.flags:
            state += tr._("; flagged: {flags}", flags=", ".join(tr._(f) for f in it.flags))
        owner = it.owner or ""
        rows.append({"title": it.title or it.id, "areas": ", ".join(it.areas),
                     "owner": sector_words(owner, tr) if owner else "", "due": it.due or "", "state": state})
    flagged = (" " + tr._("\u201cFlagged\u201d means an action has no owner, no start date or no due date: the plan "
                          "cannot be followed up until someone fills these in.") if actions.flagged else "")
    head = (tr._("Action plan on {date}: {summary}", date=long_date(actions.reference, tr), summary=summary)
            if actions.reference else tr._("Action plan: {summary}", summary=summary))
    return {"summary": head + (" " + tr.ngettext("({n} action in all).", "({n} actions in all).", total)
                               if total else ".") + flagged,
            "notice": tr._(actions.notice) if actions.notice else "", "rows": rows}


def _peer(p: Peer, titles: dict, tr: Translator = EN) -> dict:
    mentor = p.mentor_name or p.mentor
    learner = p.learner_name or p.learner
    text = (tr._("{learner} could learn from {mentor}", learner=learner, mentor=mentor) if p.role == "learner"
            else tr._("{mentor} could mentor {learner}", mentor=mentor, learner=learner))
    title = titles.get(p.area) or p.area_title
    return {"area": p.area, "area_title": title, "text": text, "why": _pair_why(p, title, tr)}


def _pair_why(p: Pair, title: str, tr: Translator) -> str:
    """Why two cities are paired: the report's own sentence in English, the same facts in another language."""
    if tr.lang == "en":
        return p.why
    return tr._("{learner} scores {ls}/100 in {area} ({title}) from {ln}; {mentor} scores {ms}/100 from {mn}, "
                "{diff} higher.", learner=p.learner_name or p.learner, mentor=p.mentor_name or p.mentor,
                area=p.area, title=title, ls=whole(p.learner_score), ms=whole(p.mentor_score),
                ln=answers(p.learner_n, tr), mn=answers(p.mentor_n, tr),
                diff=tr.ngettext("{n} point", "{n} points", whole(p.mentor_score) - whole(p.learner_score)))


def _practice_whys(practices: list[PracticeSuggestion], report: CityReport, tr: Translator) -> list[str] | None:
    """Why each practice was suggested, in the brief's language: the weak areas and principles it fits, with
    their scores (None in English: the report's own sentences)."""
    if tr.lang == "en":
        return None
    rows = {r.code: (kind, r) for kind, items in (("area", report.areas), ("principle", report.principles))
            for r in items}
    whys = []
    for p in practices:
        parts = []
        for code in p.matched:
            kind, row = rows.get(code, (None, None))
            if row is None:
                continue
            words = tr._("weak area") if kind == "area" else tr._("weak principle")
            parts.append(tr._("{kind} {code} {title} (score {score}/100 from {n})", kind=words, code=code,
                              title=row.title, score=score_text(row.score, tr), n=answers(row.n, tr)))
        whys.append(tr._("Fits your {gaps}.", gaps=tr._("; and ").join(parts)) if parts else tr._(p.why))
    return whys


def localize(report: CityReport | ConveningReport, lang: str) -> CityReport | ConveningReport:
    """The report with the framework's words in `lang` (titles, questions, labels, scale, stages) when the
    framework has them; the numbers are untouched. The report as it is otherwise."""
    texts = report.framework.translations.get(lang)
    if texts is None:
        return report
    fw = report.framework
    titles = texts.titles
    tiers = {t.label: i for i, t in enumerate(fw.tiers)}

    def tier(label: str | None) -> str | None:
        return texts.tiers[tiers[label]].label if label in tiers and tiers[label] < len(texts.tiers) else label

    def retitle(items, field: str = "title", key: str = "code"):
        return [i.model_copy(update={field: titles.get(getattr(i, key), getattr(i, field))}) for i in items]

    framework = fw.model_copy(update={k: getattr(texts, k) for k in (
        "title", "labels", "scale", "dont_know", "not_applicable", "tiers")})
    update: dict = {"framework": framework}
    if isinstance(report, CityReport):
        o = report.overall
        i = tiers.get(o.tier)
        update |= {
            "overall": o.model_copy(update={"tier": tier(o.tier), "tier_description": (
                texts.tiers[i].description if i is not None and i < len(texts.tiers) else o.tier_description)}),
            "areas": retitle(report.areas), "principles": retitle(report.principles),
            "questions": retitle(report.questions, "text"), "disagreements": retitle(report.disagreements, "text"),
            "strengths": retitle(report.strengths), "gaps": retitle(report.gaps),
            "peers": retitle(report.peers or [], "area_title", "area") if report.peers is not None else None,
        }
    else:
        update |= {
            "areas": retitle(report.areas), "strongest": retitle(report.strongest, key="area"),
            "common_gaps": retitle(report.common_gaps, key="area"),
            "cities": [c.model_copy(update={"overall": c.overall.model_copy(update={"tier": tier(c.overall.tier)})})
                       for c in report.cities],
        }
        if report.pairs:
            update["pairs"] = report.pairs.model_copy(update={"pairs": retitle(report.pairs.pairs, "area_title",
                                                                                 "area")})
    return report.model_copy(update=update)


def city_view(report: CityReport, tr: Translator = EN) -> dict:
    """Everything a city brief prints, as plain strings and numbers, in `tr`'s language."""
    report = localize(report, tr.lang)
    fw = report.framework
    labels = {"principle": tr._("Core principle"), "area": tr._("Area of action"), **fw.labels.model_dump()}
    scale = fw.scale
    threshold = fw.thin_threshold
    thin_words = tr._("few answers (under {n})", n=threshold) if threshold else tr._("few answers")
    counts, overall, rnd, city = report.counts, report.overall, report.round, report.city
    prev = report.previous_round_title or report.previous_round
    heading = city_heading(city)
    empty = not counts.answers and not counts.scored
    dont_know = fw.dont_know or tr._("Don't know")
    not_applicable = fw.not_applicable or tr._("Not applicable")

    meta = _meta(report, tr)
    meta.append((tr._("Compared with"), tr._("{round} (the city's previous round)", round=prev) if prev
                 else tr._("no earlier round")))
    change = report.people_change
    different = bool(change and change.different)

    ev, core = report.evidence, report.core
    key = []
    if not empty:
        key.append({"label": tr._("Overall score"),
                    "value": tr._("{score} out of 100", score=score_text(overall.score, tr)),
                    "strong": stage_text(fw, overall.tier, tr),
                    "note": f"{overall.tier_description or ''} "
                            + tr._("Based on {answers} that gave a level.", answers=answers(overall.n, tr))
                            + (" " + tr._("Few answers: treat with care.") if overall.thin else "")})
        key.append({"label": tr._("People who answered"), "value": tr.number(counts.respondents),
                    "note": tr._("{answers} in all: {scored} gave a level, {dont_know_n} said \u201c{dont_know}"
                                 "\u201d, {na_n} said \u201c{not_applicable}\u201d; {blank} left blank.",
                                 answers=answers(counts.answers, tr), scored=counts.scored,
                                 dont_know_n=counts.dont_know, dont_know=dont_know, na_n=counts.na,
                                 not_applicable=not_applicable, blank=counts.unanswered)})
        key.append({"label": tr._("Answers with evidence"), "value": percent(ev.share, tr),
                    "note": tr._("of the {answers} that gave a level came with evidence (a document, link or "
                                 "example).", answers=answers(ev.n, tr))})
        if core.n_core:
            lvl = core.level
            lvl_name = next((s.label for s in scale if s.value == lvl), str(lvl))
            key.append({"label": tr._("Core questions"),
                        "value": tr._("{met} of {total}", met=core.n_met, total=core.n_core),
                        "note": tr._("core questions stand at \u201c{level_name}\u201d (level {level}) or above "
                                     "on average.", level_name=lvl_name, level=lvl)})

    round_name = round_text(rnd)
    view = {
        "kind": "city",
        "lang": tr.lang,
        "title": tr._("City brief: {city}, {round}", city=heading, round=round_name)
                 + (" " + tr._("(synthetic demo data)") if report.notice else ""),
        "heading": heading,
        "city": {"name": city.name, "local_name": city.local_name or "", "nation": city.nation or ""},
        "round_id": rnd.id,
        "running_head": tr._("City brief · {city} · {round}", city=city.name, round=round_name),
        **_stamp(report, tr),
        "meta": [{"label": k, "value": v} for k, v in meta],
        "labels": labels,
        # the people who answered differ for the whole city, so it is said once, on the column (and in words)
        "change_heading": (tr._("Change since the last round") + (f" ({tr._(DIFFERENT_WORDS)})" if different
                                                                   else "") if prev else tr._("Change")),
        "people_change": _people_change(change, tr) if change else "",
        "sections": {
            "areas": tr._("{areas}: scores and change since the last round", areas=plural_label(labels["area"], tr)),
            "principles": plural_label(labels["principle"], tr),
            "heatmap": tr._("Where {principles} meet {areas}",
                            principles=plural_label(labels["principle"], tr).lower(),
                            areas=plural_label(labels["area"], tr).lower()),
        },
        "empty": empty,
        "empty_text": tr._("No answers have been recorded for {city} in \u201c{round}\u201d yet, so this brief has "
                           "no scores to show. It lists the sectors expected to answer; once taskforce members "
                           "answer, run the brief again.", city=heading, round=round_name),
        "key_figures": key,
        "how_to_read": how_to_read(fw, tr),
        "overall_tier": overall.tier or "",
        "areas": [_score_row(a, thin_words, tr=tr) for a in report.areas],
        "principles": [_score_row(p, thin_words, tr=tr) for p in report.principles],
        "heatmap": _heatmap(report, labels, tr),
        "disagreements": [
            {"code": d.code, "text": d.text, "n": d.n, "levels_text": _level_words(d.levels, scale, tr),
             "spread_text": spread_words(d.levels, scale, tr)}
            for d in report.disagreements],
        "sectors": _sectors(report, tr),
    }
    titles = {a.code: a.title for a in report.areas}
    view["evidence"] = {
        "summary": (tr._("{share} of the answers that gave a level came with evidence, such as a document, a link "
                         "or an example. Areas with little evidence are worth checking before the convening.",
                         share=percent(ev.share, tr)) if ev.share is not None
                    else tr._("No answer has evidence yet.")),
        "rows": [{"code": e.code, "title": titles.get(e.code, ""), "share_text": percent(e.share, tr),
                  "share": e.share or 0.0, "n_text": answers(e.n, tr)}
                 for e in ev.areas],
    }
    kinds = {"area": labels["area"], "principle": labels["principle"], "question": tr._("Question")}
    for key_name in ("strengths", "gaps"):
        view[key_name] = [{"kind": kinds.get(s.kind, s.kind), "code": s.code, "title": s.title,
                           "score_text": score_text(s.score, tr)}
                          for s in getattr(report, key_name)]
    view["quotes"] = quote_groups(report.quotes or [], titles, tr)
    if report.practices:
        view["practices"] = practice_groups(report.practices, _practice_whys(report.practices, report, tr))
    if report.peers or report.peers_notice:
        view["peers"] = [_peer(p, titles, tr) for p in report.peers or []]
        view["peers_notice"] = tr._(report.peers_notice) if report.peers_notice else ""
    if report.actions:
        view["actions"] = _actions(report.actions, tr)
    return view


def _short_change(cell: HeatCell | None) -> str:
    """'▲ 3', '▼ 2', '● 0' or '' (no earlier score): the arrow is a shape and the number says how much."""
    if cell is None or cell.score is None or cell.direction in (None, "new") or cell.change is None:
        return ""
    arrow = {"up": "▲", "down": "▼", "same": "●"}[cell.direction]
    return f"{arrow} {abs(whole(cell.change))}"


def convening_view(report: ConveningReport, tr: Translator = EN) -> dict:
    """Everything a convening brief prints: cities side by side, who is strong where, changes, common gaps."""
    report = localize(report, tr.lang)
    fw = report.framework
    labels = {"principle": tr._("Core principle"), "area": tr._("Area of action"), **fw.labels.model_dump()}
    rnd = report.round
    cities = report.cities
    names = {c.slug: c.name or c.slug for c in cities}
    areas = report.areas
    titles = {a.code: a.title for a in areas}
    heat = {(h.city, h.area): h for h in report.heatmap}
    threshold = fw.thin_threshold
    conv_name = rnd.convening_title or rnd.title or rnd.id

    meta = _meta(report, tr)
    meta.append((tr._("Cities"), tr.number(len(cities))))

    city_rows = []
    for c in cities:
        o = c.overall
        city_rows.append({
            "name": names[c.slug], "phase": "" if c.phase is None else str(c.phase),
            "respondents": c.respondents, "answers": c.answers,
            "score_text": score_text(o.score, tr), "bar": o.score or 0.0, "tier": o.tier or "",
            "stage": stage_text(fw, o.tier, tr),
            "thin": o.thin and o.score is not None})

    heat_rows = []
    for c in cities:
        cells = []
        for a in areas:
            h = heat.get((c.slug, a.code))
            score = h.score if h else None
            fill, ink = heat_colours(score)
            cells.append({"area": a.code, "text": "–" if score is None else score_text(score, tr),
                          "change": _short_change(h), "n_text": f"n = {h.n if h else 0}",
                          "thin": bool(h and h.thin) and score is not None, "fill": fill, "ink": ink})
        heat_rows.append({"name": names[c.slug], "cells": cells})

    strong = []
    for s in report.strongest:
        listed = [f"{names.get(x.city, x.city)} ({score_text(x.score, tr)})" for x in s.cities]
        strong.append({"code": s.area, "title": s.title or titles.get(s.area, ""),
                       "cities": ", ".join(listed) if listed else tr._("no city has enough answers yet")})

    moves = [h for h in report.heatmap if h.direction in ("up", "down") and h.change is not None and not h.thin]
    moves.sort(key=lambda h: (-abs(h.change), names.get(h.city, h.city), h.area))
    rises = [h for h in moves if h.direction == "up"][:5]
    falls = [h for h in moves if h.direction == "down"][:5]
    different = {c.slug: bool(c.people_change and c.people_change.different) for c in cities}
    changes = [{"city": names.get(h.city, h.city), "code": h.area, "title": titles.get(h.area, ""),
                "text": change_text(h, different.get(h.city, False), tr), "now": score_text(h.score, tr)}
               for h in rises + falls]
    practices = {}
    for p in report.practices or []:
        for code in p.matched[:1]:
            practices.setdefault(code, []).append(p)

    gaps = [{"code": g.area, "title": g.title or titles.get(g.area, ""),
             "text": tr._("Below the city's own overall score in {low} of {of} cities (average score {mean}).",
                          low=g.low_in, of=g.of, mean=score_text(g.mean, tr)),
             "cities": ", ".join(names.get(s, s) for s in g.cities),
             "practices": [item for group in practice_groups(practices.get(g.area, [])) for item in group["entries"]]}
            for g in report.common_gaps]

    silent = [names[c.slug] for c in cities if not c.answers]
    scored = [(c.overall.score, names[c.slug]) for c in cities if c.overall.score is not None]
    summary = tr._("{n} cities; scores out of 100 for each city (rows) in each {area} (columns). Every cell prints "
                   "its score, the change since the city's previous round as an arrow and a number (▲ up, ▼ down, "
                   "● no change; blank when there is no earlier score) and the number of answers behind it "
                   "(\u201cfew\u201d: too few answers to rely on); the shading steps every 20 points, darker for "
                   "higher scores.", n=len(cities), area=labels["area"].lower())
    heading = tr._("Convening brief: {convening}", convening=conv_name)
    return {
        "kind": "convening",
        "lang": tr.lang,
        "title": heading + (" " + tr._("(synthetic demo data)") if report.notice else ""),
        "heading": heading,
        "round_id": rnd.id,
        "running_head": tr._("Convening brief · {convening}", convening=conv_name),
        **_stamp(report, tr),
        "meta": [{"label": k, "value": v} for k, v in meta],
        "labels": labels,
        "area_heading": plural_label(labels["area"], tr),
        "empty": not scored,
        "empty_text": tr._("No city has answers in \u201c{round}\u201d yet, so there is nothing to compare.",
                           round=round_text(rnd)),
        "intro": tr._("Each city's self-assessment summed up in scores out of 100. Scores marked \u201cfew "
                      "answers\u201d (fewer than {n} answers) are left out of the comparisons.",
                      n=threshold or tr._("a few")),
        "how_to_read": how_to_read(fw, tr),
        "silent": tr._("Cities with no answers this round: {cities}.", cities=", ".join(silent)) if silent else "",
        "cities": city_rows,
        "heatmap": {"areas": [a.code for a in areas], "area_titles": [a.title for a in areas],
                    "rows": heat_rows, "summary": summary},
        "areas": [{"code": a.code, "title": a.title} for a in areas],
        "strongest": strong,
        "changes": changes,
        "common_gaps": gaps,
        **_pairs(report.pairs, tr),
    }


def _pairs(pairs: PairsPlan | None, tr: Translator = EN) -> dict:
    """The round's learning pairs (icframework.analysis.exchange.enrich_convening), when the report has them."""
    if not pairs:
        return {}
    rows = [{"area": p.area, "area_title": p.area_title, "mentor": p.mentor_name or p.mentor,
             "learner": p.learner_name or p.learner, "why": _pair_why(p, p.area_title, tr)}
            for p in pairs.pairs]
    unmatched = [f"{u.city}: {tr._(u.reason)}" for u in pairs.unmatched]
    return {"pairs": {"method": tr._(pairs.method) if pairs.method else "",
                      "notice": tr._(pairs.notice) if pairs.notice else "", "rows": rows,
                      "unmatched": "; ".join(unmatched)}}


def is_convening(report: CityReport | ConveningReport) -> bool:
    return isinstance(report, ConveningReport)


def view_for(report: CityReport | ConveningReport, tr: Translator = EN) -> dict:
    """The plain-language view of a city report or a convening report in `tr`'s language (control characters
    dropped from every string: neither a PDF nor an HTML page can show them)."""
    if isinstance(report, ConveningReport):
        return printable({**convening_view(report, tr), "words": template_words(tr, *_templates("convening"))})
    if isinstance(report, CityReport):
        return printable({**city_view(report, tr), "words": template_words(tr, *_templates("city"))})
    raise TypeError(f"view_for takes a CityReport or ConveningReport (icframework.analysis.models), not "
                    f"{type(report).__name__}: read a saved report with icframework.analysis.models.load_report")


def _templates(kind: str) -> list:
    """The templates a brief of `kind` is printed with (their `t("...")` words travel in the view)."""
    from ..config import bundled

    root = bundled("templates")
    return [root / "brief.typ", root / f"{kind}_brief.typ", root / "icf_brief" / "index.html.j2",
            root / "icf_brief" / f"{kind}.html.j2"]


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # Unicode's control characters (Cc) but tab and newline


def printable(value):
    """`value` (a view: dicts, lists, strings) with control characters other than tab and newline dropped."""
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, dict):
        return {k: printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value
