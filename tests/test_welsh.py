"""Welsh, end to end without a browser: a Cardiff respondent's form in Welsh saves the same answers; Cardiff's
facilitator gets an English and a Welsh brief from one command, the Welsh one in Welsh with /Lang cy.

The Welsh words checked here are taken from the framework file and the catalogue (so a reviewer may improve them
without breaking a test), and the facts are checked against values worked out here: the March 2020 convening is
"Mawrth 2020" in Welsh, the synthetic notice is there, no English title of an area is left."""

from __future__ import annotations

import html
import re
from io import BytesIO

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from icframework.analysis import reports
from icframework.app import AssessmentForm, open_form
from icframework.cli import main
from icframework.i18n import translator
from icframework.model.framework import load_framework
from icframework.render import city_outputs
from icframework.store import Store
from icframework.store.demo import generate

ROUND = "virtual-2020"
FW = load_framework("inclusive-cities")
CY = FW.localized("cy")
TR = translator("cy")


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def text_of(widget) -> str:
    parts = []
    for w in walk(widget):
        for attr in ("value", "description"):
            v = getattr(w, attr, None)
            if isinstance(v, str):
                parts.append(v)
        parts += [label for label, _ in getattr(w, "options", ()) or () if isinstance(label, str)]
    return html.unescape("\n".join(parts))  # the HTML widgets hold escaped text (wedi&#x27;i)


def pdf_text(path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(path.read_bytes())).pages)


def pdf_lang(path) -> str:
    return str(PdfReader(BytesIO(path.read_bytes())).trailer["/Root"].get("/Lang"))


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round("r1", "inclusive-cities", title="Spring round")
    yield s
    s.close()


def test_the_bundled_framework_and_interface_are_complete_in_welsh():
    assert FW.missing_translations("cy") == []
    assert TR.lang == "cy" and TR._("Saved") != "Saved" and TR._("Review and submit") != "Review and submit"
    # the catalogue's words for the framework's labels are the framework's own (so plurals and headings agree)
    assert TR._("Area of action") == CY.labels.area and TR._("Core principle") == CY.labels.principle


def test_a_welsh_link_opens_the_form_in_welsh_and_saves_the_same_answers(store):
    resp, code = store.add_respondent("r1", "cardiff", "employer", role="Rheolwr AD", lang="cy")
    page = open_form(store, f"city=cardiff&code={code}")
    text = text_of(page)
    assert CY.areas[0].title in text and CY.areas[0].questions[0].text in text
    assert FW.areas[0].questions[0].text not in text  # no English question left
    assert TR._("Review and submit") in text and "icf-lang-cy" in page._dom_classes

    form = AssessmentForm(store, resp)  # no lang in the link: the person's recorded language
    assert form.lang == "cy"
    card = form.cards["A1.Q1"]
    welsh_level = CY.scale.label(2)
    assert any(label.startswith(f"{welsh_level} (2)") for label, _ in card.choice.options)
    card.choice.value = "2"
    assert f"{TR._('Saved')}: {welsh_level}" in html.unescape(card.status.value)
    assert store.answers_for(resp)["A1.Q1"]["level"] == 2  # stored once, as a level, whatever the language

    form.use_language("en")  # the switch: the same answer, English words, the choice kept
    assert form.cards["A1.Q1"].choice.value == "2"
    assert FW.areas[0].questions[0].text in text_of(form.widget)
    assert store.respondent(resp.id).lang == "en"


def test_a_language_the_framework_lacks_is_refused_with_what_it_has(store):
    result = CliRunner().invoke(main, ["respondents", "add", "--store", store.url, "--round", "r1", "--city",
                                       "cardiff", "--sector", "employer", "--lang", "fr"])
    assert result.exit_code != 0
    assert "no French texts (fr)" in result.output and "cy (Welsh)" in result.output
    result = CliRunner().invoke(main, ["respondents", "add", "--store", store.url, "--round", "r1", "--city",
                                       "cardiff", "--sector", "employer", "--lang", "cy"])
    assert result.exit_code == 0, result.output
    assert re.search(r"\?city=cardiff&code=[\w-]+&lang=cy", result.output)


@pytest.fixture(scope="module")
def cardiff_briefs(tmp_path_factory):
    root = tmp_path_factory.mktemp("briefs")
    s = Store(f"sqlite:///{root / 'icf.sqlite3'}")
    generate(s, seed=2019)
    report = reports.city_report(s, "cardiff", ROUND)
    s.close()
    reports.write_json(report, root / "diagnostics.json")
    return report, city_outputs(root)  # Cardiff's city file asks for en and cy


def test_one_command_makes_an_english_and_a_welsh_brief(cardiff_briefs):
    report, written = cardiff_briefs
    assert written["pdf"].name == "brief.pdf" and written["pdf.cy"].name == "brief.cy.pdf"
    assert pdf_lang(written["pdf"]) == "en" and pdf_lang(written["pdf.cy"]) == "cy"
    assert '<html lang="cy">' in written["html.cy"].read_text() and '<html lang="en">' in written["html"].read_text()


def test_the_welsh_brief_reads_in_welsh(cardiff_briefs):
    report, written = cardiff_briefs
    welsh, english = pdf_text(written["pdf.cy"]), pdf_text(written["pdf"])
    weakest = min((a for a in report.areas if a.score is not None), key=lambda a: a.score)
    welsh_title = {a.code: a.title for a in CY.areas}[weakest.code]
    assert " ".join(welsh_title.split()) in welsh and " ".join(weakest.title.split()) in english
    for area in FW.areas:  # no English area title is left in the Welsh brief
        assert " ".join(area.title.split()) not in welsh
    assert "Mawrth 2020" in welsh  # the virtual convening of March 2020, in Welsh
    assert TR._(report.notice) in welsh and report.notice in english  # synthetic, and says so in both
    assert TR._("Overall score") in welsh and "Overall score" in english
    score = str(round(report.overall.score))
    assert score in welsh and score in english  # the same numbers


def test_icf_brief_lang_chooses_the_languages(tmp_path):
    from icframework.store.demo import generate as make

    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    make(s, seed=2019)
    s.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["brief", "bristol", "--round", ROUND, "--store", s.url, "--out", str(out),
                                       "--lang", "cy"])
    assert result.exit_code == 0, result.output
    folder = out / ROUND / "bristol"
    assert pdf_lang(folder / "brief.pdf") == "cy"  # the first language asked for is the main one
    assert not list(folder.glob("brief.*.pdf"))
    assert "need review by a native speaker" in result.output


def test_icf_run_lang_makes_every_brief_in_each_language(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    generate(s, seed=2019)
    s.close()
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--round", ROUND, "--cities", "bristol", "--store", s.url, "--out",
                                       str(out), "--lang", "en,cy", "--jobs", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    folder = out / ROUND / "bristol"
    assert pdf_lang(folder / "brief.pdf") == "en" and pdf_lang(folder / "brief.cy.pdf") == "cy"
    assert '<html lang="cy">' in (folder / "brief.cy.html").read_text()
    assert pdf_lang(out / ROUND / "convening" / "brief.cy.pdf") == "cy"
    again = CliRunner().invoke(main, ["run", "--round", ROUND, "--cities", "bristol", "--store", s.url, "--out",
                                      str(out), "--no-progress", "--jobs", "1"])  # the languages changed: runs
    assert again.exit_code == 0, again.output
    assert not (folder / "brief.cy.pdf").exists()  # bristol's city file asks for English only
