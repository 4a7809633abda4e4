"""Briefs rendered from fixture reports (tests/data/diagnostics-*.json): what the PDF and HTML say, that they are
accessible (tagged PDF with title and language; HTML landmarks), and that user text prints literally."""

from __future__ import annotations

import html
import re
import subprocess
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from icframework.analysis.models import CityReport, ConveningReport, HeatCell, ScoreRow, load_report, report_from_data
from icframework.analysis.models import to_data as data
from icframework.render import render_brief_html, render_brief_pdf
from icframework.render.view import _level_words as level_words
from icframework.render.view import (
    change_text,
    heat_colours,
    how_to_read,
    plural_label,
    safe_href,
    spread_words,
    whole,
)
from icframework.style import contrast_ratio as contrast

DATA = Path(__file__).parent / "data"
HOSTILE = '#read("/etc/passwd") *bold* _x_ ] [ $x^2$ <script>alert(1)</script> **md** =SUM(A1) @cite \\'


def load(name: str) -> CityReport | ConveningReport:
    return load_report(DATA / f"diagnostics-{name}.json")


def row(**kw) -> ScoreRow:
    return ScoreRow(**{"code": "A1", "title": "Story", "n": 5, "thin": False, "dont_know": 0} | kw)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.parts.append(data)


def html_parse(page: str) -> tuple[str, list]:
    p = _Text()
    p.feed(page)
    return " ".join(" ".join(p.parts).split()), p.tags


@pytest.fixture(scope="module")
def cardiff():
    return load("cardiff")


@pytest.fixture(scope="module")
def cardiff_pdf(cardiff):
    return render_brief_pdf(cardiff)


# -- the words --------------------------------------------------------------------------------------------------

def test_scores_round_half_up_like_people_do():
    assert [whole(x) for x in (62.5, 47.49, 0.5, 99.95, 18.5)] == [63, 47, 1, 100, 19]


def test_change_is_told_with_an_arrow_and_words():
    assert change_text(row(score=57.8, previous=55.0, change=2.8, direction="up")) == "▲ up 3 points (was 55)"
    assert change_text(row(score=31.5, previous=34.4, change=-2.9, direction="down")) == "▼ down 3 points (was 34)"
    assert change_text(row(score=49.0, previous=49.4, change=-0.4, direction="same")) == "● no change (was 49)"
    assert change_text(row(score=50.0, previous=None, change=None, direction="new")).startswith("new")
    assert change_text(row(score=None, previous=40.0, change=None, direction=None)) == "no score this round"
    cell = HeatCell(city="x", area="A1", score=57.8, n=5, thin=False, previous=55.0, change=2.8, direction="up")
    assert change_text(cell) == "▲ up 3 points (was 55)"  # a convening heatmap cell reads the same


def test_heatmap_text_is_readable_on_every_fill():
    for score in [None, *range(0, 101, 5)]:
        fill, ink = heat_colours(score)
        assert contrast(fill, ink) >= 4.5, (score, fill, ink)


def test_labels_are_pluralised_on_the_noun():
    assert plural_label("Area of action") == "Areas of action"
    assert plural_label("Core principle") == "Core principles"


# -- the PDF ----------------------------------------------------------------------------------------------------

def test_city_pdf_reads_back_city_round_and_scores(cardiff, cardiff_pdf):
    text = pdf_text(cardiff_pdf)
    assert "Cardiff (Caerdydd): city brief" in text
    assert cardiff.round.title in " ".join(text.split()) and cardiff.round.id not in text
    assert "Inclusive Cities framework, version 1.1.0" in text
    assert f"{whole(cardiff.overall.score)} out of 100" in text  # 57.7 -> 58
    assert f"Based on {cardiff.overall.n} answers" in text
    for area in cardiff.areas:
        # each area row: code, title, score, answers
        assert re.search(rf"{area.code} .*?{whole(area.score)} {area.n} answers", text), area.code
    for d in cardiff.disagreements:
        assert d.code in text
    assert "No answers yet from: Education, Employers, Newcomer-led groups, Police." in text  # missing sectors
    assert cardiff.notice in text
    assert "City-university working groups on social and health needs" in text  # optional practices key
    assert ("Action plan on 1 March 2020: 1 done, 2 on track, 2 overdue, 0 dropped, 0 without a date, 0 flagged "
            "(5 actions in all).") in text


def test_synthetic_notice_is_on_every_page(cardiff_pdf):
    reader = PdfReader(BytesIO(cardiff_pdf))
    assert 2 <= len(reader.pages) <= 4
    for page in reader.pages:
        assert "Synthetic demo data" in page.extract_text()


def test_pdf_is_tagged_with_title_and_language(cardiff_pdf):
    reader = PdfReader(BytesIO(cardiff_pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"]) is True  # a pypdf BooleanObject
    assert root["/Lang"] == "en"
    assert reader.metadata.title.startswith("City brief: Cardiff (Caerdydd), Self-assessment before the virtual")
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp  # PDF/UA-1
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>A</pdfaid:conformance>" in xmp


def test_pdf_renders_to_an_image(cardiff_pdf, tmp_path):
    (tmp_path / "b.pdf").write_bytes(cardiff_pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", tmp_path / "b.pdf", tmp_path / "p"],
                   check=True)
    png = next(tmp_path.glob("p*.png")).read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_heatmap_prints_every_cell_value(cardiff, cardiff_pdf):
    text = pdf_text(cardiff_pdf)
    for p in cardiff.principles:
        cells = [m for m in cardiff.matrix if m.principle == p.code]
        printed = " ".join(f"{'–' if m.score is None else whole(m.score)} n = {m.n}"
                           + (" few" if m.thin and m.n else "") for m in cells)
        assert printed in text, p.code


def hostile_report(base: CityReport) -> CityReport:
    r = data(base)
    r["city"]["local_name"] = HOSTILE
    r["disagreements"][0]["text"] = "Evidence: " + HOSTILE
    r["practices"][0]["title"] = "<b>Practice</b> #emph[x] `code`"
    r["actions"]["items"][0]["title"] = '=HYPERLINK("http://x") & <img src=x onerror=alert(1)>'
    return report_from_data(r)


def test_user_text_prints_literally_in_pdf(cardiff):
    text = pdf_text(render_brief_pdf(hostile_report(cardiff)))
    assert HOSTILE.strip() in text
    assert "Evidence: " + HOSTILE.strip() in text
    assert "<b>Practice</b> #emph[x] `code`" in text
    assert '=HYPERLINK("http://x") & <img src=x onerror=alert(1)>' in text
    assert "root:x:0:0" not in text  # the file was not read


def test_user_text_is_escaped_in_html(cardiff):
    page = render_brief_html(hostile_report(cardiff))
    text, tags = html_parse(page)
    assert HOSTILE.strip() in text
    assert "<b>Practice</b> #emph[x] `code`" in text
    assert [t for t, _ in tags if t in ("script", "img", "b")] == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_city_without_answers_says_so(tmp_path):
    empty = load("empty")
    pdf, page = render_brief_pdf(empty), render_brief_html(empty)
    for text in (pdf_text(pdf), html_parse(page)[0]):
        assert ("No answers have been recorded for Newry, Mourne and Down (An tIúr) in \u201cSelf-assessment before "
                "the virtual convening (March 2020)\u201d") in " ".join(text.split())
        assert "No answers yet from: Local authority, Newcomer-led groups, Public health, Voluntary and community " \
               "groups." in text


def test_welsh_irish_and_arabic_names(cardiff):
    def named(name: str, local_name: str) -> CityReport:
        return cardiff.model_copy(update={"city": cardiff.city.model_copy(update={"name": name,
                                                                                  "local_name": local_name})})

    text = pdf_text(render_brief_pdf(named("Tŷ Ddewi", "Ŵyl Béal Feirste Ú")))
    assert "Tŷ Ddewi (Ŵyl Béal Feirste Ú): city brief" in text
    pdf = render_brief_pdf(named("Beirut", "بيروت"))  # a script the main font lacks never breaks the build
    assert "Beirut" in pdf_text(pdf) and PdfReader(BytesIO(pdf)).trailer["/Root"]["/Lang"] == "en"


def test_no_character_stops_a_brief(cardiff):
    """An emoji, a script no font covers and control characters in names, titles and actions: the PDF is still
    made, unshowable characters become a white square named on the first page, and the HTML keeps them all."""
    city = cardiff.city.model_copy(update={"name": "Cardiff \U0001f3d9", "local_name": "Caer\x00dydd\x07"})
    rnd = cardiff.round.model_copy(update={"title": "Spring 東京 check-in"})
    items = [cardiff.actions.items[0].model_copy(update={"title": "Audit\x0b access \U0001f4cb"}),
             *cardiff.actions.items[1:]]
    odd = cardiff.model_copy(update={"city": city, "round": rnd,
                                     "actions": cardiff.actions.model_copy(update={"items": items})})
    text = pdf_text(render_brief_pdf(odd))
    assert "Cardiff \u25a1 (Caerdydd): city brief" in text  # the emoji shown as a square, NUL and BEL dropped
    assert "Spring \u25a1\u25a1 check-in" in " ".join(text.split())
    assert "Audit access \u25a1" in " ".join(text.split())
    assert "appear as \u25a1: U+4EAC U+6771 U+1F3D9 U+1F4CB" in " ".join(text.split())
    page = render_brief_html(odd)
    assert "Cardiff \U0001f3d9" in page and "東京" in page and "Audit\x0b access" not in page


# -- the HTML ---------------------------------------------------------------------------------------------------

def test_html_is_one_accessible_self_contained_page(cardiff):
    page = render_brief_html(cardiff)
    text, tags = html_parse(page)
    names = [t for t, _ in tags]
    assert ("html", {"lang": "en"}) in tags
    assert {"header", "main", "footer", "h1", "h2", "table", "caption"} <= set(names)
    assert "script" not in names and "link" not in names and "iframe" not in names
    assert not re.search(r"""src\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from elsewhere
    assert {t for t, a in tags if "href" in a} <= {"a"}  # the only outside addresses are links people follow
    assert names.index("h1") > next(i for i, (t, a) in enumerate(tags) if a.get("class") == "banner")
    assert text.index(cardiff.notice) < text.index("Cardiff (Caerdydd): city brief")
    for svg in (a for t, a in tags if t == "svg"):
        assert svg.get("aria-hidden") == "true"  # bars are decoration: the number beside them is the content
    assert f"{whole(cardiff.overall.score)} out of 100" in text
    for area in cardiff.areas:
        assert f"{area.code} {area.title}" in text


# -- convening --------------------------------------------------------------------------------------------------

def test_convening_brief_puts_cities_side_by_side():
    conv = load("convening")
    text = pdf_text(render_brief_pdf(conv))
    page_text = html_parse(render_brief_html(conv))[0]
    for body in (text, page_text):
        assert conv.notice in body
        for city in conv.cities:
            assert f"{city.name} {city.phase} {city.respondents} {city.answers} " \
                   f"{whole(city.overall.score)}" in body, city.slug
        for gap in conv.common_gaps:
            assert f"in {gap.low_in} of {gap.of} cities" in body
        best = conv.strongest[0].cities[0]
        name = next(c.name for c in conv.cities if c.slug == best.city)
        assert f"{name} ({whole(best.score)})" in body
    assert html.escape("Who is strong where") in render_brief_html(conv)


# -- words a council officer can act on (issue 14) ---------------------------------------------------------------

def test_stages_cannot_be_confused_with_the_answer_levels():
    from icframework.model.framework import load_framework

    for name in ("inclusive-cities", "educating-cities", "learning-cities"):
        fw = load_framework(name)
        levels = {lv.label.casefold() for lv in fw.scale.levels}
        stages = [t.label for t in fw.tiers]
        assert stages == ["Foundations", "Building", "Consolidating", "Sustaining"], name
        assert not {s.casefold() for s in stages} & levels, name
        assert fw.version == "1.1.0"


def test_how_to_read_says_what_scores_stages_and_markers_mean(cardiff, cardiff_pdf):
    words = " ".join(how_to_read(cardiff.framework))
    # the scale's points: level / 4 * 100
    assert ("\u201cNot started\u201d 0, \u201cEmerging\u201d 25, \u201cDeveloping\u201d 50, "
            "\u201cEstablished\u201d 75, \u201cLeading\u201d 100") in words
    assert "\u201cDon't know\u201d and \u201cNot applicable\u201d answers never count as zero" in words
    assert ("one of 4 stages: Foundations (under 25), Building (25 to 49), Consolidating (50 to 74), Sustaining (75 "
            "and over)") in words
    assert "it is not one of the levels people chose" in words
    assert "fewer than 3" in words and "fewer than 5 people" in words
    for jargon in ("standard deviation", " sd ", "n =", "n=", "spread"):
        assert jargon not in words
    text = pdf_text(cardiff_pdf)
    assert "How to read this brief" in text and "never count as zero" in text
    assert "58 out of 100 Consolidating, stage 3 of 4:" in text  # the stage, never an answer level's word
    html_text = html_parse(render_brief_html(cardiff))[0]
    assert "How to read this brief" in html_text and "Consolidating, stage 3 of 4:" in html_text


def test_the_date_of_the_round_and_of_the_brief_are_both_shown(cardiff, cardiff_pdf):
    for text in (pdf_text(cardiff_pdf), html_parse(render_brief_html(cardiff))[0]):
        assert "Date of the round March 2020" in text  # the convening's date, from round.convening_when
        assert "Brief made on 22 November 2026" in text  # generated_at


def test_spread_is_told_in_the_scale_words():
    levels = [0, 3, 4]
    scale = load("cardiff").framework.scale
    assert spread_words(levels, scale) == "Answers ranged from Not started to Leading"
    assert spread_words([2, 2], scale) == "Every answer was Developing"
    assert level_words([1, 4, 1, 4, 2], scale) == "5 people: 2 Emerging, 1 Developing, 2 Leading"


def test_spread_and_disagreements_in_the_brief(cardiff, cardiff_pdf):
    d = cardiff.disagreements[0]
    assert (d.code, d.levels) == ("A1.Q5", [0, 3, 4])
    expected = "Answers ranged from Not started to Leading (3 people: 1 Not started, 1 Established, 1 Leading)."
    assert expected in pdf_text(cardiff_pdf)
    assert expected in html_parse(render_brief_html(cardiff))[0]
    assert "spread" not in pdf_text(cardiff_pdf).lower().replace("spreadsheet", "")


def test_a_change_says_when_few_or_different_people_answered(cardiff, cardiff_pdf):
    few = row(score=53.6, previous=46.5, change=7.1, direction="up", few_people=True)
    assert change_text(few) == "▲ up 7 points (was 47) (few people answered)"
    assert change_text(few, different=True) == \
        "▲ up 7 points (was 47) (few people answered) (different people answered)"
    assert change_text(row(score=60.0, previous=59.0, change=1.0, direction="same"), True) == \
        "● no change (was 59) (different people answered)"
    assert change_text(row(score=60.0, previous=None, change=None, direction="new", few_people=False), True) == \
        "new: no earlier score to compare"
    # Cardiff: 3 people now, 4 before (both under 5), only 1 of them in both rounds
    assert all(a.few_people for a in cardiff.areas) and cardiff.people_change.different
    text = pdf_text(cardiff_pdf)
    assert "Change since the last round (different people answered)" in text
    assert "▲ up 7 points (was 47) (few people answered)" in text
    assert ("Different people answered: 1 person answered both rounds, 2 only this one and 3 only the previous "
            "one") in text


def test_flagged_actions_are_explained(cardiff):
    items = [cardiff.actions.items[0].model_copy(update={"flags": ["no owner", "no due date"]}),
             *cardiff.actions.items[1:]]
    flagged = cardiff.model_copy(update={"actions": cardiff.actions.model_copy(update={"flagged": 1,
                                                                                       "items": items})})
    text = pdf_text(render_brief_pdf(flagged))
    assert "1 flagged (5 actions in all). \u201cFlagged\u201d means an action has no owner, no start date or no due " \
           "date" in text
    assert "done; flagged: no owner, no due date" in text
    assert "Flagged" not in pdf_text(render_brief_pdf(cardiff))  # nothing flagged, nothing to explain


def test_practices_show_description_source_and_link(cardiff, cardiff_pdf):
    text = pdf_text(cardiff_pdf)
    p = cardiff.practices[1]
    assert (p.title, p.source) == ("Civic placements for secondary pupils", "Bonal et al. (2021), GOLD VI Working "
                                                                           "Paper #03")
    assert p.description[:60] in text and f"Source: {p.source}." in text
    assert "w10.bcn.es/APPS/edubridge/pubExperiencesAc.do?idexp=41445" in text.replace(" ", "")  # plain text
    reader = PdfReader(BytesIO(cardiff_pdf))
    assert not any("/Annots" in page for page in reader.pages)  # no active links in the PDF
    # a reason shared by four practices is said once
    assert text.count("Fits your weak area A5 Encouraging civic participation and representation") == 1
    page = render_brief_html(cardiff)
    assert f'<a href="{html.escape(p.link)}" rel="noopener noreferrer">{html.escape(p.link)}</a>' in page


def test_only_http_links_become_links_and_they_are_escaped(cardiff):
    r = data(cardiff)
    r["practices"][0]["link"] = "javascript:alert(1)"
    r["practices"][1]["link"] = 'https://example.org/a?b=1&c="x"><script>'
    page = render_brief_html(report_from_data(r))
    _, tags = html_parse(page)
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert "javascript:alert(1)" not in hrefs and "javascript:alert(1)" in page  # shown as text, not a link
    assert 'https://example.org/a?b=1&c="x"><script>' in hrefs  # the parser unescapes what the page escaped
    assert "<script>" not in page
    assert [safe_href(x) for x in ("http://a.org/x", "HTTPS://a.org", "ftp://a.org", "//a.org", "data:x", "")] == \
        ["http://a.org/x", "HTTPS://a.org", "", "", "", ""]


def test_evidence_is_quoted_by_sector_only(cardiff, cardiff_pdf):
    assert len(cardiff.quotes) == 10  # 2 per area
    first = cardiff.quotes[0]
    assert (first.area, first.sector) == ("A1", "voluntary-community")
    text = pdf_text(cardiff_pdf)
    html_text = html_parse(render_brief_html(cardiff))[0]
    for body in (text, html_text):
        assert "own words" in body
        assert f"\u201c{first.text}\u201d (Voluntary and community groups)" in " ".join(body.split()) or \
            f"{first.text} (Voluntary and community groups)" in body
        assert "voluntary-community-1" not in body and "local-authority-2" not in body  # never a label
        assert cardiff.notice in body  # synthetic demo evidence is announced


def test_convening_brief_has_stages_marked_changes_and_practices_for_gaps():
    conv = load("convening")
    text = pdf_text(render_brief_pdf(conv))
    page = render_brief_html(conv)
    for body in (text, html_parse(page)[0]):
        assert "How to read this brief" in body
        assert "▲ up 25 points (was 28) (few people answered) (different people answered)" in body
        gap = conv.common_gaps[0]
        shown = [p for p in conv.practices if p.matched == [gap.area]]
        assert len(shown) == 2 and shown[0].title in body
    assert "Date of the round March 2020" in text and "Brief made on 22 November 2026" in text
    stages = {c.overall.tier for c in conv.cities}
    assert stages <= {"Foundations", "Building", "Consolidating", "Sustaining"}


def test_printable_drops_exactly_the_control_characters_but_tab_and_newline():
    import unicodedata

    from icframework.render.view import printable

    every = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000)  # surrogates cannot be text
    kept = "".join(c for c in every if c in "\n\t" or unicodedata.category(c) != "Cc")
    assert printable({"a": [every]}) == {"a": [kept]} and len(every) - len(kept) == 63
