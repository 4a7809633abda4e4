"""The self-assessment form: ipywidgets built from a Store, a Respondent and the round's Framework.

`workbooks/self_assessment.ipynb` (served by Voilà, see `icf app`) only calls `preload()` and
`open_form(store, query_string())`. Everything else lives here and runs without a browser: the tests set widget
values and the observers save exactly as a click in the page would. The widgets get their accessible roles and
names in the page from assets/form.js (each question's choices a radio group named by the question text, whose
element carries the id `qtext_id(code)`); the layout for phones is in assets/form.css.

Every change is one `Store.save_answer` call (one transaction, audit-logged) made as soon as the widget changes,
so closing the tab or losing the kernel loses nothing; reopening the link rebuilds the form from the store.
User text (answers, evidence, comments, and the text of a user's own framework) is only ever shown as text.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import threading
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
from ..i18n import N_, Translator, translator
from ..model.framework import Framework, Question
from ..model.types import sector_label
from ..store.store import Respondent, Store

log = logging.getLogger(__name__)

NO_STORE = N_("This app was started without an answer store. The facilitator should start it with "
              "`icf app --store URL`.")
SAVE_FAILED = N_("Your answer is still here, but it could not be saved ({reason}). Check your connection and "
                 "change it again, or press “Try saving again”.")
RECEIPT_CSS = ("body{font-family:" + style.FONT.replace('"', "'") + ";color:" + style.TEXT + ";max-width:48rem;"
               "margin:0 auto;padding:1rem;line-height:1.5}h1,h2{color:" + style.PRIMARY + "}"
               "h3{font-size:1rem;margin:1rem 0 .25rem}dt{font-weight:bold}dd{margin:0 0 .5rem 1rem;"
               "white-space:pre-wrap;overflow-wrap:anywhere}section{break-inside:avoid}"
               ".notice{background:" + style.ACCENT_TINT + ";border-left:6px solid " + style.ACCENT + ";padding:.5rem}")
MAX_TEXT = 20_000  # characters in one text field: what Store.save_answer accepts; the fields enforce it (form.js)
TEXT_FIELDS = (("evidence", style.EVIDENCE), ("links", style.LINKS), ("comment", style.COMMENT))
TOO_LONG = N_("{what} is {n} characters long; it can be at most {limit}. Shorten it and it is saved as you type.")
SAVING = N_("Saving…")
SAVING_AFTER = 0.3  # seconds a save may take before the page says "Saving…" (a busy store can hold it 60 s)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def parse_link(query: str) -> tuple[str | None, str | None]:
    """(city, code) from a link's query string such as 'city=bristol&code=...'; missing parts are None."""
    params = parse_qs(query.lstrip("?"), keep_blank_values=False)
    city = (params.get("city") or [None])[0]
    code = (params.get("code") or [None])[0]
    return (city.strip().lower() if city else None), (code.strip() if code else None)


def link_language(query: str) -> str | None:
    """The language a link asks for ('...&lang=cy'), or None (also for anything that is not a language code)."""
    from ..i18n import LANG_RE

    lang = (parse_qs(query.lstrip("?")).get("lang") or [None])[0]
    return lang.strip() if lang and LANG_RE.match(lang.strip()) else None


def open_form(store: Store | None, query: str, cities: Path | None = None, contact: str | None = None,
              locale: tuple[Path, ...] = ()) -> W.Widget:
    """The form for the respondent the link names, or a friendly message (and no data) when it is not valid.
    `cities` is the programme's cities folder (for the city's name; default: the example programme); `contact`
    is whom people can ask (the programme's `contact:`); `locale` the programme's catalogue folders. The form
    speaks the link's language (`lang=cy`), else the one recorded for the person, else the framework's own."""
    asked = link_language(query)
    tr = translator(asked or "en", locale)
    if store is None:
        return message_page(tr._("The form is not available"), tr._(NO_STORE), tr)
    city, code = parse_link(query)
    try:
        respondent = store.authenticate(city, code)
    except AccessDenied as exc:
        return message_page(tr._("This link does not open a form"), str(exc), tr)
    return AssessmentForm(store, respondent, cities=cities, contact=contact, lang=asked, locale=locale).widget


def message_page(title: str, text: str, tr: Translator | None = None) -> W.Widget:
    """A page with one message, styled like the form."""
    kit = Kit()
    return kit.box([kit.html(f'<h1 class="icf-title">{escape(title)}</h1>'
                                    f'<p class="icf-message" role="alert">{escape(text)}</p>')], "icf-app",
                   f"icf-lang-{(tr.lang if tr else 'en')}")


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

    def text(self, value: str, label: str, rows: int | None = None, *classes: str) -> W.Text | W.Textarea:
        """A text field with a visible label (help goes in visible text beside it, never in a placeholder, which
        vanishes on typing)."""
        kind = W.Textarea if rows else W.Text
        extra = {"rows": rows} if rows else {}
        w = kind(value=value, description=label, continuous_update=True, layout=self.wide, style=self.text_style,
                 **extra)
        return _classed(w, ["icf-field", *classes])


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


def choices(fw: Framework, q: Question, tr: Translator | None = None) -> list[tuple[str, str]]:
    """Radio options (label, key) for a question: each level with this question's guidance, then Don't know
    and Not applicable. Keys are '0'..'N', 'dont_know' and 'na'."""
    tr = tr or translator()
    out = []
    for lv in fw.scale.levels:
        out.append((f"{lv.label} ({lv.value}): {q.guidance.get(lv.value, lv.description)}", str(lv.value)))
    out.append((f"{fw.scale.dont_know.label}: {tr._(style.DONT_KNOW_HELP)}", "dont_know"))
    out.append((f"{fw.scale.not_applicable.label}: {tr._(style.NOT_APPLICABLE_HELP)}", "na"))
    return out


def qtext_id(code: str) -> str:
    """The id of a question's text in the page: the accessible name of its radio group (assets/form.js)."""
    return "icf-qtext-" + code.replace(".", "-")


def time_estimate(questions: int) -> tuple[int, int]:
    """(low, high) minutes to answer this many questions with some evidence: 40 to 70 seconds a question,
    rounded to 5 minutes."""
    def five(minutes: float) -> int:
        return max(5, 5 * round(minutes / 5))

    low = five(questions * 2 / 3)
    return low, max(low + 5, five(questions * 7 / 6))


def long_date(day: dt.date, tr: Translator | None = None) -> str:
    """'Friday 27 March 2026' ('Dydd Gwener 27 Mawrth 2026' in Welsh)."""
    return (tr or translator()).date(day, weekday=True)


def contact_html(contact: str) -> str:
    """Whom to ask, as text; an email address in it becomes a mailto link (escaped like the rest)."""
    out, last = [], 0
    for m in EMAIL.finditer(contact):
        out.append(escape(contact[last:m.start()]))
        out.append(f'<a href="mailto:{escape(m.group(), quote=True)}">{escape(m.group())}</a>')
        last = m.end()
    out.append(escape(contact[last:]))
    return "".join(out)


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

    def __init__(self, store: Store, respondent: Respondent, *, cities: Path | None = None,
                 contact: str | None = None, today: dt.date | None = None, lang: str | None = None,
                 locale: tuple[Path, ...] = ()):
        self.store = store
        self.respondent = respondent
        self.cities = cities
        self.contact = (contact or "").strip() or None
        self.today = today or dt.date.today()
        self.locale = tuple(locale)
        self.round = store.get_round(respondent.round_id)
        self.source_fw = store.framework_for(respondent.round_id)
        self.synthetic = self.round.synthetic or respondent.synthetic
        self.answers: dict[str, dict] = store.answers_for(respondent)
        self.status = respondent.status
        self.unsaved: dict[str, dict] = {}  # question -> changes whose save failed, retried with the next one
        self.too_long: dict[str, dict[str, tuple[str, int]]] = {}  # question -> field -> (its name, its length)
        self.kit = Kit()
        self.widget = self.kit.box([], "icf-app")
        wanted = lang or respondent.lang
        self.use_language(wanted if wanted in self.languages else self.source_fw.language)

    @property
    def languages(self) -> list[str]:
        """The languages the form can be shown in: those the round's framework has its questions in."""
        return self.source_fw.languages

    def use_language(self, lang: str) -> None:
        """Show the form in `lang` (one of `languages`): every word and question, the answers unchanged (they are
        stored once, whatever the language). The person's choice is recorded for their next visit."""
        self.lang = lang
        self.tr = translator(lang, self.locale)
        self.fw = self.source_fw.localized(lang)
        if lang != (self.respondent.lang or self.source_fw.language):
            try:
                self.respondent = self.store.set_choices(self.respondent.id, lang=lang,
                                                         actor=f"respondent:{self.respondent.id}")
            except Exception:  # noqa: BLE001 - a language choice that could not be kept is no reason to stop
                log.exception("recording the language of respondent %s failed", self.respondent.id)
        self._build()

    def _build(self) -> None:
        tr, kit = self.tr, self.kit
        self.cards: dict[str, QuestionCard] = {}
        self.current: str | None = None  # an area code, or "review"
        self.progress_html = kit.html("", "icf-progressbox")
        self.save_status = kit.html(f'<span class="icf-ok">{tr._(style.ALL_SAVED)}</span>', "icf-live")
        self.retry = W.Button(description=tr._("Try saving again"), layout=W.Layout(display="none"),
                              style=kit.button_style)
        self.retry.add_class("icf-retry")
        self.retry.on_click(lambda _b: self.retry_unsaved())
        self.nav = {a.code: kit.button(a.code, partial(self.show_area, a.code), "icf-navbutton")
                    for a in self.fw.areas}
        self.nav["review"] = kit.button(tr._(style.REVIEW_AND_SUBMIT), self.show_review, "icf-navbutton")
        self.body = kit.box([], "icf-body")
        self.footer = kit.box([], "icf-footer", vertical=False)
        parts = [*self._language_switch(), kit.html(self._header_html())]
        if self.synthetic:
            parts.append(kit.html(f'<p class="icf-synthetic" role="note"><strong>'
                                  f"{escape(tr._(style.SYNTHETIC_NOTICE))}</strong></p>"))
        # Progress and the save status stay in view while the page scrolls (position: sticky in form.css).
        sticky = kit.box([self.progress_html, kit.box([self.save_status, self.retry], "icf-savebar",
                                                      vertical=False)], "icf-sticky")
        parts += [sticky, kit.box(self.nav.values(), "icf-nav", vertical=False), self.body, self.footer]
        self.widget.children = parts
        for old in [c for c in self.widget._dom_classes if c.startswith("icf-lang-")]:
            self.widget.remove_class(old)
        self.widget.add_class(f"icf-lang-{self.lang}")  # assets/form.js sets the page's lang from it
        self.show_area(self.fw.areas[0].code)

    def _language_switch(self) -> list[W.Widget]:
        """One button per other language the form can be shown in, named in that language ('Cymraeg')."""
        from ..i18n import language_name

        others = [lang for lang in self.languages if lang != self.lang]
        if not others:
            return []
        buttons = [self.kit.button(language_name(lang, lang), partial(self.use_language, lang), "icf-langbutton",
                                   f"icf-lang-{lang}") for lang in others]
        return [self.kit.box(buttons, "icf-languages", vertical=False)]

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
        change together with the next one (or with “Try saving again”). A text over MAX_TEXT characters is not
        sent at all: the card says how long it is and may be, and the other changes of the question are saved
        without it (it never makes them fail). While a save waits on a busy store, the page says "Saving…"."""
        card = self.cards.get(code)
        long = self.too_long.setdefault(code, {})
        for f, name in TEXT_FIELDS:
            if f in changes and len(changes[f] or "") > MAX_TEXT:
                long[f] = (name, len(changes[f]))
            elif f in changes:
                long.pop(f, None)
        if not long:
            del self.too_long[code]
        pending = self.unsaved.pop(code, {}) | changes
        for f in long:
            pending.pop(f, None)  # never sent; an earlier unsaved value of the field is replaced by this one
        if not pending:
            self._after_save(card, False, None)
            return False
        waiting = self._saving_notice(card)
        try:
            stored = self.store.save_answer(self.respondent, code, **pending)
        except ICFError as exc:
            waiting()
            self.unsaved[code] = pending
            self._after_save(card, False, str(exc))
            return False
        except Exception as exc:  # the database is unreachable, locked too long, full...
            waiting()
            log.exception("saving %s for respondent %s failed", code, self.respondent.id)
            self.unsaved[code] = pending
            self._after_save(card, False, self.tr._("the answer store did not respond: {error}",
                                                    error=type(exc).__name__))
            return False
        waiting()
        self.answers[code] = stored
        self._after_save(card, not long, self._saved_what(code, pending))
        return not long

    def _saving_notice(self, card: QuestionCard | None):
        """Say "Saving…" on the card and the save status if the save is not done within SAVING_AFTER seconds.
        Returns the function to call once it is done (after which the notice can no longer appear)."""
        lock, state = threading.Lock(), {"done": False}

        def notice():
            with lock:
                if state["done"]:
                    return
                text = f'<span class="icf-saving">{self.tr._(SAVING)}</span>'
                if card is not None:
                    card.status.value = text
                self.save_status.value = text

        timer = threading.Timer(SAVING_AFTER, notice)
        timer.daemon = True
        timer.start()

        def done():
            with lock:
                state["done"] = True
            timer.cancel()

        return done

    def retry_unsaved(self) -> bool:
        """Save every change whose save failed. True when nothing is left unsaved."""
        for code in list(self.unsaved):
            self.save(code)
        return not self.unsaved

    def _saved_what(self, code: str, changes: dict) -> str:
        tr = self.tr
        if "response" in changes:
            return self._response_label(self.answers[code]) or tr._("answer cleared")
        names = [tr._(n).lower() for f, n in (("evidence", style.EVIDENCE), ("links", style.LINKS),
                                              ("comment", style.COMMENT)) if f in changes]
        if len(names) == 1:
            return tr._("your {field}", field=names[0])
        if len(names) == 2:
            return tr._("your {field} and {other}", field=names[0], other=names[1])
        return tr._("your {field}, {other} and {third}", field=names[0], other=names[1], third=names[2])

    def _response_label(self, answer: dict) -> str:
        response = answer.get("response")
        if response == "level":
            return self.fw.scale.label(answer["level"])
        if response == "dont_know":
            return self.fw.scale.dont_know.label
        if response == "na":
            return self.fw.scale.not_applicable.label
        return ""

    def _after_save(self, card: QuestionCard | None, ok: bool, what: str | None) -> None:
        """Tell the card and the save status (a live region: screen readers announce it) what happened. `what` is
        None when nothing could be sent (only a too-long text)."""
        long = self.too_long.get(card.q.code) if card is not None else None
        if card is not None:
            if long:
                card.show_too_long(long, saved=what)
            else:
                card.show_status(ok, what)
            card.update_summary()
        tr = self.tr
        if self.too_long and not self.unsaved:
            text = tr.ngettext("{n} answer not saved: a text is longer than {limit} characters. What you typed is "
                               "still in the form.", "{n} answers not saved: a text is longer than {limit} "
                               "characters. What you typed is still in the form.", len(self.too_long),
                               limit=tr.number(MAX_TEXT))
            self.save_status.value = f'<span class="icf-error">{escape(text)}</span>'
            self.retry.layout.display = "none"
        elif self.unsaved:
            text = tr.ngettext("{n} answer not saved yet. What you typed is still in the form.",
                               "{n} answers not saved yet. What you typed is still in the form.", len(self.unsaved))
            self.save_status.value = f'<span class="icf-error">{escape(text)}</span>'
            self.retry.layout.display = ""
        else:
            where = f" ({escape(card.q.code)})" if card is not None and ok else ""
            self.save_status.value = (f'<span class="icf-ok">{tr._(style.SAVED)}: {escape(what)}{where}. '
                                      f"{tr._(style.ALL_SAVED)}</span>" if where else
                                      f'<span class="icf-ok">{tr._(style.ALL_SAVED)}</span>')
            self.retry.layout.display = "none"
        self._update_progress()

    # -- navigation ------------------------------------------------------------------------------------------
    def show_area(self, area_code: str) -> None:
        """Show one section (building its questions the first time)."""
        area = self.fw.area(area_code)
        for q in area.questions:
            if q.code not in self.cards:
                self.cards[q.code] = QuestionCard(self, q)
        if not any(self.cards[q.code].open for q in area.questions):  # on a phone, cards open one by one
            first = next((q for q in area.questions if not self.answered(q.code)), area.questions[0])
            self.cards[first.code].set_open(True)
        heading = self.kit.html(f'<h2 class="icf-area">{escape(self.fw.labels.area)} {area.code}: '
                                f'{escape(area.title)}</h2><p class="icf-hint">{escape(area.description)}</p>')
        self.body.children = [heading, *(self.cards[q.code].widget for q in area.questions)]
        codes = [a.code for a in self.fw.areas]
        i = codes.index(area_code)
        buttons = []
        tr = self.tr
        if i > 0:
            buttons.append(self.kit.button(tr._("Previous: {code}", code=codes[i - 1]),
                                           partial(self.show_area, codes[i - 1]), "icf-navbutton"))
        if i + 1 < len(codes):
            buttons.append(self.kit.button(tr._("Next: {code} {title}", code=codes[i + 1],
                                                title=self.fw.areas[i + 1].title),
                                           partial(self.show_area, codes[i + 1]), "icf-navbutton"))
        buttons.append(self.kit.button(tr._(style.REVIEW_AND_SUBMIT), self.show_review, "icf-navbutton"))
        self.footer.children = buttons
        self.current = area_code
        self._update_progress()

    def show_review(self) -> None:
        """The review page: what is unanswered or has no evidence, and the submit button."""
        rv = self.review()
        done, total = self.progress()["all"]
        kit, tr = self.kit, self.tr
        # The copy of one's answers comes first: below the lists it was a long scroll away on a phone.
        answered = escape(tr._("You have answered {done} of {total} questions.", done="\0", total="\1"))
        answered = answered.replace("\0", f"<strong>{done}", 1).replace("\1", f"{total}</strong>", 1)
        parts = [kit.html(f'<h2 class="icf-area">{escape(tr._(style.REVIEW_AND_SUBMIT))}</h2>'
                          f"<p>{answered}</p>" + self.download_html())]
        for title, codes, empty in (
            (tr._("Not answered yet"), rv.unanswered, tr._("Every question has an answer.")),
            (tr._("Answered without evidence"), rv.without_evidence,
             tr._("Every answer with a level has evidence or links.")),
        ):
            parts.append(kit.html(f"<h3>{escape(title)} ({len(codes)})</h3>"
                                  + ("" if codes else f"<p>{escape(empty)}</p>")))
            for code in codes:
                q = self.fw.question(code)
                parts.append(kit.button(f"{code} {q.text}", partial(self.show_area, q.area), "icf-goto"))
        if self.editable:
            note = (tr._("You can still submit; unanswered questions count as not answered.") + " "
                    if rv.unanswered else "")
            after = tr._("After submitting, your answers can only be changed if your facilitator reopens them.")
            parts.append(kit.html(f'<p class="icf-hint">{escape(note + after)}</p>'))
            parts.append(kit.button(tr._("Submit my answers"), self._confirm_submit, "icf-submit", primary=True))
        else:
            parts.append(kit.html(self._closed_html()))
        self.body.children = parts
        first = self.fw.areas[0].code
        self.footer.children = [kit.button(tr._("Back to {code}", code=first), partial(self.show_area, first),
                                           "icf-navbutton")]
        self.current = "review"
        self._update_progress()

    def _confirm_submit(self) -> None:
        kit, tr = self.kit, self.tr
        question = escape(tr._("Submit your answers now?"))
        ask = kit.html(f'<p role="alert"><strong>{question}</strong></p>')
        yes = kit.button(tr._("Yes, submit now"), self.submit, "icf-submit", primary=True)
        no = kit.button(tr._("Not yet"), self.show_review, "icf-navbutton")
        self.body.children = [*self.body.children[:-1], ask, kit.box([yes, no], vertical=False)]

    def submit(self) -> bool:
        """Mark this respondent's answers as submitted for the round (unsaved changes are saved first)."""
        if not self.retry_unsaved() or self.too_long:
            self.show_review()
            if self.too_long:
                text = self.tr._("Not submitted: shorten the text that is longer than {limit} characters "
                                 "({questions}) first.", limit=self.tr.number(MAX_TEXT),
                                 questions=", ".join(self.too_long))
                self.save_status.value = f'<p class="icf-error" role="alert">{escape(text)}</p>'
            return False
        try:
            self.respondent = self.store.set_status(self.respondent.id, "submitted",
                                                    actor=f"respondent:{self.respondent.id}")
        except ICFError as exc:
            text = self.tr._("Not submitted: {reason}", reason=str(exc))
            self.save_status.value = f'<p class="icf-error" role="alert">{escape(text)}</p>'
            return False
        self.status = self.respondent.status
        for card in self.cards.values():
            card.set_disabled(True)
        self.show_review()
        return True

    # -- a copy of one's answers -----------------------------------------------------------------------------
    def receipt(self, now: dt.datetime | None = None) -> str:
        """A page with every answer this person gave, to save or print: a standalone HTML file with no script
        and no outside request (its Content-Security-Policy forbids both). User text is escaped, never markup."""
        tr = self.tr
        now = now or dt.datetime.now().replace(microsecond=0)
        who = self.respondent.role or tr._(sector_label(self.respondent.sector))
        rows = []
        for area in self.fw.areas:
            rows.append(f"<h2>{escape(self.fw.labels.area)} {escape(area.code)}: {escape(area.title)}</h2>")
            for q in area.questions:
                a = self.answers.get(q.code) or {}
                fields = [(tr._("Answer"), self._response_label(a) or tr._("Not answered"))]
                fields += [(tr._(n), a.get(f) or "") for f, n in (("evidence", style.EVIDENCE),
                                                                   ("links", style.LINKS), ("comment", style.COMMENT))
                           if (a.get(f) or "").strip()]
                rows.append(f"<section><h3>{escape(q.code)}: {escape(q.text)}</h3><dl>"
                            + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in fields)
                            + "</dl></section>")
        done, total = self.progress()["all"]
        status = {"submitted": tr._("submitted"), "open": tr._("not submitted yet")}.get(self.status, self.status)
        notice = (f'<p class="notice"><strong>{escape(tr._(style.SYNTHETIC_NOTICE))}</strong></p>'
                  if self.synthetic else "")
        title = tr._("{city}: your self-assessment answers", city=self.city_name)
        answered = tr._("answered as {who}", who=who)
        made = f"{tr.date(now)}, {now:%H:%M}"
        summary = tr._("{done} of {total} questions answered; answers {status}. Copy made {made}.", done=done,
                       total=total, status=status, made=made)
        return (f"<!DOCTYPE html>\n<html lang=\"{escape(self.lang)}\"><head><meta charset=\"utf-8\">"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'\">"
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{escape(title)}</title><style>{RECEIPT_CSS}</style></head><body><main>"
                f"<h1>{escape(title)}</h1>{notice}"
                f"<p>{escape(self.round.title)} · {escape(self.fw.title)} · "
                f"{escape(answered)}</p>"
                f"<p>{escape(summary)}</p>" + "".join(rows) + "</main></body></html>")

    def download_html(self) -> str:
        """A link that downloads `receipt()` (a data: URL, so nothing is fetched)."""
        data = base64.b64encode(self.receipt().encode("utf-8")).decode("ascii")
        name = f"{self.respondent.city}-{self.round.id}-my-answers.html"
        return (f'<p class="icf-download"><a download="{escape(name, quote=True)}" '
                f'href="data:text/html;charset=utf-8;base64,{data}">{escape(self.tr._(style.DOWNLOAD_ANSWERS))}</a> '
                f'<span class="icf-hint">{escape(self.tr._(style.DOWNLOAD_HELP))}</span></p>')

    # -- rendering helpers -----------------------------------------------------------------------------------
    def _header_html(self) -> str:
        try:
            from ..model.cities import load_city

            city = load_city(self.respondent.city, self.cities).name
        except ICFError:
            city = self.respondent.city
        self.city_name = city
        tr = self.tr
        who = self.respondent.role or tr._(sector_label(self.respondent.sector))
        n = len(self.fw.questions)
        low, high = time_estimate(n)
        minutes = tr._("About {low} to {high} minutes", low=low, high=high)
        facts = [f"<li><strong>{escape(minutes)}</strong> "
                 + escape(tr._("for {n} questions. Every change is saved as you make it: you can stop, come back "
                               "to this link at any time and answer in any order.", n=n)) + "</li>"]
        if self.round.closes and not self.round.closed:
            when = long_date(self.round.closes, tr)
            by, was = tr._("Please answer by {date}.", date=when), tr._("The deadline was {date}", date=when)
            facts.append(f"<li><strong>{escape(by)}</strong></li>" if self.round.closes >= self.today else
                         f"<li><strong>{escape(was)}</strong>"
                         + escape(tr._("; you can still answer until the round is closed.")) + "</li>")
        if self.contact:
            ask = escape(tr._("Questions? Ask {contact}.", contact="\0")).replace("\0", contact_html(self.contact))
            facts.append(f"<li>{ask}</li>")
        heading = tr._("{city}: self-assessment", city=city)
        answering = tr._("answering as {who}", who=who)
        return (f'<h1 class="icf-title">{escape(heading)}</h1>'
                f'<p class="icf-hint">{escape(self.round.title)} · {escape(self.fw.title)} · '
                f'{escape(answering)}</p><ul class="icf-facts">{"".join(facts)}</ul>'
                + ("" if self.editable else self._closed_html()))

    def _closed_html(self) -> str:
        tr = self.tr
        if self.round.closed:
            closed = escape(tr._("This self-assessment has closed."))
            return (f'<p class="icf-done" role="status"><strong>{closed}'
                    "</strong> " + escape(tr._("Your answers are kept and shown below; they can no longer be "
                                               "changed.")) + "</p>")
        if self.status == "submitted":
            thanks = escape(tr._("Thank you: your answers are submitted."))
            return (f'<p class="icf-done" role="status"><strong>{thanks}</strong> '
                    + escape(tr._("To change them, ask your facilitator to reopen them.")) + "</p>")
        closed = escape(tr._("These answers are closed for changes."))
        return f'<p class="icf-error" role="alert">{closed}</p>'

    def _update_progress(self) -> None:
        prog = self.progress()
        done, total = prog["all"]
        pct = round(100 * done / total) if total else 0
        label = escape(self.tr._("{done} of {total} questions answered", done=done, total=total))
        self.progress_html.value = (
            f'<div class="icf-progress"><p id="icf-progress-label">{label}</p>'
            f'<div class="icf-track" role="progressbar" aria-labelledby="icf-progress-label" aria-valuemin="0" '
            f'aria-valuemax="{total}" aria-valuenow="{done}"><div class="icf-fill" style="width:{pct}%"></div>'
            "</div></div>")
        for a in self.fw.areas:
            n, t = prog[a.code]
            b = self.nav[a.code]
            b.description = f"{a.code} · {n}/{t}"
            b.tooltip = self.tr._("{label} {code}: {title} ({done} of {total} answered)", label=self.fw.labels.area,
                                  code=a.code, title=a.title, done=n, total=t)
            _toggle_class(b, "icf-current", self.current == a.code)
            _toggle_class(b, "icf-complete", n == t)
        _toggle_class(self.nav["review"], "icf-current", self.current == "review")


class QuestionCard:
    """One question: its text, the scale as one radio group, evidence with its help text, links, comment and a
    save status. On a phone (assets/form.css) a closed card shows only its question and the answer given so far,
    with a button to open it; on a wider screen every card is open and that button is hidden."""

    def __init__(self, form: AssessmentForm, q: Question):
        self.form, self.q = form, q
        self.open = False
        kit, tr = form.kit, form.tr
        answer = form.answers.get(q.code) or {}
        kind = tr._("core question") if q.core else tr._("additional question")
        slug = q.code.replace(".", "-")
        self.head = kit.html(f'<h3 class="icf-qcode">{escape(q.code)} <span class="icf-hint">({escape(kind)})</span>'
                             f'</h3><p class="icf-qtext" id="{qtext_id(q.code)}">{escape(q.text)}</p>')
        self.summary = kit.html("", "icf-summary")
        self.toggle = kit.button(tr._("Show {code}", code=q.code), self._flip, "icf-toggle")
        self.choice = kit.radio(choices(form.fw, q, tr), choice_key(answer))
        self.choice.add_class("icf-choices")
        # The field's own label is kept for screen readers (form.css hides it): this visible one sits above the
        # help text, which stays in view while typing (a placeholder would vanish, and be cut on a phone).
        help_text = kit.html(f'<p class="icf-fieldlabel">{escape(tr._(style.EVIDENCE))}</p>'
                             f'<p class="icf-help" id="icf-help-{slug}">{escape(q.evidence_prompt)}</p>')
        self.evidence = kit.text(answer.get("evidence") or "", tr._(style.EVIDENCE), 3, "icf-evidence")
        self.links = kit.text(answer.get("links") or "", tr._("Links (web addresses, if any)"))
        self.comment = kit.text(answer.get("comment") or "", tr._(style.COMMENT), 2)
        self.status = kit.html("", "icf-status")
        self.choice.observe(lambda ch: form.save(q.code, **response_of(ch["new"])), names="value")
        self.evidence.observe(lambda ch: form.save(q.code, evidence=ch["new"]), names="value")
        self.links.observe(lambda ch: form.save(q.code, links=ch["new"]), names="value")
        self.comment.observe(lambda ch: form.save(q.code, comment=ch["new"]), names="value")
        body = kit.box([self.choice, help_text, self.evidence, self.links, self.comment], "icf-cardbody")
        self.widget = kit.box([self.head, self.summary, self.toggle, body, self.status], "icf-card",
                              "icf-q-" + slug)
        self.update_summary()
        self.set_disabled(not form.editable)

    def update_summary(self) -> None:
        """The answer given so far, shown on a closed card."""
        tr = self.form.tr
        answer = self.form.answers.get(self.q.code) or {}
        label = self.form._response_label(answer)
        given = [tr._(n).lower() for f, n in (("evidence", style.EVIDENCE), ("links", style.LINKS),
                                              ("comment", style.COMMENT)) if (answer.get(f) or "").strip()]
        yours, fields = tr._("Your answer:"), tr._("{fields} given", fields=", ".join(given))
        text = (f"{escape(yours)} <strong>{escape(label)}</strong>" if label
                else escape(tr._("Not answered yet"))) + (f" · {escape(fields)}" if given else "")
        value = f'<p class="icf-hint">{text}</p>'
        if self.summary.value != value:
            self.summary.value = value

    def _flip(self) -> None:
        self.set_open(not self.open)

    def set_open(self, open_: bool) -> None:
        self.open = open_
        tr = self.form.tr
        self.toggle.description = (tr._("Hide {code}", code=self.q.code) if open_
                                   else tr._("Show {code}", code=self.q.code))
        _toggle_class(self.widget, "icf-open", open_)

    def show_status(self, ok: bool, what: str) -> None:
        tr = self.form.tr
        if ok:
            self.status.value = f'<span class="icf-ok">{escape(tr._(style.SAVED))}: {escape(what)}</span>'
        else:
            self.status.value = (f'<span class="icf-error">{escape(tr._(style.NOT_SAVED))}. '
                                 f"{escape(tr._(SAVE_FAILED, reason=what))}</span>")

    def show_too_long(self, fields: dict[str, tuple[str, int]], saved: str | None) -> None:
        """Which text is too long, how long it is and how long it may be; and what else was saved."""
        tr = self.form.tr
        parts = [tr._(TOO_LONG, what=tr._("Your {field}", field=tr._(name).lower()), n=tr.number(n),
                      limit=tr.number(MAX_TEXT)) for name, n in fields.values()]
        done = f" {escape(tr._(style.SAVED))}: {escape(saved)}." if saved else ""
        self.status.value = (f'<span class="icf-error">{escape(tr._(style.NOT_SAVED))}. {escape(" ".join(parts))}'
                             f"</span>{done}")

    def set_disabled(self, disabled: bool) -> None:
        for w in (self.choice, self.evidence, self.links, self.comment):
            w.disabled = disabled


def _toggle_class(widget: W.DOMWidget, name: str, on: bool) -> None:
    if on and name not in widget._dom_classes:
        widget.add_class(name)
    elif not on and name in widget._dom_classes:
        widget.remove_class(name)
