"""Briefs from real reports: synthetic demo answers in a real SQLite store, icframework.reports.city_report /
convening_report, then city_outputs / convening_outputs and the nbconvert exporters (`--to icf-pdf|icf-html`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from icframework.analysis import reports
from icframework.analysis.models import Embedded
from icframework.errors import NotFoundError
from icframework.render import BriefHTMLExporter, TypstPDFExporter, city_outputs, convening_outputs, render_brief_pdf
from icframework.render.view import whole
from icframework.store import Store
from icframework.store.demo import generate
from icframework.style import SYNTHETIC_NOTICE

ROUND = "virtual-2020"


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store(f"sqlite:///{tmp_path_factory.mktemp('store')}/icf.sqlite3")
    generate(s, seed=2019)
    yield s
    s.close()


@pytest.fixture(scope="module")
def cardiff_report(store):
    return reports.city_report(store, "cardiff", ROUND)


def test_city_outputs_write_both_briefs_from_the_real_report(cardiff_report, tmp_path):
    reports.write_json(cardiff_report, tmp_path / "diagnostics.json")
    written = city_outputs(tmp_path)
    # Cardiff's city file asks for English and Welsh briefs (tests/test_welsh_briefs.py reads the Welsh one)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.cy.html", "brief.cy.pdf", "brief.html", "brief.pdf",
                                                          "diagnostics.json"]
    text = pdf_text(written["pdf"].read_bytes())
    assert "Cardiff (Caerdydd): city brief" in text and SYNTHETIC_NOTICE in text
    assert f"{whole(cardiff_report.overall.score)} out of 100" in text
    assert f"{cardiff_report.counts.respondents} {cardiff_report.counts.answers} answers in all" in text
    for area in cardiff_report.areas:
        assert f"{whole(area.score)} {area.n} answers" in text, area.code
    for q in cardiff_report.disagreements:
        assert q.code in text
    page = written["html"].read_text(encoding="utf-8")
    assert "Cardiff (Caerdydd): city brief" in page and SYNTHETIC_NOTICE in page
    # people read round titles, never ids: this round's, and the earlier one it is compared with
    assert cardiff_report.previous_round == "cardiff-2019"
    for shown in (" ".join(text.split()), page):
        assert "Self-assessment before the virtual convening (March 2020)" in shown
        assert "Self-assessment before the Cardiff convening (October 2019)" in shown
        assert "virtual-2020" not in shown and "cardiff-2019" not in shown


def test_city_with_no_answers_gets_a_brief_that_says_so(store, tmp_path):
    # Bristol is a phase-one city: it answered in bristol-2019, so a fresh round has none of its answers.
    store.create_round("spring-2021", "inclusive-cities", title="Spring 2021 check-in", synthetic=True)
    report = reports.city_report(store, "bristol", "spring-2021")
    reports.write_json(report, tmp_path / "diagnostics.json")
    text = pdf_text(city_outputs(tmp_path)["pdf"].read_bytes())
    assert "No answers have been recorded for Bristol in \u201cSpring 2021 check-in\u201d yet" in text
    assert "out of 100" not in text  # no score is invented


def test_convening_outputs_compare_every_city(store, tmp_path):
    report = reports.convening_report(store, ROUND)
    reports.write_json(report, tmp_path / "convening.json")
    written = convening_outputs(tmp_path)
    text = pdf_text(written["pdf"].read_bytes())
    assert len(report.cities) == 12
    for city in report.cities:
        assert f"{city.name} {city.phase} {city.respondents} {city.answers} " \
               f"{whole(city.overall.score)}" in text
    assert "Common gaps" in text and SYNTHETIC_NOTICE in text


def executed(report, *cells):
    """A notebook as a workbook leaves it: the report it displayed in an output, then `cells`."""
    bundle = Embedded(report)._repr_mimebundle_()
    shown = nbformat.v4.new_code_cell("display(Embedded(report))", outputs=[
        nbformat.v4.new_output("display_data", data=bundle)])
    return nbformat.v4.new_notebook(cells=[shown, *cells])


def test_pdf_exporter_reads_the_report_the_notebook_carries(cardiff_report):
    nb = executed(cardiff_report)
    pdf, resources = TypstPDFExporter().from_notebook_node(nb)
    assert resources["output_extension"] == ".pdf"
    assert render_brief_pdf(cardiff_report) == pdf  # same report, same bytes (the report's time is the PDF's)


def test_html_exporter_adds_cells_tagged_brief_without_code(cardiff_report):
    nb = executed(cardiff_report,
                  nbformat.v4.new_markdown_cell("## Facilitator note\nTalk about *A3* first.",
                                                metadata={"tags": ["brief"]}),
                  nbformat.v4.new_code_cell("secret_code = 42", metadata={"tags": ["brief"]}),
                  nbformat.v4.new_markdown_cell("Not for the brief."))
    page, _ = BriefHTMLExporter().from_notebook_node(nb)
    assert "Facilitator note" in page and "<em>A3</em>" in page
    assert "secret_code" not in page and "Not for the brief." not in page


def test_city_outputs_add_the_saved_notebooks_brief_cells(cardiff_report, tmp_path):
    """city_outputs reads the executed notebook as saved (nbformat splits a cell's source into lines)."""
    reports.write_json(cardiff_report, tmp_path / "diagnostics.json")
    nbformat.write(executed(cardiff_report, nbformat.v4.new_markdown_cell(
        "## Facilitator note\nTalk about *A3* first,\nthen A1.", metadata={"tags": ["brief"]})),
        tmp_path / "diagnostic.ipynb")
    assert isinstance(json.loads((tmp_path / "diagnostic.ipynb").read_text())["cells"][1]["source"], list)
    page = city_outputs(tmp_path)["html"].read_text()
    assert "Facilitator note" in page and "<em>A3</em> first,\nthen A1." in page


def test_exporters_are_registered_with_nbconvert():
    from nbconvert.exporters import get_exporter

    assert get_exporter("icf-pdf") is TypstPDFExporter
    assert get_exporter("icf-html") is BriefHTMLExporter


def test_jupyter_nbconvert_to_icf_pdf(cardiff_report, tmp_path):
    reports.write_json(cardiff_report, tmp_path / "diagnostics.json")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), tmp_path / "run.ipynb")
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "icf-pdf", "run.ipynb"], cwd=tmp_path,
                   check=True, capture_output=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert "Cardiff (Caerdydd): city brief" in pdf_text((tmp_path / "run.pdf").read_bytes())


def test_missing_report_says_what_to_do(tmp_path):
    from icframework.analysis.models import ReportError, SchemaVersionError
    from icframework.errors import NotFoundError

    with pytest.raises(NotFoundError, match="run the workbook first"):
        city_outputs(tmp_path)
    (tmp_path / "diagnostics.json").write_text(json.dumps({"schema": 1}) + "{", encoding="utf-8")
    with pytest.raises(ReportError, match="not valid JSON"):
        city_outputs(tmp_path)
    (tmp_path / "diagnostics.json").write_text(json.dumps({"schema": 2, "city": {}}), encoding="utf-8")
    with pytest.raises(SchemaVersionError, match="run the workbook again with this version of icframework"):
        city_outputs(tmp_path)
    assert not list(Path(tmp_path).glob("brief.*"))


def test_a_report_in_the_notebook_is_validated_too(cardiff_report):
    from icframework.analysis.models import REPORT_MIME, InvalidReportError

    nb = executed(cardiff_report)
    del nb.cells[0].outputs[0]["data"][REPORT_MIME]["counts"]
    with pytest.raises(InvalidReportError, match=r"the report stored in the notebook: counts: Field required"):
        TypstPDFExporter().from_notebook_node(nb)
    with pytest.raises(NotFoundError, match="not an executed icframework workbook"):
        TypstPDFExporter().from_notebook_node(nbformat.v4.new_notebook())


# -- the taskforce's own words, and who answered (issue 14) ------------------------------------------------------

def answer(rid, sector, question, level, evidence, when, response="level"):
    return {"round": ROUND, "city": "cardiff", "respondent_id": rid, "respondent": f"{sector}-{rid}",
            "sector": sector, "role": "", "status": "open", "question": question, "response": response,
            "level": level, "evidence": evidence, "links": "", "comment": "", "updated_at": when, "synthetic": False}


def test_quotes_are_the_newest_evidence_notes_of_scored_answers_per_area_by_sector_only():
    import pandas as pd

    from icframework.model.framework import load_framework

    fw = load_framework("inclusive-cities")
    rows = pd.DataFrame([
        answer(1, "local-authority", "A1.Q1", 3, "Minutes of the May meeting.", "2020-02-01"),
        answer(2, "employer", "A1.Q2", 2, "  Our   hiring\nreport.  ", "2020-02-03"),           # newest in A1
        answer(3, "police", "A1.Q3", 1, "Minutes of the May meeting.", "2020-02-02"),       # same words: once
        answer(4, "education", "A1.Q4", 4, "A note from someone who opted out.", "2020-02-04"),
        answer(1, "local-authority", "A1.Q5", None, "Don't know, but here is a note.", "2020-02-05",
               response="dont_know"),                                                       # not scored
        answer(2, "employer", "A2.Q1", 2, "   ", "2020-02-06"),                            # blank
        answer(3, "police", "A2.Q2", 4, "x" * 400, "2020-01-01"),                            # long: cut
    ])
    quotes = reports.evidence_quotes(rows, fw, no_quotes={4}, per_area=2, length=50)
    assert [(q["area"], q["question"], q["sector"], q["text"]) for q in quotes] == [
        ("A1", "A1.Q2", "employer", "Our hiring report."),
        ("A1", "A1.Q3", "police", "Minutes of the May meeting."),  # 2 Feb beats 1 Feb for the same words
        ("A2", "A2.Q2", "police", "x" * 49 + "\u2026"),
    ]
    assert quotes[0]["date"] == "2020-02-03"
    assert all(set(q) == {"area", "question", "sector", "text", "date"} for q in quotes)  # no name, no label
    assert reports.evidence_quotes(rows, fw, no_quotes={1, 2, 3, 4}) == []


def test_opting_out_of_quotes_is_read_from_the_respondents(store):
    import pandas as pd

    class WithColumn:
        def respondents_frame(self, round_id):
            return pd.DataFrame({"respondent_id": [1, 2, 3, 4], "no_quotes": [True, False, None, 1]})

    assert reports.quote_opt_outs(WithColumn(), ROUND) == {1, 4}
    assert reports.quote_opt_outs(store, ROUND) == set()  # the store has no such column yet: nobody opted out
    answers = store.answers_frame(ROUND, "cardiff")
    ids = sorted(int(i) for i in answers["respondent_id"].unique())
    assert reports.city_report(store, "cardiff", ROUND, no_quotes=set(ids)).quotes == []
    someone, others = ids[0], answers[answers["respondent_id"] != ids[0]]
    quotes = reports.city_report(store, "cardiff", ROUND, no_quotes={someone}).quotes
    assert quotes
    for q in quotes:  # every quote is what someone else wrote for that question
        assert ((others["question"] == q.question) & (others["evidence"].str.strip() == q.text)
                & (others["sector"] == q.sector)).any()


def test_a_change_is_marked_when_few_or_different_people_answered(cardiff_report, store):
    # Cardiff in the demo: this round local-authority-2, public-health-3, voluntary-community-1; the previous
    # round (cardiff-2019) local-authority-4, police-1, public-health-3, voluntary-community-2: one in both.
    change = cardiff_report.people_change
    assert (change.both, change.only_now, change.only_before, change.different) == (1, 2, 3, True)
    a1 = next(a for a in cardiff_report.areas if a.code == "A1")
    assert (a1.people, a1.previous_people) == (3, 4) and a1.few_people  # under 5 people in both rounds
    before = store.answers_frame("cardiff-2019", "cardiff")
    assert a1.previous_n == int(((before["response"] == "level") & before["question"].str.startswith("A1.")).sum())


def test_people_change_compares_labels_and_sectors():
    import pandas as pd

    def people(*pairs):
        return pd.DataFrame([{"respondent": label, "sector": sector, "answered": True} for label, sector in pairs])

    same = reports.people_change(people(("a", "x"), ("b", "y")), people(("b", "y"), ("a", "x")))
    assert same == {"both": 2, "only_now": 0, "only_before": 0, "different": False}
    moved = reports.people_change(people(("a", "x"), ("b", "y")), people(("a", "z"), ("b", "y"), ("c", "y")))
    assert moved == {"both": 1, "only_now": 1, "only_before": 2, "different": True}  # a changed sector


# -- the HTML brief in a browser ----------------------------------------------------------------------------------

AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                                    "best-practice"]}, "resultTypes": ["violations"]}


@pytest.fixture(scope="module")
def html_briefs(store, cardiff_report, tmp_path_factory):
    from icframework.analysis import exchange
    from icframework.render import render_brief_html

    out = tmp_path_factory.mktemp("html")
    pairs = exchange.round_pairs(store, ROUND)
    city = exchange.enrich_report(cardiff_report, pairs=pairs)
    conv = exchange.enrich_convening(reports.convening_report(store, ROUND))
    (out / "city.html").write_text(render_brief_html(city), encoding="utf-8")
    (out / "convening.html").write_text(render_brief_html(conv), encoding="utf-8")
    return out


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["city", "convening"])
@pytest.mark.parametrize("width", [375, 1280])
def test_html_brief_fits_the_screen_and_axe_finds_nothing(chromium, html_briefs, kind, width):
    context = chromium.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)  # axe is a script
    page = context.new_page()
    page.goto((html_briefs / f"{kind}.html").as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling of the page
    wider = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.scroll'))
        .map(e => e.tagName)""")
    assert wider == []  # only a table in its own scroll box may be wider than the screen
    if kind == "city":
        links = page.eval_on_selector_all("main a", "els => els.map(a => a.protocol)")
        assert links and set(links) <= {"http:", "https:"}
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("axe-playwright-python is missing: install the test extra (pip install -e '.[test]')")
        pytest.skip("axe-playwright-python is missing: install the test extra")
    violations = Axe().run(page, options=AXE_RULES).response["violations"]
    assert [f"{v['id']}: {v['help']} {v['nodes'][0]['target']}" for v in violations] == []
    context.close()
