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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.html", "brief.pdf", "diagnostics.json"]
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
