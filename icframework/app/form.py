"""The self-assessment form: ipywidgets built from a Store, a Respondent and the round's Framework.

`workbooks/self_assessment.ipynb` (served by Voilà, see `icf app`) only calls `preload()` and
`open_form(store, query_string())`. Everything else lives here and runs without a browser: the tests set widget
values and the observers save exactly as a click in the page would.

Every change is one `Store.save_answer` call (one transaction, audit-logged) made as soon as the widget changes,
so closing the tab or losing the kernel loses nothing; reopening the link rebuilds the form from the store.
User text (answers, evidence, comments, and the text of a user's own framework) is only ever shown as text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as W
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

from .. import style
from ..errors import AccessDenied, ICFError
from ..model.framework import Framework, Question
from ..store.store import Respondent, Store

log = logging.getLogger(__name__)

NO_STORE = ("This app was started without an answer store. The facilitator should start it with "
            "`icf app --store URL`.")
SAVE_FAILED = ("Your answer is still here, but it could not be saved ({reason}). Check your connection and "
               "change it again, or press “Try saving again”.")


def parse_link(query: str) -> tuple[str | None, str | None]:
    """(city, code) from a link's query string such as 'city=bristol&code=...'; missing parts are None."""
    params = parse_qs(query.lstrip("?"), keep_blank_values=False)
    city = (params.get("city") or [None])[0]
    code = (params.get("code") or [None])[0]
    return (city.strip().lower() if city else None), (code.strip() if code else None)


def open_form(store: Store | None, query: str, cities: Path | None = None) -> W.Widget:
    """The form for the respondent the link names, or a friendly message (and no data) when it is not valid.
    `cities` is the programme's cities folder (for the city's name; default: the example programme)."""
    if store is None:
        return message_page("The form is not available", NO_STORE)
    city, code = parse_link(query)
    try:
        respondent = store.authenticate(city, code)
    except AccessDenied as exc:
        return message_page("This link does not open a form", str(exc))
    return AssessmentForm(store, respondent, cities=cities).widget


def message_page(title: str, text: str) -> W.Widget:
    """A page with one message, styled like the form."""
    kit = Kit()
    return kit.box([kit.html(f'<h1 class="icf-title">{escape(title)}</h1>'
                                    f'<p class="icf-message" role="alert">{escape(text)}</p>')], "icf-app")


class Kit:
    """Makes widgets that share their layout and style models. Each widget would otherwise bring two models of its
    own, and every model is a message to the browser before the form can be used."""

    def __init__(self):
        self.wide = W.Layout(width="100%")
        self.auto = W.Layout(width="auto")
        self.html_style = HTMLStyle()
        self.text_style = TextStyle(description_width="initial")
        self.button_style = W.ButtonStyle()
        self.radio_style = DescriptionStyle()

    def html(self, value: str = "", *classes: str) -> W.HTML:
        return _classed(W.HTML(value, layout=self.wide, style=self.html_style), classes)

    def button(self, label: str, on_click, *classes: str, primary: bool = False) -> W.Button:
        b = W.Button(description=label, tooltip=label, layout=self.auto, style=self.button_style,
                     button_style="primary" if primary else "")
        b.on_click(lambda _b: on_click())
        return _classed(b, classes)

    def box(self, children, *classes: str, vertical: bool = True) -> W.Box:
        return _classed((W.VBox if vertical else W.HBox)(list(children), layout=self.wide), classes)

    def radio(self, options, value) -> W.RadioButtons:
        return W.RadioButtons(options=options, value=value, layout=self.wide, style=self.radio_style)

    def text(self, value: str, label: str, placeholder: str, rows: int | None = None) -> W.Text | W.Textarea:
        kind = W.Textarea if rows else W.Text
        extra = {"rows": rows} if rows else {}
        w = kind(value=value, description=label, placeholder=placeholder, continuous_update=True,
                 layout=self.wide, style=self.text_style, **extra)
        return _classed(w, ["icf-field"])


def _classed(widget, classes):
    for c in classes:
        widget.add_class(c)
    return widget


# -- the form -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Review:
    """What is left to do before submitting, as question codes in framework order."""

    unanswered: tuple[str, ...]
    without_evidence: tuple[str, ...]  # answered with a level, but neither evidence nor links given


def choices(fw: Framework, q: Question) -> list[tuple[str, str]]:
    """Radio options (label, key) for a question: each level with this question's guidance, then Don't know
    and Not applicable. Keys are '0'..'N', 'dont_know' and 'na'."""
    out = []
    for lv in fw.scale.levels:
        out.append((f"{lv.label} ({lv.value}): {q.guidance.get(lv.value, lv.description)}", str(lv.value)))
    out.append((f"{fw.scale.dont_know.label}: {fw.scale.dont_know.description}", "dont_know"))
    out.append((f"{fw.scale.not_applicable.label}: {fw.scale.not_applicable.description}", "na"))
    return out


def choice_key(answer: dict | None) -> str | None:
    """The radio key of a stored answer (None when there is no response yet)."""
    if not answer or not answer.get("response"):
        return None
    return str(answer["level"]) if answer["response"] == "level" else answer["response"]


def response_of(key: str | None) -> dict:
    """The store fields for a radio key."""
    if key is None:
        return {"response": None}
    if key.isdigit():
        return {"response": "level", "level": int(key)}
    return {"response": key}


class AssessmentForm:
    """One respondent's form. `widget` is what the page shows.

    Sections (one per area of the framework) are built when first shown, so the first question is quickly
    answerable. `answers` mirrors the store: it changes only with what a save returned.
    """

    def __init__(self, store: Store, respondent: Respondent, *, cities: Path | None = None):
        self.store = store
        self.respondent = respondent
        self.cities = cities
        self.round = store.get_round(respondent.round_id)
        self.fw = store.framework_for(respondent.round_id)
        self.synthetic = self.round.synthetic or respondent.synthetic
        self.answers: dict[str, dict] = store.answers_for(respondent)
        self.status = respondent.status
        self.cards: dict[str, QuestionCard] = {}
        self.unsaved: dict[str, dict] = {}  # question -> changes whose save failed, retried with the next one
        self.current: str | None = None  # an area code, or "review"
        self.kit = kit = Kit()

        self.progress_html = kit.html()
        self.save_status = kit.html()
        self.retry = W.Button(description="Try saving again", layout=W.Layout(display="none"),
                              style=kit.button_style)
        self.retry.on_click(lambda _b: self.retry_unsaved())
        self.nav = {a.code: kit.button(a.code, partial(self.show_area, a.code), "icf-navbutton")
                    for a in self.fw.areas}
        self.nav["review"] = kit.button(style.REVIEW_AND_SUBMIT, self.show_review, "icf-navbutton")
        self.body = kit.box([], "icf-body")
        self.footer = kit.box([], "icf-footer", vertical=False)
        parts = [kit.html(self._header_html())]
        if self.synthetic:
            parts.append(kit.html(f'<p class="icf-synthetic" role="note"><strong>{escape(style.SYNTHETIC_NOTICE)}'
                                  "</strong></p>"))
        parts += [self.progress_html, kit.box(self.nav.values(), "icf-nav", vertical=False),
                  kit.box([self.save_status, self.retry], "icf-savebar", vertical=False), self.body, self.footer]
        self.widget = kit.box(parts, "icf-app")
        self.show_area(self.fw.areas[0].code)

    # -- what the form knows ---------------------------------------------------------------------------------
    @property
    def editable(self) -> bool:
        return self.status == "open" and not self.round.closed

    def answered(self, code: str) -> bool:
        return bool((self.answers.get(code) or {}).get("response"))

    def progress(self) -> dict[str, tuple[int, int]]:
        """(answered, total) per area code, and under 'all' for the whole form."""
        out = {a.code: (sum(self.answered(q.code) for q in a.questions), len(a.questions)) for a in self.fw.areas}
        out["all"] = (sum(n for n, _ in out.values()), len(self.fw.questions))
        return out

    def review(self) -> Review:
        """Questions without an answer, and answers with a level but neither evidence nor links."""
        unanswered = tuple(q.code for q in self.fw.questions if not self.answered(q.code))
        no_evidence = tuple(
            q.code
            for q in self.fw.questions
            if (self.answers.get(q.code) or {}).get("response") == "level"
            and not (self.answers[q.code].get("evidence") or "").strip()
            and not (self.answers[q.code].get("links") or "").strip()
        )
        return Review(unanswered, no_evidence)

    # -- saving ----------------------------------------------------------------------------------------------
    def save(self, code: str, **changes) -> bool:
        """Save a change to one answer now. On failure the form keeps what was typed, says so, and retries the
        change together with the next one (or with “Try saving again”)."""
        pending = self.unsaved.pop(code, {}) | changes
        card = self.cards.get(code)
        try:
            stored = self.store.save_answer(self.respondent, code, **pending)
        except ICFError as exc:
            self.unsaved[code] = pending
            self._after_save(card, False, str(exc))
            return False
        except Exception as exc:  # the database is unreachable, locked too long, full...
            log.exception("saving %s for respondent %s failed", code, self.respondent.id)
            self.unsaved[code] = pending
            self._after_save(card, False, f"the answer store did not respond: {type(exc).__name__}")
            return False
        self.answers[code] = stored
        self._after_save(card, True, self._saved_what(code, pending))
        return True

    def retry_unsaved(self) -> bool:
        """Save every change whose save failed. True when nothing is left unsaved."""
        for code in list(self.unsaved):
            self.save(code)
        return not self.unsaved

    def _saved_what(self, code: str, changes: dict) -> str:
        if "response" in changes:
            return self._response_label(self.answers[code]) or "answer cleared"
        names = {"evidence": style.EVIDENCE, "links": style.LINKS, "comment": style.COMMENT}
        return ", ".join(names[f] for f in changes if f in names).lower()

    def _response_label(self, answer: dict) -> str:
        response = answer.get("response")
        if response == "level":
            return self.fw.scale.label(answer["level"])
        if response == "dont_know":
            return self.fw.scale.dont_know.label
        if response == "na":
            return self.fw.scale.not_applicable.label
        return ""

    def _after_save(self, card: QuestionCard | None, ok: bool, what: str) -> None:
        if card is not None:
            card.show_status(ok, what)
        if self.unsaved:
            n = len(self.unsaved)
            self.save_status.value = (f'<p class="icf-error" role="alert">{n} answer{"s" * (n != 1)} not saved '
                                      "yet. What you typed is still in the form.</p>")
            self.retry.layout.display = ""
        else:
            self.save_status.value = f'<p class="icf-ok" role="status">All changes {style.SAVED.lower()}.</p>'
            self.retry.layout.display = "none"
        self._update_progress()

    # -- navigation ------------------------------------------------------------------------------------------
    def show_area(self, area_code: str) -> None:
        """Show one section (building its questions the first time)."""
        area = self.fw.area(area_code)
        for q in area.questions:
            if q.code not in self.cards:
                self.cards[q.code] = QuestionCard(self, q)
        heading = self.kit.html(f'<h2 class="icf-area">{escape(self.fw.labels.area)} {area.code}: '
                                f'{escape(area.title)}</h2><p class="icf-hint">{escape(area.description)}</p>')
        self.body.children = [heading, *(self.cards[q.code].widget for q in area.questions)]
        codes = [a.code for a in self.fw.areas]
        i = codes.index(area_code)
        buttons = []
        if i > 0:
            buttons.append(self.kit.button(f"Previous: {codes[i - 1]}", partial(self.show_area, codes[i - 1]),
                                           "icf-navbutton"))
        if i + 1 < len(codes):
            buttons.append(self.kit.button(f"Next: {codes[i + 1]} {self.fw.areas[i + 1].title}",
                                           partial(self.show_area, codes[i + 1]), "icf-navbutton"))
        buttons.append(self.kit.button(style.REVIEW_AND_SUBMIT, self.show_review, "icf-navbutton"))
        self.footer.children = buttons
        self.current = area_code
        self._update_progress()

    def show_review(self) -> None:
        """The review page: what is unanswered or has no evidence, and the submit button."""
        rv = self.review()
        done, total = self.progress()["all"]
        kit = self.kit
        parts = [kit.html(f'<h2 class="icf-area">{style.REVIEW_AND_SUBMIT}</h2>'
                          f"<p>You have answered <strong>{done} of {total}</strong> questions.</p>")]
        for title, codes, empty in (
            ("Not answered yet", rv.unanswered, "Every question has an answer."),
            ("Answered without evidence", rv.without_evidence, "Every answer with a level has evidence or links."),
        ):
            parts.append(kit.html(f"<h3>{title} ({len(codes)})</h3>" + ("" if codes else f"<p>{empty}</p>")))
            for code in codes:
                q = self.fw.question(code)
                parts.append(kit.button(f"{code} {q.text}", partial(self.show_area, q.area), "icf-goto"))
        if self.editable:
            note = "You can still submit; unanswered questions count as not answered. " if rv.unanswered else ""
            parts.append(kit.html(f'<p class="icf-hint">{note}After submitting, your answers can only be changed '
                                  "if your facilitator reopens them.</p>"))
            parts.append(kit.button("Submit my answers", self._confirm_submit, "icf-submit", primary=True))
        else:
            parts.append(kit.html(self._closed_html()))
        self.body.children = parts
        first = self.fw.areas[0].code
        self.footer.children = [kit.button(f"Back to {first}", partial(self.show_area, first), "icf-navbutton")]
        self.current = "review"
        self._update_progress()

    def _confirm_submit(self) -> None:
        kit = self.kit
        ask = kit.html('<p role="alert"><strong>Submit your answers now?</strong></p>')
        yes = kit.button("Yes, submit now", self.submit, "icf-submit", primary=True)
        no = kit.button("Not yet", self.show_review, "icf-navbutton")
        self.body.children = [*self.body.children[:-1], ask, kit.box([yes, no], vertical=False)]

    def submit(self) -> bool:
        """Mark this respondent's answers as submitted for the round (unsaved changes are saved first)."""
        if not self.retry_unsaved():
            self.show_review()
            return False
        try:
            self.respondent = self.store.set_status(self.respondent.id, "submitted",
                                                    actor=f"respondent:{self.respondent.id}")
        except ICFError as exc:
            self.save_status.value = f'<p class="icf-error" role="alert">Not submitted: {escape(str(exc))}</p>'
            return False
        self.status = self.respondent.status
        for card in self.cards.values():
            card.set_disabled(True)
        self.show_review()
        return True

    # -- rendering helpers -----------------------------------------------------------------------------------
    def _header_html(self) -> str:
        try:
            from ..model.cities import load_city

            city = load_city(self.respondent.city, self.cities).name
        except ICFError:
            city = self.respondent.city
        who = self.respondent.role or self.respondent.sector.replace("-", " ")
        return (f'<h1 class="icf-title">{escape(city)}: {style.SELF_ASSESSMENT.lower()}</h1>'
                f'<p class="icf-hint">{escape(self.fw.title)} · {escape(self.round.title)} · answering as '
                f"{escape(who)}. Every change is saved as you make it; you can leave and come back to this "
                "link at any time, and answer in any order.</p>" + ("" if self.editable else self._closed_html()))

    def _closed_html(self) -> str:
        if self.round.closed:
            return ('<p class="icf-done" role="status"><strong>This self-assessment has closed.</strong> Your answers '
                    "are kept and shown below; they can no longer be changed.</p>")
        if self.status == "submitted":
            return ('<p class="icf-done" role="status"><strong>Thank you: your answers are submitted.</strong> '
                    "To change them, ask your facilitator to reopen them.</p>")
        return '<p class="icf-error" role="alert">These answers are closed for changes.</p>'

    def _update_progress(self) -> None:
        prog = self.progress()
        done, total = prog["all"]
        pct = round(100 * done / total) if total else 0
        self.progress_html.value = (
            f'<div class="icf-progress"><p id="icf-progress-label">{done} of {total} questions answered</p>'
            f'<div class="icf-track" role="progressbar" aria-labelledby="icf-progress-label" aria-valuemin="0" '
            f'aria-valuemax="{total}" aria-valuenow="{done}"><div class="icf-fill" style="width:{pct}%"></div>'
            "</div></div>")
        for a in self.fw.areas:
            n, t = prog[a.code]
            b = self.nav[a.code]
            b.description = f"{a.code} · {n}/{t}"
            b.tooltip = f"{self.fw.labels.area} {a.code}: {a.title} ({n} of {t} answered)"
            _toggle_class(b, "icf-current", self.current == a.code)
            _toggle_class(b, "icf-complete", n == t)
        _toggle_class(self.nav["review"], "icf-current", self.current == "review")


class QuestionCard:
    """One question: its text, the scale as radio buttons, evidence, links, comment and a save status."""

    def __init__(self, form: AssessmentForm, q: Question):
        self.form, self.q = form, q
        kit = form.kit
        answer = form.answers.get(q.code) or {}
        kind = "core question" if q.core else "additional question"
        head = kit.html(f'<h3 class="icf-qcode">{escape(q.code)} <span class="icf-hint">({kind})</span></h3>'
                        f'<p class="icf-qtext">{escape(q.text)}</p>')
        self.choice = kit.radio(choices(form.fw, q), choice_key(answer))
        self.evidence = kit.text(answer.get("evidence") or "", style.EVIDENCE, q.evidence_prompt, rows=3)
        self.links = kit.text(answer.get("links") or "", style.LINKS, "Web addresses of documents or pages")
        self.comment = kit.text(answer.get("comment") or "", style.COMMENT, "Anything you want to add", rows=2)
        self.status = kit.html("", "icf-status")
        self.choice.observe(lambda ch: form.save(q.code, **response_of(ch["new"])), names="value")
        self.evidence.observe(lambda ch: form.save(q.code, evidence=ch["new"]), names="value")
        self.links.observe(lambda ch: form.save(q.code, links=ch["new"]), names="value")
        self.comment.observe(lambda ch: form.save(q.code, comment=ch["new"]), names="value")
        self.widget = kit.box([head, self.choice, self.evidence, self.links, self.comment, self.status],
                              "icf-card", "icf-q-" + q.code.replace(".", "-"))
        self.set_disabled(not form.editable)

    def show_status(self, ok: bool, what: str) -> None:
        if ok:
            self.status.value = f'<span class="icf-ok" role="status">{style.SAVED}: {escape(what)}</span>'
        else:
            self.status.value = (f'<span class="icf-error" role="alert">{style.NOT_SAVED}. '
                                 f"{escape(SAVE_FAILED.format(reason=what))}</span>")

    def set_disabled(self, disabled: bool) -> None:
        for w in (self.choice, self.evidence, self.links, self.comment):
            w.disabled = disabled


def _toggle_class(widget: W.DOMWidget, name: str, on: bool) -> None:
    if on and name not in widget._dom_classes:
        widget.add_class(name)
    elif not on and name in widget._dom_classes:
        widget.remove_class(name)
