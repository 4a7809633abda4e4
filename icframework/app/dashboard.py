"""The city dashboard: one city's diagnostics for its taskforce, read-only, opened from a personal link.

`workbooks/dashboard.ipynb` (served by `icf dashboard`) is three calls, like the form's notebook:

    app = preload()               # in a preheated kernel: the settings, the store, the chart engine warmed up
    page_setup()                  # the form's stylesheet and page script (main landmark, the tab's title)
    app.open(query_string())      # waits for the request, then shows the city of the link (or a clear message)

A link is `?city=SLUG&code=CODE` (and `&lang=cy` for another language) with a dashboard code
(`icf dashboard codes add --city SLUG`, icframework.store.access): a taskforce code opens only its own city,
whatever the URL says; a facilitator code opens any city. Everything shown is computed by `icframework.analysis`
(the city report, enriched with practices, peers and the action plan, as in the brief; `analysis.dashboard` for
the change across rounds, the programme's median and range, and the drill-down). Viewing writes nothing: the
brief is offered as a data: link read from the build folder, charts are SVG images made in the kernel.

Every word of the page goes through the page's `Translator` (icframework.i18n), made from the link's language
(`lang=`, like the form's) and the programme's catalogues; the page's `lang` follows (assets/form.js reads the
`icf-lang-<code>` class). The framework's own words are shown in that language when its file has them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as W

from .. import style
from ..config import Settings
from ..errors import AccessDenied, ICFError, NotFoundError
from ..i18n import N_, Translator, translator
from ..model.types import sector_label
from ..store import Store
from . import pages
from .form import link_language, message_page, parse_link

log = logging.getLogger(__name__)

ALL_SECTORS = N_("All sectors")
NO_STORE = N_("This dashboard was started without an answer store. The facilitator should start it with "
              "`icf dashboard --store URL`.")


@dataclass
class DashboardApp:
    """What a dashboard kernel holds before anyone connects (None when `icf dashboard` named no store)."""

    store: Store | None
    settings: Settings | None = None

    def open(self, query: str) -> W.Widget:
        """The dashboard of the link's city, or a message (and no data) when the link does not open it."""
        return open_dashboard(self.store, query, self.settings)


def preload(env: Mapping[str, str] | None = None) -> DashboardApp:
    """Open the store `icf dashboard` named and warm up what the first page needs (the scoring code and the
    chart engine), in a preheated kernel before anyone connects."""
    env = os.environ if env is None else env
    if not env.get("ICF_STORE_URL"):
        return DashboardApp(None)
    settings = kernel_settings(env)
    store = Store(settings.store_url, create=False)
    warm_up(store, settings)
    return DashboardApp(store, settings)


def kernel_settings(env: Mapping[str, str]) -> Settings:
    """The settings `icf dashboard` passed to its kernels ($ICF_BUILD: the build folder, where briefs are)."""
    return Settings.from_environment(env, build=env.get("ICF_BUILD") or None)


def warm_up(store: Store | None = None, settings: Settings | None = None) -> None:
    """Load the frameworks, practices and cities, compute the latest round's scores and start the chart engine
    once, by drawing the dashboard of the first city with answers: the first person then waits only for their
    own city."""
    rounds = store.list_rounds() if store is not None else []
    try:
        for r in reversed(rounds):
            cities = sorted(store.answers_frame(r.id)["city"].unique())
            if cities:
                dashboard_html(city_view(store, cities[0], r.id, settings))
                return
        from ..analysis.charts import Figure

        Figure({"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": [{"a": 1}]},
                "mark": "bar", "encoding": {"x": {"field": "a", "type": "quantitative"}}}, "").svg()
    except Exception:  # noqa: BLE001 - whatever fails here is reported when a person opens the dashboard
        log.exception("could not warm up the dashboard")


def open_dashboard(store: Store | None, query: str, settings: Settings | None = None) -> W.Widget:
    """The dashboard for the city the link's code opens, or a friendly message and no data; in the link's
    language (`lang=cy`), else English."""
    tr = translator(link_language(query) or "en", settings.locale if settings else ())
    if store is None:
        return message_page(tr._("The dashboard is not available"), tr._(NO_STORE), tr)
    from ..model.cities import load_city
    from ..model.types import check_slug
    from ..store.access import check_code

    settings = settings or Settings.from_environment({})
    city, code = parse_link(query)
    try:
        check_code(store, code, "taskforce", city)
        check_slug(city, "city")
        info = load_city(city, settings.cities)
    except (AccessDenied, NotFoundError, ICFError) as exc:
        text = str(exc) if isinstance(exc, AccessDenied) else tr._("This link does not name a city of this programme.")
        return message_page(tr._("This link does not open a dashboard"), text, tr)
    return CityDashboard(store, info.slug, info.name, settings, tr=tr).widget


# -- what one view of the dashboard shows -------------------------------------------------------------------------

@dataclass(frozen=True)
class CityView:
    """Everything the dashboard shows for one city, round and sector (None: all sectors)."""

    report: object  # CityReport, enriched (practices, peers, action plan)
    trend: object  # DataFrame (analysis.dashboard.trend)
    bench: object  # analysis.dashboard.Benchmark
    drill: list[dict]
    sector: str | None
    brief: Path | None
    rounds: int = 0
    extra: dict = field(default_factory=dict)


def city_view(store: Store, city: str, round_id: str, settings: Settings, *, sector: str | None = None,
              answers=None, tr: Translator | None = None) -> CityView:
    """The dashboard's content: the city report of `round_id` (only `sector`'s answers when given), with the
    knowledge-exchange parts the brief has; its scores in every round of the same framework; the whole city
    beside the programme; the answers behind each question; the brief if it has been made. With `tr`, the
    framework's words are in its language when the framework has them."""
    from ..analysis.dashboard import benchmark, city_rounds, drilldown, trend
    from ..analysis.exchange import enrich_report, round_scores
    from ..analysis.reports import city_report

    if answers is None:
        answers = store.answers_frame(None, city)
    answers = answers[answers["city"] == city]
    mine = answers[answers["sector"] == sector] if sector else answers
    tr = tr or translator()
    fw = store.framework_for(round_id).localized(tr.lang)  # the framework's own language when it has no tr.lang
    report = city_report(store, city, round_id, fw, cities=settings.cities, answers=mine)
    report = enrich_report(report, store=store, cities_root=settings.cities,
                           extra_practices=settings.extra_practices)
    rounds = store.list_rounds()
    codes = {}
    for r in city_rounds(rounds, answers):
        try:
            codes[r.id] = store.framework_for(r.id).code
        except ICFError:  # a round whose framework file changed or went missing: left out of the trend
            codes[r.id] = None
    table = trend(rounds, mine, fw, codes)
    bench = benchmark(city, _round_scores(store, round_id, round_scores), tr=tr)
    drill = drilldown(mine[mine["round"] == round_id], fw, report, tr)
    brief = Path(settings.build) / round_id / city / "brief.pdf"
    return CityView(report, table, bench, drill, sector, brief if brief.is_file() else None,
                    rounds=int(table["round"].nunique()) if len(table) else 0)


_SCORES: dict[tuple, object] = {}


def _round_scores(store: Store, round_id: str, compute):
    """Every city's area scores in the round, kept while the store is unchanged (one computation serves every
    page of the kernel until an answer changes)."""
    key = (store.url, round_id, store.revision())
    if key not in _SCORES:
        _SCORES.clear()
        _SCORES[key] = compute(store, round_id)
    return _SCORES[key]


# -- the page ---------------------------------------------------------------------------------------------------

class CityDashboard:
    """The dashboard's widgets: a heading, two filters (round, sector) and the content as one HTML block (charts
    as images, the drill-down as <details>), redrawn when a filter changes. Every word in `tr`'s language
    (default English)."""

    def __init__(self, store: Store, city: str, name: str, settings: Settings, tr: Translator | None = None):
        from ..analysis.dashboard import city_rounds

        self.store, self.city, self.name, self.settings = store, city, name, settings
        self.tr = tr = tr or translator("en", settings.locale)
        self.answers = store.answers_frame(None, city)
        self.rounds = city_rounds(store.list_rounds(), self.answers)
        heading = tr._("{city}: diagnostics dashboard", city=name)
        title = W.HTML(f'<h1 class="icf-title">{pages.escape(heading)}</h1>'
                       f"<style>{pages.CSS}</style>")
        if not self.rounds:
            text = tr._("No answers from {city} yet: the dashboard fills in as the taskforce answers the "
                        "self-assessment.", city=name)
            body = W.HTML(f'<p class="icf-message" role="status">{pages.escape(text)}</p>')
            self.widget = self._page([title, body])
            return
        self.round = W.Dropdown(options=[(r.title or r.id, r.id) for r in self.rounds], value=self.rounds[-1].id,
                                description=tr._("Round"), style={"description_width": "initial"})
        self.sector = W.Dropdown(options=self._sectors(self.rounds[-1].id), value="", description=tr._("Sector"),
                                 style={"description_width": "initial"})
        self.body = W.HTML()
        self.body.add_class("icf-dashboard-body")
        filters = W.HBox([self.round, self.sector])
        filters.add_class("icf-filters")
        self.widget = self._page([title, filters, self.body])
        self._cache: dict[tuple, str] = {}
        self.round.observe(self._round_changed, names="value")
        self._quiet = False
        self.sector.observe(lambda _: None if self._quiet else self.render(), names="value")
        self.render()

    def _page(self, children) -> W.VBox:
        box = W.VBox(children)
        for name in ("icf-app", "icf-wide", f"icf-lang-{self.tr.lang}"):  # form.js sets the page's lang from it
            box.add_class(name)
        return box

    def _sectors(self, round_id: str) -> list[tuple[str, str]]:
        present = sorted(self.answers.loc[self.answers["round"] == round_id, "sector"].unique())
        return [(self.tr._(ALL_SECTORS), ""), *((s, s) for s in present)]

    def _round_changed(self, _change) -> None:
        self._quiet = True  # changing the options selects "All sectors": draw once, below
        try:
            self.sector.options = self._sectors(self.round.value)
            self.sector.value = ""
        finally:
            self._quiet = False
        self.render()

    def render(self) -> None:
        key = (self.round.value, self.sector.value, self.store.revision())
        if key not in self._cache:
            try:
                view = city_view(self.store, self.city, self.round.value, self.settings,
                                 sector=self.sector.value or None, tr=self.tr)
                self._cache[key] = dashboard_html(view, self.tr)
            except ICFError as exc:
                self._cache[key] = f'<p class="icf-message" role="alert">{pages.escape(exc)}</p>'
        self.body.value = self._cache[key]


def _h2(text: str) -> str:
    return f"<h2>{pages.escape(text)}</h2>"


def _p(text: str) -> str:
    return f"<p>{pages.escape(text)}</p>"


def dashboard_html(view: CityView, tr: Translator | None = None) -> str:
    """The dashboard's content for one view, as HTML (every text escaped), in `tr`'s language."""
    from ..analysis import charts
    from ..analysis.dashboard import benchmark_chart, trend_chart

    tr = tr or translator()
    r = view.report
    labels = r.framework.labels
    esc = pages.escape
    area_lower = labels.area.lower()
    who = tr._("the {sector} sector", sector=view.sector) if view.sector else tr._("all sectors")
    c = r.counts
    counted = tr._("answers from {who}: {people}, {answers} ({scored} scored, {dont_know} don't know, {na} not "
                   "applicable).", who=who,
                   people=tr.ngettext("{n} person", "{n} people", c.respondents),
                   answers=tr.ngettext("{n} answer", "{n} answers", c.answers),
                   scored=tr.number(c.scored), dont_know=tr.number(c.dont_know), na=tr.number(c.na))
    rule = tr._("Every score is 0–100 with n, the number of scored answers behind it; a score from fewer than "
                "{threshold} answers is marked thin.", threshold=r.framework.thin_threshold)
    parts = [pages.notice(tr._(r.notice) if r.synthetic and r.notice else None),
             f"<p>{esc(r.round.title or r.round.id)} · {esc(counted)} {esc(rule)}</p>"]
    o = r.overall
    evidence = "–" if r.evidence.share is None else tr.percent(r.evidence.share)
    answered = sum(1 for v in r.sectors.answered.values() if v)
    thin = " (" + tr._("thin") + ")"
    overall = f"n={o.n}" + (thin if o.thin else "") + (" · " + o.tier if o.tier else "")
    tiles = [(tr._("Overall"), pages.score(o.score, tr=tr), overall),
             (tr._("People who answered"), tr.number(c.respondents),
              tr.ngettext("{n} sector", "{n} sectors", answered)),
             (tr._("Answers with evidence"), evidence, tr._("of scored answers"))]
    parts.append('<div class="icf-tiles">'
                 + "".join(f'<div class="icf-tile">{esc(name)}<strong>{esc(value)}</strong>{esc(under)}</div>'
                           for name, value, under in tiles) + "</div>")
    if r.sectors.missing and not view.sector:
        missing = ", ".join(tr._(sector_label(s)) for s in r.sectors.missing)
        parts.append(_p(tr._("No answers yet from: {sectors}.", sectors=missing)))

    area_scores = tr._("{area} scores", area=labels.area)
    parts.append(_h2(tr._("Scores by {area}", area=area_lower)))
    parts.append(pages.figure(charts.area_chart(r), area_scores, tr))
    since = r.previous_round_title or r.previous_round
    parts.append(pages.table(
        [labels.area, tr._("Score"), "n", tr._("Change")],
        [(f"{a.code} {a.title}", pages.score(a.score, tr=tr), f"{a.n}{thin if a.thin else ''}",
          "–" if a.change is None else f"{a.change:+.0f}") for a in r.areas],
        caption=(tr._("{area} scores; change since {round}", area=labels.area, round=since) if since
                 else area_scores), numeric=(1, 2, 3)))

    by_area = tr._("{principle} by {area}", principle=labels.principle, area=area_lower)
    parts.append(_h2(by_area))
    parts.append(pages.figure(charts.matrix_chart(r), by_area, tr))

    change = tr._("Change across every round")
    parts.append(_h2(change))
    if view.rounds >= 1:
        parts.append(pages.figure(trend_chart(r, view.trend, tr), change, tr))
        if view.rounds == 1:
            parts.append(_p(tr._("Only one round so far: the change shows from the next round on.")))

    beside = tr._("Beside the programme")
    parts.append(_h2(beside))
    parts.append(_p(tr._("{city}'s whole taskforce (all sectors) beside the programme's median and range in this "
                        "round. No other city is named; an area is compared only when at least {min_group} cities "
                        "have enough answers in it.", city=r.city.name, min_group=view.bench.min_group)))
    if any(row["compared"] for row in view.bench.rows):
        parts.append(pages.figure(benchmark_chart(r, view.bench, tr), beside, tr))
    if view.bench.notice:
        parts.append(_p(view.bench.notice))

    parts.append(_h2(tr._("Questions, answers and evidence")))
    parts.append(_p(tr._("Open an {area} to see its questions, and a question to see the answers and evidence your "
                        "taskforce gave (by sector).", area=area_lower)))
    parts.extend(_drill_html(view.drill, tr))

    parts.append(_h2(tr._("Practices to learn from")))
    parts.append(_practices_html(r.practices or [], tr))
    parts.append(_h2(tr._("Peer learning pairs")))
    parts.append(_peers_html(r, tr))
    parts.append(_h2(tr._("Action plan")))
    parts.append(_actions_html(r.actions, tr))
    parts.append(_h2(tr._("The brief")))
    if view.brief is not None:
        name = f"{r.city.slug}-{r.round.id}-brief.pdf"
        download = pages.download(view.brief.read_bytes(), name, tr._("Download the brief (PDF)"))
        parts.append(f"<p>{download}</p>" + _p(tr._("The brief covers the whole taskforce (all sectors).")))
    else:
        parts.append(_p(tr._("The brief for this round has not been made yet; your facilitator makes it.")))
    return "".join(parts)


def _drill_html(areas: list[dict], tr: Translator | None = None) -> list[str]:
    tr = tr or translator()
    esc = pages.escape
    evidence, links, none = tr._(style.EVIDENCE), tr._(style.LINKS), tr._("No answers to this question.")
    out = []
    for a in areas:
        qs = []
        for q in a["questions"]:
            answers = "".join(
                f'<div class="icf-answer"><strong>{esc(x["sector"])}</strong>: {esc(x["answer"])}'
                + (f"\n{esc(evidence)}: {esc(x['evidence'])}" if x["evidence"] else "")
                + (f"\n{esc(links)}: {esc(x['links'])}" if x["links"] else "") + "</div>"
                for x in q["answers"]) or f'<p class="icf-answer">{esc(none)}</p>'
            extra = tr._(", {n} don't know", n=q["dont_know"]) if q["dont_know"] else ""
            qs.append(f"<details><summary>{esc(q['code'])} {esc(q['text'])} — "
                      f"{esc(pages.score(q['score'], q['n'], q['thin'], tr))}{esc(extra)}</summary>{answers}"
                      "</details>")
        out.append(f"<details><summary><strong>{esc(a['code'])} {esc(a['title'])}</strong> — "
                   f"{esc(pages.score(a['score'], a['n'], a['thin'], tr))}</summary>{''.join(qs)}</details>")
    return out


def _practices_html(practices, tr: Translator | None = None) -> str:
    tr = tr or translator()
    esc = pages.escape
    if not practices:
        return _p(tr._("No suggestion this round."))
    items, more = [], tr._("read more")
    for p in practices:
        source = esc(p.source) + (f" · {pages.link(p.link, more)}" if p.link else "")
        why = pages.fill(tr._("Why: {why} Source: {source}"), why=esc(p.why), source=source)
        items.append(f"<li><strong>{esc(p.title)}</strong> ({esc(p.city)}, {esc(p.country)}). {esc(p.description)}"
                     f"<br><span class=icf-muted>{why}</span></li>")
    return f"<ul>{''.join(items)}</ul>"


def _peers_html(r, tr: Translator | None = None) -> str:
    tr = tr or translator()
    esc = pages.escape
    out = []
    for p in r.peers or []:
        values = {"area": f"<strong>{esc(p.area)} {esc(p.area_title)}</strong>", "mentor": esc(p.mentor_name),
                  "learner": esc(p.learner_name), "mentor_score": format(p.mentor_score, ".0f"),
                  "learner_score": format(p.learner_score, ".0f")}
        if p.role == "learner":
            text = tr._("Learn about {area} from {mentor} ({mentor_score} against your {learner_score}).")
        else:
            text = tr._("Mentor {learner} in {area} ({mentor_score} against their {learner_score}).")
        out.append(f"<li>{pages.fill(text, **values)}</li>")
    text = f"<ul>{''.join(out)}</ul>" if out else ""
    if r.peers_notice:
        text += f"<p>{esc(r.peers_notice)}</p>"
    return text or _p(tr._("No pairs this round."))


STATES = {"done": N_("done"), "on_track": N_("on track"), "overdue": N_("overdue"), "dropped": N_("dropped"),
          "undated": N_("no date")}


def _actions_html(actions, tr: Translator | None = None) -> str:
    tr = tr or translator()
    esc = pages.escape
    if actions is None:
        return _p(tr._("This city has no action plan in the programme's files."))
    head = tr._("On {date}: {done} done, {on_track} on track, {overdue} overdue, {dropped} dropped, {undated} "
                "without a date ({total} in all).", date=actions.reference, done=actions.done,
                on_track=actions.on_track, overdue=actions.overdue, dropped=actions.dropped,
                undated=actions.undated, total=actions.total)
    rows = [(a.title, ", ".join(a.areas), a.owner or "–", a.due or "–",
             (tr._(STATES[a.state]) if a.state in STATES else a.state)
             + (" " + tr.ngettext("({n} day)", "({n} days)", a.days_overdue) if a.days_overdue else ""))
            for a in actions.items]
    notice = actions.notice if actions.synthetic else None
    return (pages.notice(tr._(notice) if notice else None) + f"<p>{esc(head)}</p>"
            + pages.table([tr._("Action"), tr._("Areas"), tr._("Owner"), tr._("Due"), tr._("State")], rows,
                          caption=tr._("Action plan")))
