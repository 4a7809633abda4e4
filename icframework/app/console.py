"""The facilitator console: run a round from a browser, without a terminal.

`workbooks/console.ipynb` (served by `icf dashboard`, on its own port) is three calls:

    app = preload()               # in a preheated kernel: the settings and the store
    page_setup()
    app.open(query_string())      # waits for the request: the console for a facilitator code, else a message

Per round: who has answered, by city and sector, and who is missing; issue, revoke and reopen the form's links
(and download the links issued as CSV for a mail merge); close and reopen the round; make every brief with the
batch runner (`icf run`), with its progress bar; download each brief, or all of them as one zip. Only a
facilitator code opens it (`icf dashboard codes add --role facilitator`); a taskforce code never does. What it
does is in `icframework.app.operations` (tested without a browser); this module only lays it out, every word
through the console's `Translator` (the link's `lang=`, else English; the page's `lang` follows).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

import ipywidgets as W

from ..config import Settings
from ..errors import AccessDenied, ICFError
from ..i18n import N_, Translator, translator
from ..store import Store
from . import operations as ops
from . import pages
from .form import link_language, message_page

log = logging.getLogger(__name__)

NO_STORE = N_("The console was started without an answer store. Start it with `icf dashboard --store URL`.")
ALL = N_("All cities")
CHOOSE_PEOPLE = N_("Choose people first.")
STATUS = {"open": N_("open"), "submitted": N_("submitted"), "revoked": N_("revoked"), "erased": N_("erased")}


@dataclass
class ConsoleApp:
    store: Store | None
    settings: Settings | None = None
    form_url: str = "http://127.0.0.1:8866"

    def open(self, query: str) -> W.Widget:
        return open_console(self.store, query, self.settings, self.form_url)


def preload(env: Mapping[str, str] | None = None) -> ConsoleApp:
    """The store and settings `icf dashboard` passed ($ICF_FORM_URL: where people reach the form)."""
    from .dashboard import kernel_settings

    env = os.environ if env is None else env
    if not env.get("ICF_STORE_URL"):
        return ConsoleApp(None)
    settings = kernel_settings(env)
    store = Store(settings.store_url, create=False)
    for r in store.list_rounds():
        try:
            store.framework_for(r.id)
        except ICFError:
            log.exception("cannot load the framework of round %s", r.id)
    ops.programme_cities(settings.cities)  # read once, before anyone connects
    return ConsoleApp(store, settings, env.get("ICF_FORM_URL") or ConsoleApp.form_url)


def open_console(store: Store | None, query: str, settings: Settings | None = None,
                 form_url: str = ConsoleApp.form_url) -> W.Widget:
    """The console for a facilitator's code; a message and nothing else for any other link. In the link's
    language (`lang=cy`), else English."""
    from ..store.access import check_code

    tr = translator(link_language(query) or "en", settings.locale if settings else ())
    if store is None:
        return message_page(tr._("The console is not available"), tr._(NO_STORE), tr)
    code = (parse_qs(query.lstrip("?")).get("code") or [None])[0]
    try:
        check_code(store, code.strip() if code else None, "facilitator")
    except AccessDenied as exc:
        return message_page(tr._("This link does not open the console"), str(exc), tr)
    return Console(store, settings or Settings.from_environment({}), form_url, tr=tr).widget


def _button(text: str, style: str = "") -> W.Button:
    b = W.Button(description=text, button_style=style, layout=W.Layout(width="auto"))
    b.add_class("icf-navbutton" if not style else "icf-primary")
    return b


class Console:
    """The console's widgets. Every action is one call of `icframework.app.operations` or the store, then the
    affected parts are drawn again from the store."""

    def __init__(self, store: Store, settings: Settings, form_url: str, tr: Translator | None = None):
        self.store, self.settings, self.form_url = store, settings, form_url
        self.tr = tr = tr or translator("en", settings.locale)
        self.issued: list[dict] = []
        rounds = store.list_rounds()
        heading = tr._("Facilitator console")
        title = W.HTML(f'<h1 class="icf-title">{pages.escape(heading)}</h1>'
                       f"<style>{pages.CSS}</style><p>{pages.escape(settings.name)}</p>")
        if not rounds:
            none = pages.fill(tr._("No rounds yet: create one with {command}."),
                              command="<code>icf rounds create</code>")
            body = W.HTML(f'<p class="icf-message" role="status">{none}</p>')
            self.widget = self._page([title, body])
            return
        wide = {"description_width": "initial"}
        self.round = W.Dropdown(options=[(r.title or r.id, r.id) for r in rounds], value=rounds[-1].id,
                                description=tr._("Round"), style=wide)
        self.status = W.HTML()
        self.toggle = _button(tr._("Close the round"))
        self.toggle.on_click(self._toggle_round)
        self.progress = W.HTML()
        # links
        self.city = W.Dropdown(description=tr._("City"), style=wide)
        self.sector = W.Dropdown(description=tr._("Sector"), style=wide)
        self.role = W.Text(description=tr._("Role (optional)"), placeholder=tr._("e.g. HR lead"), style=wide)
        self.count = W.BoundedIntText(value=1, min=1, max=50, description=tr._("How many links"), style=wide,
                                      layout=W.Layout(width="12rem"))
        self.issue = _button(tr._("Issue links"), "primary")
        self.issue.on_click(self._issue)
        self.issued_html = W.HTML()
        self.people = W.SelectMultiple(description=tr._("People"), style=wide, rows=6,
                                       layout=W.Layout(width="100%"))
        self.revoke = _button(tr._("Revoke their links"))
        self.reopen = _button(tr._("Reopen"))
        self.replace = _button(tr._("New link (the old one stops working)"))
        self.revoke.on_click(lambda _: self._set_status("revoked"))
        self.reopen.on_click(lambda _: self._set_status("open"))
        self.replace.on_click(self._replace)
        self.people_note = W.HTML()
        # briefs
        self.make = _button(tr._("Make the briefs"), "primary")
        self.make.on_click(self._make_briefs)
        self.run_output = W.Output()
        self.brief_city = W.Dropdown(description=tr._("Brief of"), style=wide)
        self.brief_link = W.HTML()
        self.zip = _button(tr._("Prepare every brief as one zip"))
        self.zip.on_click(self._zip)
        self.zip_link = W.HTML()
        self.brief_city.observe(lambda _: self._brief_link(), names="value")
        self.city.observe(lambda _: self._city_changed(), names="value")
        self.round.observe(lambda _: self.refresh(), names="value")

        def h2(text, hint=""):
            return W.HTML(f"<h2>{pages.escape(text)}</h2>" + (f"<p>{pages.escape(hint)}</p>" if hint else ""))

        row = W.HBox
        self.widget = self._page([
            title, self.round, self.status, self.toggle,
            h2(tr._("Who has answered"),
               tr._("Per city and sector: people with a link, how many submitted, how many have not started, and "
                    "the share of questions answered. '{no_one}' marks a taskforce sector without a link.",
                    no_one=tr._(ops.NO_ONE))),
            self.progress,
            h2(tr._("Links to the form"), tr._("Issue a personal link per person; send it to them (the CSV below is "
                                               "ready for a mail merge). A link is shown only once.")),
            row([self.city, self.sector]), row([self.role, self.count]), self.issue, self.issued_html,
            h2(tr._("Revoke, reopen or replace links"),
               tr._("Choose people of the city above. Revoked links open nothing; reopening lets someone change "
                    "answers they submitted.")),
            self.people, row([self.revoke, self.reopen, self.replace]), self.people_note,
            h2(tr._("Briefs"), tr._("Make the brief of every city with answers, and the convening brief (the same "
                                    "as `icf run`); cities whose answers have not changed are kept.")),
            self.make, self.run_output, self.brief_city, self.brief_link, self.zip, self.zip_link,
        ])
        for r in self.widget.children:
            if isinstance(r, W.HBox):
                r.add_class("icf-filters")
        self.refresh()

    def _page(self, children) -> W.VBox:
        box = W.VBox(children)
        for name in ("icf-app", "icf-wide", f"icf-lang-{self.tr.lang}"):  # form.js sets the page's lang from it
            box.add_class(name)
        return box

    # -- drawing --------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        tr, esc = self.tr, pages.escape
        rnd = self.store.get_round(self.round.value)
        strong = "<strong class={cls}>{word}</strong>".format
        names = {"round": esc(rnd.title or rnd.id), "id": esc(rnd.id)}
        if rnd.closed:
            state = pages.fill(tr._("{round} ({id}) is {closed}: answers can no longer be changed."), **names,
                               closed=strong(cls="icf-bad", word=esc(tr._("closed"))))
        elif rnd.closes:
            state = pages.fill(tr._("{round} ({id}) is {open}, closes {date}."), **names,
                               open=strong(cls="icf-ok", word=esc(tr._("open"))), date=esc(tr.date(rnd.closes)))
        else:
            state = pages.fill(tr._("{round} ({id}) is {open}."), **names,
                               open=strong(cls="icf-ok", word=esc(tr._("open"))))
        self.status.value = pages.synthetic_badge(rnd.synthetic, tr) + f"<p>{state}</p>"
        self.toggle.description = tr._("Reopen the round") if rnd.closed else tr._("Close the round")
        cities = [(c.name, c.slug) for c in ops.programme_cities(self.settings.cities)]
        self.progress.value = progress_html(ops.progress_table(self.store, rnd.id, self.settings.cities),
                                            dict((slug, name) for name, slug in cities), tr)
        keep = self.city.value
        if list(self.city.options) != cities:
            self.city.options = cities
        slugs = [slug for _, slug in cities]
        self.city.value = keep if keep in slugs else (slugs[0] if slugs else None)
        self._city_changed()
        self._briefs()

    def _city_changed(self) -> None:
        from ..model.cities import load_city
        from ..model.types import SECTORS

        if not self.city.value:
            return
        try:
            expected = list(load_city(self.city.value, self.settings.cities).taskforce_sectors)
        except ICFError:
            expected = []
        self.sector.options = expected + [s for s in SECTORS if s not in expected]
        people = ops.people_table(self.store, self.round.value, self.city.value)
        tr = self.tr
        self.people.options = [
            (f"{p.respondent} · {p.label} · {p.role or p.sector} · {self._status(p.status)} · "
             + tr._("{n} answered", n=p.answered), int(p.respondent)) for p in people.itertuples()]

    def _status(self, status: str) -> str:
        return self.tr._(STATUS[status]) if status in STATUS else status

    def _briefs(self) -> None:
        files = ops.brief_files(self.settings.build, self.round.value)
        keep = self.brief_city.value
        self.brief_city.options = list(files)
        self.brief_city.value = keep if keep in files else next(iter(files), None)
        self.brief_city.disabled = not files
        self.zip.disabled = not files
        self.zip_link.value = ""
        self._brief_link()

    def _brief_link(self) -> None:
        files = ops.brief_files(self.settings.build, self.round.value)
        name = self.brief_city.value
        if name in files:
            self.brief_link.value = "<p>" + pages.download(
                files[name].read_bytes(), f"{self.round.value}-{name}-brief.pdf",
                self.tr._("Download the brief of {city} (PDF)", city=name)) + "</p>"
        else:
            none = self.tr._("No briefs made for this round yet.")
            self.brief_link.value = f"<p>{pages.escape(none)}</p>"

    # -- actions --------------------------------------------------------------------------------------------------
    def _toggle_round(self, _button) -> None:
        rnd = self.store.get_round(self.round.value)
        self.store.set_round_closed(rnd.id, not rnd.closed, actor="facilitator (console)")
        self.refresh()

    def _issue(self, _button) -> None:
        try:
            rows = ops.issue_links(self.store, self.round.value, self.city.value, self.sector.value,
                                   form_url=self.form_url, role=self.role.value.strip(), count=self.count.value)
        except ICFError as exc:
            self.issued_html.value = f'<p class="icf-message" role="alert">{pages.escape(exc)}</p>'
            return
        self.issued.extend(rows)
        self.issued_html.value = issued_html(self.issued, self.tr)
        self.refresh()

    def _set_status(self, status: str) -> None:
        done = []
        for rid in self.people.value:
            try:
                r = self.store.set_status(rid, status, actor="facilitator (console)")
                done.append(f"{r.label}: {self._status(r.status)}")
            except ICFError as exc:
                done.append(str(exc))
        text = "; ".join(done) or self.tr._(CHOOSE_PEOPLE)
        self.people_note.value = f'<p role="status">{pages.escape(text)}</p>'
        self.refresh()

    def _replace(self, _button) -> None:
        if not self.people.value:
            text = self.tr._(CHOOSE_PEOPLE)
            self.people_note.value = f'<p role="status">{pages.escape(text)}</p>'
            return
        for rid in self.people.value:
            try:
                self.issued.append(ops.replace_link(self.store, rid, form_url=self.form_url))
            except ICFError as exc:
                self.people_note.value = f'<p class="icf-message" role="alert">{pages.escape(exc)}</p>'
                return
        self.issued_html.value = issued_html(self.issued, self.tr)
        text = self.tr._("New links issued: see “{section}” above.", section=self.tr._("Links to the form"))
        self.people_note.value = f'<p role="status">{pages.escape(text)}</p>'
        self.refresh()

    def _make_briefs(self, _button) -> None:
        self.make.disabled = True
        self.run_output.clear_output()
        try:
            with self.run_output:  # the batch runner's progress bar (tqdm) shows here, as it goes
                done = ops.make_briefs(self.round.value, self.settings)
                print(done.summary)
        except ICFError as exc:
            with self.run_output:
                print(self.tr._("The briefs could not be made: {reason}", reason=str(exc)))
        finally:
            self.make.disabled = False
        self._briefs()

    def _zip(self, _button) -> None:
        files = ops.brief_files(self.settings.build, self.round.value)
        if files:
            data = ops.briefs_zip(files, self.round.value)
            text = self.tr.ngettext("Download {n} brief (zip)", "Download {n} briefs (zip)", len(files))
            self.zip_link.value = "<p>" + pages.download(data, f"{self.round.value}-briefs.zip", text,
                                                         "application/zip") + "</p>"


def progress_html(table, names: dict[str, str] | None = None, tr: Translator | None = None) -> str:
    """The round's progress: one row per sector across the cities (who is hard to reach), then one row per city
    with the sectors missing named in words (not only marked by colour)."""
    tr = tr or translator()
    names = names or {}
    if not len(table):
        none = tr._("No links issued for this round yet.")
        return f"<p>{pages.escape(none)}</p>"
    by_sector = ops.sector_summary(table)
    sectors = pages.table(
        [tr._("Sector"), tr._("Cities expecting it"), tr._("Cities with a link"), tr._("Cities with answers"),
         tr._("People"), tr._("Submitted")],
        [(r.sector, r.expected, r.with_link, r.answering, r.people, r.submitted) for r in by_sector.itertuples()],
        caption=tr._("By sector, across the cities"), numeric=(1, 2, 3, 4, 5))
    by_city = ops.city_summary(table, tr)
    cities = pages.table(
        [tr._("City"), tr._("People"), tr._("Submitted"), tr._("Not started"), tr._("Answered"), tr._("Missing")],
        [(names.get(r.city, r.city), r.people, r.submitted, r.not_started, r.share, r.missing or "–")
         for r in by_city.itertuples()],
        caption=tr._("By city"), numeric=(1, 2, 3, 4))
    gaps = int((by_city["missing"] != "").sum())
    head = tr._("{cities}, {people} with a link, {submitted} submitted; {gaps} with a taskforce sector that has no "
                "link or has not started.",
                cities=tr.ngettext("{n} city", "{n} cities", len(by_city)),
                people=tr.ngettext("{n} person", "{n} people", int(by_city["people"].sum())),
                submitted=tr.number(int(by_city["submitted"].sum())),
                gaps=tr.ngettext("{n} city", "{n} cities", gaps))
    return f"<p>{pages.escape(head)}</p>" + sectors + cities


def issued_html(rows: list[dict], tr: Translator | None = None) -> str:
    """The links issued in this session, and the CSV of them for a mail merge."""
    tr = tr or translator()
    if not rows:
        return ""
    table = pages.table([tr._("City"), tr._("Sector"), tr._("Role"), tr._("Label"), tr._("Link")],
                        [(r["city"], r["sector"], r["role"], r["label"], r["link"]) for r in rows],
                        caption=tr._("Links issued in this session (shown once)"))
    text = tr.ngettext("Download this link (CSV, for a mail merge)", "Download these {n} links (CSV, for a mail merge)",
                       len(rows))
    csv = pages.download(ops.links_csv(rows), "links.csv", text, "text/csv")
    return f"{table}<p>{csv}</p>"
