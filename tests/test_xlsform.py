"""Field collection: `icf xlsform export` makes a form pyxform converts cleanly, and `icf xlsform import` brings
KoboToolbox and ODK Central data exports back, all or nothing, once per submission, latest edit winning."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from icframework.cli import main
from icframework.errors import ICFError, ValidationError
from icframework.model.cities import city_slugs
from icframework.store import Store
from icframework.store.transfer import export_answers
from icframework.store.xlsform import (
    export_xlsform,
    import_submissions,
    imported_submissions,
    question_code,
    xlsform_sheets,
)

DATA = Path(__file__).parent / "data" / "xlsform"
ROUND = "field-2027"
CITIES = set(city_slugs())  # the example programme
START = dt.datetime(2027, 3, 4, 10, 0)
NS = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def store(tmp_path) -> Store:
    """A round with respondents 1 and 2 in Cardiff, 3 in Bristol, 4 in Glasgow (the ids the data files use)."""
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round(ROUND, "inclusive-cities", title="Field round 2027")
    for city, sector in (("cardiff", "employer"), ("cardiff", "local-authority"), ("bristol", "education"),
                         ("glasgow", "voluntary-community")):
        s.add_respondent(ROUND, city, sector, with_code=False)
    return s


def answer(store: Store, respondent_id: int, code: str) -> dict:
    return store.answers_for(store.respondent(respondent_id)).get(code, {})


def audit_rows(store: Store) -> int:
    return len(store.audit_frame())


# -- export -----------------------------------------------------------------------------------------------------
def test_field_names_survive_every_export_separator():
    for column in ("a3/a3_q2", "a3-a3_q2", "group_a3/a3_q2", "A3/A3.Q2", "a3.a3_q2", "a3_q2"):
        assert question_code(column) == ("A3.Q2", "value"), column
    assert question_code("a10-a10_q12_evidence") == ("A10.Q12", "evidence")
    assert question_code("meta/instanceID") is None and question_code("icf_city") is None


def test_export_converts_with_pyxform_and_matches_the_framework(store, tmp_path):
    from pyxform.xls2xform import convert

    path = export_xlsform(store, ROUND, tmp_path / "form.xlsx", respondent_id=3)
    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings)
    assert warnings == [] and result.warnings == []

    fw = store.framework_for(ROUND)
    root = ET.fromstring(result.xform)
    text = {t.get("id"): t.find("x:value", NS).text
            for t in root.iterfind(".//x:itext/x:translation[@lang='English (en)']/x:text", NS)}
    data = root.find(".//x:instance/x:data", NS)
    assert data.get("version") == fw.version  # the framework's version travels in settings
    assert [data.find(f"x:{h}", NS).text for h in ("icf_round", "icf_city", "icf_respondent")] == \
        [ROUND, "bristol", "3"]
    body = root.find("h:body", NS)
    assert [g.get("ref") for g in body.findall("x:group", NS)] == [f"/data/{a.code.lower()}" for a in fw.areas]
    hidden = {b.get("nodeset") for b in root.iterfind(".//x:bind", NS)} - {e.get("ref") for e in body.iter()}
    assert {"/data/icf_round", "/data/icf_city", "/data/icf_respondent"} <= hidden

    selects = {s.get("ref"): s for s in body.iter(f"{{{NS['x']}}}select1")}
    inputs = {i.get("ref") for i in body.iter(f"{{{NS['x']}}}input")}
    assert len(selects) == len(fw.questions)
    for q in fw.questions:
        ref = f"/data/{q.area.lower()}/{q.code.lower().replace('.', '_')}"
        assert text[f"{ref}:label"] == f"{q.code} {q.text}"
        list_name = selects[ref].find("x:itemset", NS).get("nodeset").split("'")[1]
        items = root.find(f".//x:instance[@id='{list_name}']/x:root", NS)
        names = [i.find("x:name", NS).text for i in items]
        assert names == [str(lv.value) for lv in fw.scale.levels] + ["dont_know", "na"]
        labels = [text[i.find("x:itextId", NS).text] for i in items]
        assert labels[-2:] == ["Don't know", "Not applicable"]
        for level, label in zip(fw.scale.levels, labels, strict=False):
            assert label.startswith(f"{level.value} {level.label}: ")
            if level.value in q.guidance:
                assert label.endswith(q.guidance[level.value])  # the question's own guidance per level
        assert {f"{ref}_evidence", f"{ref}_links", f"{ref}_comment"} <= inputs
        assert text[f"{ref}_evidence:label"] == q.evidence_prompt


def test_the_form_has_a_label_column_per_language(store):
    rnd = store.get_round(ROUND)
    sheets = xlsform_sheets(store.framework_for(ROUND), rnd)
    assert "label::English (en)" in sheets["survey"] and "label::English (en)" in sheets["choices"]
    assert sheets["settings"].loc[0, "default_language"] == "English (en)"
    assert sheets["settings"].loc[0, "version"] == store.framework_for(ROUND).version  # the round's framework


def test_cli_export_and_import(store, tmp_path, monkeypatch):
    monkeypatch.delenv("ICF_PROGRAMME", raising=False)
    monkeypatch.delenv("ICF_CITIES", raising=False)
    monkeypatch.chdir(tmp_path)
    runner, url = CliRunner(), store.url
    res = runner.invoke(main, ["xlsform", "export", "--store", url, "--round", ROUND, "--city", "cardiff",
                               str(tmp_path / "form.xlsx")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "form.xlsx").is_file() and "icf xlsform import" in res.output
    res = runner.invoke(main, ["xlsform", "import", "--store", url, "--round", ROUND,
                               str(DATA / "kobo-submissions.csv")])
    assert res.exit_code == 0, res.output
    assert "4 submission(s) imported (7 answers)" in res.output and "1 repeated in the file" in res.output
    bad = runner.invoke(main, ["xlsform", "import", "--store", url, "--round", ROUND,
                               str(DATA / "kobo-bad-submissions.csv")])
    assert bad.exit_code == 1 and "nothing imported" in bad.output and "row 3, column a1/a1_q1" in bad.output


# -- import -----------------------------------------------------------------------------------------------------
def test_kobo_export_imports_with_repeats_edits_and_inert_text(store):
    report = import_submissions(store, ROUND, DATA / "kobo-submissions.csv", CITIES)
    assert (len(report.imported), report.repeats, report.superseded, report.already) == (4, 1, 1, 0)

    first = answer(store, 1, "A1.Q1")
    assert (first["response"], first["level"]) == ("level", 2)
    assert first["evidence"] == '=HYPERLINK("http://example.org/x";"see the plan")'  # stored as text, as typed
    assert first["comment"] == "<script>alert(1)</script> the rota is agreed"
    assert answer(store, 1, "A1.Q2")["response"] == "dont_know" and answer(store, 1, "A2.Q1")["response"] == "na"
    assert answer(store, 2, "A1.Q2")["evidence"] == "Minutes of the March taskforce; actions 4 to 7"
    edited = answer(store, 3, "A1.Q1")  # the edit (later time) wins, though the file lists it first
    assert (edited["level"], edited["evidence"]) == (3, "Plan adopted by the cabinet in April")
    glasgow = answer(store, 4, "A2.Q1")
    assert glasgow["evidence"] == "+44 20 7946 0000 is the helpline" and glasgow["comment"] == "Line\nbreak kept"

    audit = store.audit_frame()
    sources = set(audit.loc[audit["action"] == "answer", "actor"])
    assert "import:xlsform:kobo-submissions.csv#0b3c5f1e-7d4a-4c59-9a53-2f0d6c1e8a11" in sources
    assert len(imported_submissions(store, ROUND)) == 4

    # formula-like text goes out inert again
    export_answers(store, Path(store.url.removeprefix("sqlite:///")).with_name("out.csv"), round_id=ROUND)
    rows = list(csv.DictReader(Path(store.url.removeprefix("sqlite:///")).with_name("out.csv")
                               .open(encoding="utf-8-sig")))
    assert any(r["evidence"].startswith("'=HYPERLINK") for r in rows)


def test_reimporting_the_same_file_changes_nothing(store, tmp_path):
    import_submissions(store, ROUND, DATA / "kobo-submissions.csv", CITIES)
    before = audit_rows(store), store.answers_frame(ROUND).to_dict()
    copy = tmp_path / "same-export-another-day.csv"
    shutil.copy(DATA / "kobo-submissions.csv", copy)
    report = import_submissions(store, ROUND, copy, CITIES)
    assert (len(report.imported), report.answers, report.already) == (0, 0, 5)
    assert (audit_rows(store), store.answers_frame(ROUND).to_dict()) == before


def test_central_edit_in_a_later_export_replaces_the_earlier_version(store):
    first = import_submissions(store, ROUND, DATA / "central-submissions.csv", CITIES)
    assert len(first.imported) == 2 and answer(store, 3, "A1.Q1")["level"] == 1
    assert answer(store, 1, "A1.Q1")["evidence"] == "Council minutes, 12 March"

    later = import_submissions(store, ROUND, DATA / "central-submissions-edited.csv", CITIES)
    assert (len(later.imported), later.already) == (1, 1)
    assert (answer(store, 3, "A1.Q1")["level"], answer(store, 3, "A1.Q1")["evidence"]) == \
        (3, "Plan adopted by the cabinet in April")

    again = audit_rows(store)  # the older export once more: the edit stays
    assert len(import_submissions(store, ROUND, DATA / "central-submissions.csv", CITIES).imported) == 0
    assert audit_rows(store) == again and answer(store, 3, "A1.Q1")["level"] == 3


def test_bad_rows_are_all_reported_and_nothing_is_imported(store):
    before = audit_rows(store)
    with pytest.raises(ValidationError) as err:
        import_submissions(store, ROUND, DATA / "kobo-bad-submissions.csv", CITIES)
    found = {(p.line, p.where.split("column ")[1], p.message) for p in err.value.problems}
    reasons = {(row, col): msg for row, col, msg in found}
    assert len(found) == 6
    assert "'7' is not on the scale" in reasons[(3, "a1/a1_q1")]
    assert "respondent 1 answers for cardiff, but the submission says bristol" in reasons[(4, "icf_city")]
    assert "'atlantis' is not a city of the round's programme" in reasons[(5, "icf_city")]
    assert "unknown question A9.Q1" in reasons[(6, "a9/a9_q1")]
    assert "icf_respondent is empty" in reasons[(7, "icf_respondent")]
    assert "'yesterday' is not a date and time" in reasons[(8, "_submission_time")]
    assert audit_rows(store) == before and store.answers_frame(ROUND).empty


def test_bytes_that_are_not_utf8_are_named_by_line(store):
    with pytest.raises(ValidationError) as err:
        import_submissions(store, ROUND, DATA / "kobo-not-utf8.csv", CITIES)
    [problem] = err.value.problems
    assert problem.line == 3 and "0xe9" in problem.message and "UTF-8" in problem.message
    assert store.answers_frame(ROUND).empty


def test_a_file_from_another_form_is_refused_by_its_header(store, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("name;age;_uuid;_submission_time\nAda;36;x1;2027-03-04T10:00:00\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        import_submissions(store, ROUND, other, CITIES)
    messages = " ".join(p.message for p in err.value.problems)
    assert "no question column" in messages and "no icf_city column" in messages


def test_xlsx_export_with_typed_cells_imports(store, tmp_path):
    from openpyxl import Workbook

    with open(DATA / "kobo-submissions.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    wb = Workbook()
    ws = wb.active
    for row in rows:  # as KoboToolbox's XLSX export: numbers as numbers
        ws.append([int(c) if c.isdigit() else c for c in row])
    path = tmp_path / "kobo.xlsx"
    wb.save(path)
    report = import_submissions(store, ROUND, path, CITIES)
    assert len(report.imported) == 4 and answer(store, 2, "A1.Q1")["level"] == 3


def test_a_closed_round_refuses_the_import(store):
    store.set_round_closed(ROUND, True)
    with pytest.raises(ICFError, match="is closed"):
        import_submissions(store, ROUND, DATA / "kobo-submissions.csv", CITIES)


def test_ten_thousand_rows_import_in_seconds(store, tmp_path):
    """A large export (every edit of every respondent kept): read, checked and deduplicated quickly; only each
    respondent's latest submission is written."""
    header = ["icf_round", "icf_city", "icf_respondent", "a1/a1_q1", "a1/a1_q1_evidence", "meta/instanceID",
              "_uuid", "_submission_time"]
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(header)
        for n in range(10_000):
            rid, city = [(1, "cardiff"), (2, "cardiff"), (3, "bristol"), (4, "glasgow")][n % 4]
            out.writerow([ROUND, city, rid, n % 5, f"note {n}", f"uuid:{n:032x}", f"{n:032x}",
                          (START + dt.timedelta(seconds=n)).isoformat()])
    started = time.perf_counter()
    report = import_submissions(store, ROUND, path, CITIES)
    assert time.perf_counter() - started < 20
    assert (len(report.imported), report.superseded) == (4, 9_996)
    assert answer(store, 4, "A1.Q1")["evidence"] == "note 9999"


def test_imported_answers_reach_the_city_diagnostics(store):
    from icframework.analysis.reports import city_report

    import_submissions(store, ROUND, DATA / "kobo-submissions.csv", CITIES)
    report = city_report(store, "cardiff", ROUND)
    assert (report.counts.respondents, report.counts.answers) == (2, 5)
    assert [q.levels for q in report.questions if q.code == "A1.Q1"] == [[2, 3]]
