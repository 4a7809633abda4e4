"""Every word the brief templates print goes through `t("...")` (icframework.i18n): the catalogue finds each one,
no English is left outside it, a translation shows in the PDF and the HTML, and user text stays text."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from icframework.analysis.models import load_report
from icframework.i18n import _TEMPLATE_CALL, Translator, plural_rule, template_messages
from icframework.render import render_brief_html, render_brief_pdf
from icframework.render.pdf import TEMPLATES
from icframework.render.view import view_for

DATA = Path(__file__).parent / "data"
TYPST = [TEMPLATES / "brief.typ", TEMPLATES / "city_brief.typ", TEMPLATES / "convening_brief.typ"]
JINJA = [TEMPLATES / "icf_brief" / name for name in ("index.html.j2", "city.html.j2", "convening.html.j2")]
PLACE = re.compile(r"\{(\w+)\}")
WORD = re.compile(r"[A-Za-z]{3,}")
VISIBLE_ATTRS = {"aria-label", "alt", "title", "data-label", "placeholder", "value"}
HOSTILE = '<script>alert(1)</script> "quoted" & {title} {score} #emph[x] *bold*'


def load(name: str):
    return load_report(DATA / f"diagnostics-{name}.json")


# -- the templates: every t("...") is found, and nothing English is outside one ---------------------------------

def _calls(text: str) -> list[re.Match]:
    """Every `t(` that calls the word function: not the definition in brief.typ, not one in a comment (the
    comments are blanked, keeping the places of the rest)."""
    text = re.sub(r"\{#.*?#\}|(?<![:\\])//[^\n]*", lambda m: " " * len(m.group()), text, flags=re.S)
    return [m for m in re.finditer(r"\bt\(", text) if not text[max(0, m.start() - 5):m.start()].endswith("let ")]


@pytest.mark.parametrize("path", TYPST + JINJA, ids=lambda p: p.name)
def test_every_t_call_has_a_literal_the_catalogue_finds(path):
    text = path.read_text(encoding="utf-8")
    found = list(_TEMPLATE_CALL.finditer(text))
    assert [m.start() for m in _calls(text)] == [m.start() for m in found], \
        "every t(...) takes one double-quoted literal (no variable, no single quotes) and none is in a comment"
    assert set(template_messages(path)) == {re.sub(r"\\(.)", r"\1", m.group(1)) for m in found}
    for message in template_messages(path):
        assert message == message.strip() and "\n" not in message and "  " not in message, message


def _fill_calls(text: str):
    """(message, names passed) for every fill(t("..."), name: value, ...) or fill(t("..."), name=value, ...)."""
    for m in re.finditer(r"\bfill\(\s*t\(\s*\"((?:[^\"\\]|\\.)*)\"\s*\)", text):
        depth, i = 1, m.end()
        while depth:  # the rest of fill's arguments, up to its closing bracket
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        args = text[m.end():i - 1]
        yield m.group(1), set(re.findall(r"(?:^|,)\s*(\w+)\s*[:=][^=]", args))


@pytest.mark.parametrize("path", TYPST + JINJA, ids=lambda p: p.name)
def test_a_sentence_with_places_is_filled_with_exactly_its_places(path):
    text = path.read_text(encoding="utf-8")
    filled = dict(_fill_calls(text))
    for message in template_messages(path):
        places = set(PLACE.findall(message))
        if places and message in filled:
            assert filled[message] == places, message
        elif places:  # the one place filled with str.replace (index.html.j2's date)
            for name in places:
                assert re.search(r'\.replace\("\{' + name + r'\}"', text), message


def _jinja_leftovers(text: str) -> list[str]:
    """English left outside t(): text and visible attribute values, once Jinja and CSS are taken out."""
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    left = []
    for tag in re.findall(r"<[^>]*>", text):
        for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag):
            if name in VISIBLE_ATTRS:
                left += WORD.findall(value)
    left += WORD.findall(re.sub(r"<[^>]*>", " ", text))
    return left


@pytest.mark.parametrize("path", JINJA, ids=lambda p: p.name)
def test_no_english_outside_t_in_the_html_templates(path):
    assert _jinja_leftovers(path.read_text(encoding="utf-8")) == []


def test_the_html_check_finds_english():
    assert _jinja_leftovers('<h2 id="x">{{ t("Fine") }} Left</h2><td data-label="Score">{{ v.x }}</td>') == \
        ["Score", "Left"]


_KEYWORDS = {"if", "for", "while", "let", "set", "show", "import", "include", "return", "context"}


class _Typst:
    """A small reader of Typst: the text of every markup part (content blocks, the file's own markup, headings),
    with code, strings and comments left out. What remains is what the reader of the brief sees as written."""

    def __init__(self, text: str):
        self.s, self.i, self.out = text, 0, []

    def peek(self, k: int = 0) -> str:
        return self.s[self.i + k] if self.i + k < len(self.s) else ""

    def comment(self) -> bool:
        if self.s.startswith("//", self.i):
            self.i = self.s.find("\n", self.i) if "\n" in self.s[self.i:] else len(self.s)
            return True
        if self.s.startswith("/*", self.i):
            self.i = self.s.index("*/", self.i) + 2
            return True
        return False

    def string(self):
        self.i += 1
        while self.peek() != '"':
            self.i += 2 if self.peek() == "\\" else 1
        self.i += 1

    def code(self, close: str):
        """Code up to `close` (a bracket, or a newline for a statement); content blocks in it are markup."""
        while self.i < len(self.s):
            c = self.peek()
            if c == close:
                return
            if self.comment():
                continue
            if c == '"':
                self.string()
            elif c == "[":
                self.i += 1
                self.markup("]")
                self.i += 1
            elif c in "({":
                self.i += 1
                self.code(")" if c == "(" else "}")
                self.i += 1
            else:
                self.i += 1

    def hash_expr(self):
        """After `#` in markup: a keyword statement or an expression (a name with fields, calls and blocks)."""
        name = re.match(r"[A-Za-z_][\w-]*", self.s[self.i:])
        if name and name.group() in _KEYWORDS:
            self.i += len(name.group())
            if name.group() in ("if", "for", "while"):
                self.code_until_block()
                while re.match(r"\s*else\b", self.s[self.i:]):
                    self.i += len(re.match(r"\s*else", self.s[self.i:]).group())
                    if re.match(r"\s*if\b", self.s[self.i:]):
                        self.i += len(re.match(r"\s*if", self.s[self.i:]).group())
                        self.code_until_block()
                    else:
                        self.code_until_block(cond=False)
            else:
                self.code("\n")
            return
        if name:
            self.i += len(name.group())
        while True:
            c = self.peek()
            if c == "." and re.match(r"\.[A-Za-z_]", self.s[self.i:]):
                self.i += len(re.match(r"\.[A-Za-z_][\w-]*", self.s[self.i:]).group())
            elif c in "({":
                self.i += 1
                self.code(")" if c == "(" else "}")
                self.i += 1
            elif c == "[":
                self.i += 1
                self.markup("]")
                self.i += 1
            else:
                return

    def code_until_block(self, cond: bool = True):
        """An `if`/`for` condition, then its block ([markup] or {code})."""
        while self.i < len(self.s) and self.peek() not in "[{":
            if self.peek() == '"':
                self.string()
            elif self.peek() == "(":
                self.i += 1
                self.code(")")
                self.i += 1
            else:
                self.i += 1
        c = self.peek()
        self.i += 1
        if c == "[":
            self.markup("]")
        else:
            self.code("}")
        self.i += 1

    def markup(self, close: str | None = None):
        self.out.append(" ")  # one block's words never run into the next one's
        while self.i < len(self.s):
            c = self.peek()
            if close and c == close:
                return
            if self.comment():
                continue
            if c == "\\":  # an escape: \u{201C}, a line break, an escaped character
                self.i += len(re.match(r"\\(u\{[0-9A-Fa-f]+\}|.)?", self.s[self.i:], flags=re.S).group())
            elif c == "#":
                self.i += 1
                self.hash_expr()
            elif c == "[":
                self.i += 1
                self.markup("]")
                self.i += 1
            else:
                self.out.append(c)
                self.i += 1

    def text(self) -> str:
        self.markup()
        return "".join(self.out)


def _typst_leftovers(text: str) -> list[str]:
    return WORD.findall(_Typst(text).text())


@pytest.mark.parametrize("path", TYPST, ids=lambda p: p.name)
def test_no_english_outside_t_in_the_typst_templates(path):
    assert _typst_leftovers(path.read_text(encoding="utf-8")) == []


def test_the_typst_check_finds_english():
    sample = ('// a comment\n#let f(x) = [Inside #x]\n= Heading #t("Fine")\n#if a.b == "new" [Then] else [Else]\n'
              '#text(size: 9pt)[Sized #strong("code")]\n#for x in y [#x, Loop]\n#t("Fine") Plain\n')
    assert _typst_leftovers(sample) == ["Inside", "Heading", "Then", "Else", "Sized", "Loop", "Plain"]


# -- a translation shows, in the PDF and the HTML ------------------------------------------------------------------

def shout(message: str) -> str:
    """The message upper-cased, its {places} as they are."""
    return "".join(part if PLACE.fullmatch(part) else part.upper() for part in re.split(r"(\{\w+\})", message))


@pytest.fixture(scope="module")
def loud() -> Translator:
    messages = {m: shout(m) for path in TYPST + JINJA for m in template_messages(path)}
    return Translator(lang="xx", messages=messages, plural_rule=plural_rule("en"))


def pdf_pages(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages]


class _Seen(HTMLParser):
    """The text and the visible attribute values of a page (not its style sheet)."""

    def __init__(self):
        super().__init__()
        self.parts, self.tags, self._style = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._style = tag == "style"
        self.parts += [v for k, v in attrs if k in VISIBLE_ATTRS and v]

    def handle_endtag(self, tag):
        self._style = False

    def handle_data(self, data):
        if not self._style:
            self.parts.append(data)


def seen(page: str) -> tuple[str, list[str]]:
    p = _Seen()
    p.feed(page)
    return " ".join(" ".join(p.parts).split()), p.tags


def test_a_translation_shows_in_the_pdf_and_the_html(loud):
    city = load("cardiff")
    view = view_for(city, loud)
    assert view["words"]["At a glance"] == "AT A GLANCE"
    pdf, page = render_brief_pdf(city, view), render_brief_html(city, None, view)
    pages = pdf_pages(pdf)
    text = " ".join(pages)
    assert "AT A GLANCE" in pages[0] and "At a glance" not in text
    assert f"PAGE 1 OF {len(pages)}" in pages[0] and f"PAGE {len(pages)} OF {len(pages)}" in pages[-1]
    for words in ("HOW TO READ THIS BRIEF", "SCORE OUT OF 100", "WHO ANSWERED", "STRENGTHS AND GAPS",
                  "IN THE TASKFORCE\u2019S OWN WORDS", "Cardiff (Caerdydd): CITY BRIEF", "SOURCE: "):
        assert words in text, words
    assert PdfReader(BytesIO(pdf)).trailer["/Root"]["/Lang"] == view["lang"] == "xx"

    shown, _ = seen(page)
    for words in ("AT A GLANCE", "HOW TO READ THIS BRIEF", "SCORE OUT OF 100", "WHO ANSWERED",
                  "IN THE TASKFORCE'S OWN WORDS", "Cardiff (Caerdydd): CITY BRIEF", "SOURCE: ", "MADE WITH"):
        assert words in shown, words
    assert "At a glance" not in shown and '<html lang="xx">' in page


def test_a_translation_may_reorder_the_places_and_use_an_apostrophe():
    words = {"Page {page} of {pages}": "{pages} tudalen, o'r {page}",
             "{title} ({kind}, {score} out of 100)": "{score}/100 i'r {kind}: {title}"}
    tr = Translator(lang="cy", messages=words, plural_rule=plural_rule("cy"))
    city = load("cardiff")
    view = view_for(city, tr)
    pages = pdf_pages(render_brief_pdf(city, view))
    assert f"{len(pages)} tudalen, o\u2019r 1" in pages[0]
    strength = view["strengths"][0]
    assert f"{strength['score_text']}/100 i\u2019r {strength['kind']}: {strength['title']}" in " ".join(pages)
    shown, _ = seen(render_brief_html(city, None, view))
    assert f"{strength['score_text']}/100 i'r {strength['kind']}: {strength['title']}" in shown


# Keys of the view that steer the templates or are never printed (kept as they are); every other string is
# blanked to "·" below. "kind" only at the top: the strengths' kind is a printed label.
_STEERING = {"direction", "fill", "ink", "href", "words"}
_TOP = {"kind", "lang", "generated_at"}


def blank(value, key: str = "", top: bool = True):
    """The view with every printed string replaced by "·" (empty ones stay empty, so every branch is the same)."""
    if key in _STEERING or (top and key in _TOP):
        return value
    if isinstance(value, str):
        return "\u00b7" if value else ""
    if isinstance(value, dict):
        return {k: blank(v, k, top=not key) for k, v in value.items()}
    if isinstance(value, list):
        return [blank(v, key, top=False) for v in value]
    return value


def _variants(view: dict):
    """The view, the view with every marker on (few answers), and with every list that may be empty emptied."""
    yield view
    marked = copy.deepcopy(view)

    def mark(v):
        if isinstance(v, dict):
            for k in v:
                v[k] = True if k == "thin" else mark(v[k])
        elif isinstance(v, list):
            return [mark(x) for x in v]
        return v
    yield mark(marked)
    bare = copy.deepcopy(view)
    for k in ("disagreements", "quotes", "strengths", "gaps", "changes", "common_gaps", "peers"):
        if k in bare:
            bare[k] = []
    for k in ("actions", "pairs"):
        if k in bare:
            bare[k] = {**bare[k], "rows": [], "notice": "\u00b7", **({"unmatched": "\u00b7"} if k == "pairs" else {})}
    for r in bare.get("areas", []) + bare.get("principles", []):
        r["direction"] = "new"
    yield bare


@pytest.mark.parametrize("name", ["cardiff", "convening", "empty"])
def test_every_word_the_brief_prints_is_translated(loud, name):
    """With the report's own text blanked, what is left in the PDF and the HTML is the templates' words (and the
    view's sentences, made in code): all of them upper-cased by the translator, so none was left in English."""
    report = load(name)
    for view in _variants(blank(view_for(report, loud))):
        view = {**view, "title": "\u00b7", "running_head": "\u00b7"}
        pdf_text = " ".join(pdf_pages(render_brief_pdf(report, view)))
        html_text, _ = seen(render_brief_html(report, None, view))
        for text in (pdf_text, html_text):
            assert [w for w in WORD.findall(text) if w != w.upper()] == []


# -- user text stays text ------------------------------------------------------------------------------------------

def test_user_text_in_a_sentence_stays_text(loud):
    city = load("cardiff")
    view = view_for(city, loud)
    view["heading"] = HOSTILE
    view["strengths"][0]["title"] = HOSTILE
    view["labels"]["area"] = HOSTILE
    view["practices"][0]["entries"][0]["source"] = HOSTILE
    page = render_brief_html(city, None, view)
    shown, tags = seen(page)
    assert "script" not in tags and "b" not in tags
    assert f"{HOSTILE}: CITY BRIEF" in shown  # the heading, once, as written: {title} and {score} not filled in
    assert f"{HOSTILE} ({view['strengths'][0]['kind']}, {view['strengths'][0]['score_text']} OUT OF 100)" in shown
    assert f"SOURCE: {HOSTILE}." in shown
    assert f"SCORES BY {HOSTILE.lower()}" in shown  # an attribute value (aria-label), escaped too
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page

    pdf_text = " ".join(pdf_pages(render_brief_pdf(city, view)))
    assert f"{HOSTILE}: CITY BRIEF" in pdf_text and f"SOURCE: {HOSTILE}." in pdf_text


def test_a_translation_cannot_add_markup():
    tr = Translator(lang="xx", messages={"At a glance": "<b>Glance</b> #emph[x]",
                                         "{city}: city brief": "<i>{city}</i>"}, plural_rule=plural_rule("en"))
    city = load("cardiff")
    view = view_for(city, tr)
    page = render_brief_html(city, None, view)
    shown, tags = seen(page)
    assert "b" not in tags and "i" not in tags
    assert "<b>Glance</b> #emph[x]" in shown and f"<i>{view['heading']}</i>" in shown
    assert "<b>Glance</b> #emph[x]" in " ".join(pdf_pages(render_brief_pdf(city, view)))
