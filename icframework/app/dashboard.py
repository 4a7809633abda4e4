"""The city dashboard: one city's diagnostics for its taskforce, read-only, opened from a personal link.

`workbooks/dashboard.ipynb` (served by `icf dashboard`) is three calls, like the form's notebook:

    app = preload()               # in a preheated kernel: the settings, the store, the chart engine warmed up
    page_setup()                  # the form's stylesheet and page script (main landmark, the tab's title)
    app.open(query_string())      # waits for the request, then shows the city of the link (or a clear message)

A link is `?city=SLUG&code=CODE` with a dashboard code (`icf dashboard codes add --city SLUG`,
icframework.store.access): a taskforce code opens only its own city, whatever the URL says; a facilitator code
opens any city. Everything shown is computed by `icframework.analysis` (the city report, enriched with practices,
peers and the action plan, as in the brief; `analysis.dashboard` for the change across rounds, the programme's
median and range, and the drill-down). Viewing writes nothing: the brief is offered as a data: link read from the
build folder, charts are SVG images made in the kernel.
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
from ..model.types import sector_label
from ..store import Store
from . import pages
from .form import message_page, parse_link

log = logging.getLogger(__name__)

ALL_SECTORS = "All sectors"
NO_STORE = ("This dashboard was started without an answer store. The facilitator should start it with "
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
    """The dashboard for the city the link's code opens, or a friendly message and no data."""
    if store is None:
        return message_page("The dashboard is not available", NO_STORE)
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
        text = str(exc) if isinstance(exc, AccessDenied) else "This link does not name a city of this programme."
        return message_page("This link does not open a dashboard", text)
    return CityDashboard(store, info.slug, info.name, settings).widget


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
              answers=None) -> CityView:
    """The dashboard's content: the city report of `round_id` (only `sector`'s answers when given), with the
    knowledge-exchange parts the brief has; its scores in every round of the same framework; the whole city
    beside the programme; the answers behind each question; the brief if it has been made."""
    from ..analysis.dashboard import benchmark, city_rounds, drilldown, trend
    from ..analysis.exchange import enrich_report, round_scores
    from ..analysis.reports import city_report

    if answers is None:
        answers = store.answers_frame(None, city)
    answers = answers[answers["city"] == city]
    mine = answers[answers["sector"] == sector] if sector else answers
    fw = store.framework_for(round_id)
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
    bench = benchmark(city, _round_scores(store, round_id, round_scores))
    drill = drilldown(mine[mine["round"] == round_id], fw, report)
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
    as images, the drill-down as <details>), redrawn when a filter changes."""

    def __init__(self, store: Store, city: str, name: str, settings: Settings):
        from ..analysis.dashboard import city_rounds

        self.store, self.city, self.name, self.settings = store, city, name, settings
        self.answers = store.answers_frame(None, city)
        self.rounds = city_rounds(store.list_rounds(), self.answers)
        title = W.HTML(f'<h1 class="icf-title">{pages.escape(name)}: diagnostics dashboard</h1>'
                       f"<style>{pages.CSS}</style>")
        if not self.rounds:
            body = W.HTML(f'<p class="icf-message" role="status">No answers from {pages.escape(name)} yet: the '
                          "dashboard fills in as the taskforce answers the self-assessment.</p>")
            self.widget = W.VBox([title, body])
            self.widget.add_class("icf-app")
            self.widget.add_class("icf-wide")
            return
        self.round = W.Dropdown(options=[(r.title or r.id, r.id) for r in self.rounds], value=self.rounds[-1].id,
                                description="Round", style={"description_width": "initial"})
        self.sector = W.Dropdown(options=self._sectors(self.rounds[-1].id), value="", description="Sector",
                                 style={"description_width": "initial"})
        self.body = W.HTML()
        self.body.add_class("icf-dashboard-body")
        filters = W.HBox([self.round, self.sector])
        filters.add_class("icf-filters")
        self.widget = W.VBox([title, filters, self.body])
        self.widget.add_class("icf-app")
        self.widget.add_class("icf-wide")
        self._cache: dict[tuple, str] = {}
        self.round.observe(self._round_changed, names="value")
        self._quiet = False
        self.sector.observe(lambda _: None if self._quiet else self.render(), names="value")
        self.render()

    def _sectors(self, round_id: str) -> list[tuple[str, str]]:
        present = sorted(self.answers.loc[self.answers["round"] == round_id, "sector"].unique())
        return [(ALL_SECTORS, ""), *((s, s) for s in present)]

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
                                 sector=self.sector.value or None)
                self._cache[key] = dashboard_html(view)
            except ICFError as exc:
                self._cache[key] = f'<p class="icf-message" role="alert">{pages.escape(exc)}</p>'
        self.body.value = self._cache[key]


def dashboard_html(view: CityView) -> str:
    """The dashboard's content for one view, as HTML (every text escaped)."""
    from ..analysis import charts
    from ..analysis.dashboard import benchmark_chart, trend_chart

    r = view.report
    labels = r.framework.labels
    esc = pages.escape
    who = f"the {esc(view.sector)} sector" if view.sector else "all sectors"
    c = r.counts
    parts = [pages.notice(r.notice if r.synthetic else None),
             f"<p>{esc(r.round.title or r.round.id)} · answers from {who}: {c.respondents} people, {c.answers} "
             f"answers ({c.scored} scored, {c.dont_know} don't know, {c.na} not applicable). Every score is 0–100 "
             f"with n, the number of scored answers behind it; a score from fewer than "
             f"{r.framework.thin_threshold} answers is marked thin.</p>"]
    o = r.overall
    evidence = "–" if r.evidence.share is None else f"{r.evidence.share:.0%}"
    parts.append('<div class="icf-tiles">'
                 f'<div class="icf-tile">Overall<strong>{esc(pages.score(o.score))}</strong>n={o.n}'
                 f'{" (thin)" if o.thin else ""}{" · " + esc(o.tier) if o.tier else ""}</div>'
                 f'<div class="icf-tile">People who answered<strong>{c.respondents}</strong>'
                 f'{sum(1 for v in r.sectors.answered.values() if v)} sectors</div>'
                 f'<div class="icf-tile">Answers with evidence<strong>{evidence}</strong>of scored answers</div>'
                 "</div>")
    if r.sectors.missing and not view.sector:
        parts.append(f"<p>No answers yet from: {esc(', '.join(sector_label(s) for s in r.sectors.missing))}.</p>")

    parts.append(f"<h2>Scores by {esc(labels.area.lower())}</h2>")
    parts.append(pages.figure(charts.area_chart(r), f"{labels.area} scores"))
    since = r.previous_round_title or r.previous_round
    parts.append(pages.table(
        [labels.area, "Score", "n", "Change"],
        [(f"{a.code} {a.title}", pages.score(a.score), f"{a.n}{' (thin)' if a.thin else ''}",
          "–" if a.change is None else f"{a.change:+.0f}") for a in r.areas],
        caption=f"{labels.area} scores" + (f"; change since {since}" if since else ""), numeric=(1, 2, 3)))

    parts.append(f"<h2>{esc(labels.principle)} by {esc(labels.area.lower())}</h2>")
    parts.append(pages.figure(charts.matrix_chart(r), f"{labels.principle} by {labels.area.lower()}"))

    parts.append("<h2>Change across every round</h2>")
    if view.rounds >= 1:
        parts.append(pages.figure(trend_chart(r, view.trend), "Change across every round"))
        if view.rounds == 1:
            parts.append("<p>Only one round so far: the change shows from the next round on.</p>")

    parts.append("<h2>Beside the programme</h2>")
    parts.append(f"<p>{esc(r.city.name)}'s whole taskforce (all sectors) beside the programme's median and range "
                 f"in this round. No other city is named; an area is compared only when at least "
                 f"{view.bench.min_group} cities have enough answers in it.</p>")
    if any(row["compared"] for row in view.bench.rows):
        parts.append(pages.figure(benchmark_chart(r, view.bench), "Beside the programme"))
    if view.bench.notice:
        parts.append(f"<p>{esc(view.bench.notice)}</p>")

    parts.append("<h2>Questions, answers and evidence</h2>")
    parts.append(f"<p>Open an {esc(labels.area.lower())} to see its questions, and a question to see the answers "
                 "and evidence your taskforce gave (by sector).</p>")
    parts.extend(_drill_html(view.drill))

    parts.append("<h2>Practices to learn from</h2>")
    parts.append(_practices_html(r.practices or []))
    parts.append("<h2>Peer learning pairs</h2>")
    parts.append(_peers_html(r))
    parts.append("<h2>Action plan</h2>")
    parts.append(_actions_html(r.actions))
    parts.append("<h2>The brief</h2>")
    if view.brief is not None:
        name = f"{r.city.slug}-{r.round.id}-brief.pdf"
        parts.append(f"<p>{pages.download(view.brief.read_bytes(), name, 'Download the brief (PDF)')}</p>"
                     "<p>The brief covers the whole taskforce (all sectors).</p>")
    else:
        parts.append("<p>The brief for this round has not been made yet; your facilitator makes it.</p>")
    return "".join(parts)


def _drill_html(areas: list[dict]) -> list[str]:
    esc = pages.escape
    out = []
    for a in areas:
        qs = []
        for q in a["questions"]:
            answers = "".join(
                f'<div class="icf-answer"><strong>{esc(x["sector"])}</strong>: {esc(x["answer"])}'
                + (f"\nEvidence: {esc(x['evidence'])}" if x["evidence"] else "")
                + (f"\n{style.LINKS}: {esc(x['links'])}" if x["links"] else "") + "</div>"
                for x in q["answers"]) or '<p class="icf-answer">No answers to this question.</p>'
            extra = f", {q['dont_know']} don't know" if q["dont_know"] else ""
            qs.append(f"<details><summary>{esc(q['code'])} {esc(q['text'])} — "
                      f"{esc(pages.score(q['score'], q['n'], q['thin']))}{esc(extra)}</summary>{answers}</details>")
        out.append(f"<details><summary><strong>{esc(a['code'])} {esc(a['title'])}</strong> — "
                   f"{esc(pages.score(a['score'], a['n'], a['thin']))}</summary>{''.join(qs)}</details>")
    return out


def _practices_html(practices) -> str:
    if not practices:
        return "<p>No suggestion this round.</p>"
    esc = pages.escape
    items = []
    for p in practices:
        source = esc(p.source) + (f" · {pages.link(p.link, 'read more')}" if p.link else "")
        items.append(f"<li><strong>{esc(p.title)}</strong> ({esc(p.city)}, {esc(p.country)}). {esc(p.description)}"
                     f"<br><span class=icf-muted>Why: {esc(p.why)} Source: {source}</span></li>")
    return f"<ul>{''.join(items)}</ul>"


def _peers_html(r) -> str:
    esc = pages.escape
    out = []
    for p in r.peers or []:
        if p.role == "learner":
            out.append(f"<li>Learn about <strong>{esc(p.area)} {esc(p.area_title)}</strong> from "
                       f"{esc(p.mentor_name)} ({p.mentor_score:.0f} against your {p.learner_score:.0f}).</li>")
        else:
            out.append(f"<li>Mentor {esc(p.learner_name)} in <strong>{esc(p.area)} {esc(p.area_title)}</strong> "
                       f"({p.mentor_score:.0f} against their {p.learner_score:.0f}).</li>")
    text = f"<ul>{''.join(out)}</ul>" if out else ""
    if r.peers_notice:
        text += f"<p>{esc(r.peers_notice)}</p>"
    return text or "<p>No pairs this round.</p>"


STATES = {"done": "done", "on_track": "on track", "overdue": "overdue", "dropped": "dropped", "undated": "no date"}


def _actions_html(actions) -> str:
    if actions is None:
        return "<p>This city has no action plan in the programme's files.</p>"
    head = (f"<p>On {pages.escape(actions.reference)}: {actions.done} done, {actions.on_track} on track, "
            f"{actions.overdue} overdue, {actions.dropped} dropped, {actions.undated} without a date "
            f"({actions.total} in all).</p>")
    rows = [(a.title, ", ".join(a.areas), a.owner or "–", a.due or "–",
             STATES.get(a.state, a.state) + (f" ({a.days_overdue} days)" if a.days_overdue else ""))
            for a in actions.items]
    return (pages.notice(actions.notice if actions.synthetic else None) + head
            + pages.table(["Action", "Areas", "Owner", "Due", "State"], rows, caption="Action plan"))
