"""Exports are reusable and inert; imports are all-or-nothing with every bad row reported."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from icframework.errors import ValidationError
from icframework.model.cities import city_slugs
from icframework.store import Store
from icframework.store.transfer import export_answers, import_answers

FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]
CITIES = city_slugs()  # the example programme's


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round("r1", "inclusive-cities")
    resp, _ = s.add_respondent("r1", "bristol", "employer", label="emp-1")
    for i, text in enumerate(FORMULAS, start=1):
        s.save_answer(resp, f"A1.Q{i}", level=i - 1, evidence=text, comment="plain")
    s.save_answer(resp, "A2.Q1", response="na")
    return s


def test_csv_export_makes_formula_cells_inert_and_import_restores_them(store, tmp_path):
    path = tmp_path / "answers.csv"
    assert export_answers(store, path) == 5
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    evidence = [r["evidence"] for r in rows if r["evidence"]]
    assert evidence == ["'" + f for f in FORMULAS]
    assert [r["value"] for r in rows] == ["0", "1", "2", "3", "na"]
    # Round trip into a fresh store gives the original text back.
    other = Store(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    other.create_round("r1", "inclusive-cities")
    assert import_answers(other, path, cities=CITIES) == 5
    frame = other.answers_frame("r1")
    assert frame.loc[frame.question == "A1.Q1", "evidence"].item() == FORMULAS[0]
    assert frame.loc[frame.question == "A2.Q1", "response"].item() == "na"


def test_xlsx_export_types_formula_like_cells_as_text(store, tmp_path):
    path = tmp_path / "answers.xlsx"
    export_answers(store, path)
    ws = openpyxl.load_workbook(path)["answers"]
    header = [c.value for c in ws[1]]
    col = header.index("evidence")
    cells = [row[col] for row in ws.iter_rows(min_row=2) if row[col].value]
    assert [c.value for c in cells] == FORMULAS
    assert all(c.data_type == "s" for c in cells)  # text, not a formula ('f')


def test_json_export_says_when_data_is_synthetic(store, tmp_path):
    path = tmp_path / "answers.json"
    export_answers(store, path)
    data = json.loads(path.read_text())
    assert data["synthetic"] is False and len(data["answers"]) == 5


def test_import_with_bad_rows_imports_nothing_and_lists_every_bad_row(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    store.create_round("r1", "inclusive-cities")
    path = tmp_path / "in.csv"
    path.write_text(
        "round,city,respondent,sector,question,value,evidence\n"
        "r1,bristol,a,employer,A1.Q1,2,ok\n"  # row 2: good
        "r1,bristol,a,employer,A1.Q9,2,\n"  # row 3: unknown question
        "r1,bristol,a,employer,A1.Q2,7,\n"  # row 4: level off the scale
        "r9,bristol,a,employer,A1.Q3,1,\n"  # row 5: unknown round
        "r1,../etc,a,employer,A1.Q4,1,\n"  # row 6: city is not a slug
        "r1,bristol,a,astronaut,A1.Q5,1,\n"  # row 7: unknown sector
        "r1,bristol,a,employer,A1.Q1,3,\n"  # row 8: second answer to A1.Q1
    )
    with pytest.raises(ValidationError) as exc:
        import_answers(store, path, cities=CITIES)
    where = [(p.line, p.where.split(", ")[1]) for p in exc.value.problems]
    assert where == [
        (3, "column question"),
        (4, "column value"),
        (5, "column round"),
        (6, "column city"),
        (7, "column sector"),
        (8, "column question"),
    ]
    assert store.answers_frame().empty
    assert store.list_respondents() == []


def test_import_missing_columns(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    path = tmp_path / "in.csv"
    path.write_text("round,city\nr1,bristol\n")
    with pytest.raises(ValidationError, match="missing column"):
        import_answers(store, path, cities=CITIES)


TRICKY = {  # evidence text -> why it is tricky
    "see attached\r=cmd|' /C calc'!A0": "a carriage return, then a formula, in a field with no comma or quote",
    "'tis the season": "a leading apostrophe of the person's own",
    "  indented, and trailing  ": "leading and trailing spaces",
    "\n=1+1": "a line break before a formula",
    "two\r\nlines": "CRLF",
    "nul\x00bel\x07vt\x0bff\x0cesc\x1b": "control characters (NUL, BEL, VT from Word's Shift+Enter, FF, ESC)",
    "_x000D_ as typed": "text that looks like an OOXML escape",
}


@pytest.fixture
def tricky(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'tricky.sqlite3'}")
    s.create_round("r1", "inclusive-cities")
    resp, _ = s.add_respondent("r1", "bristol", "employer", label="emp-1", role="  HR lead ")
    for i, text in enumerate(TRICKY, start=1):
        s.save_answer(resp, f"A1.Q{i}", level=2, evidence=text, comment=text)
    return s


def test_csv_quotes_every_field_so_no_line_break_starts_a_formula_cell(tricky, tmp_path):
    path = tmp_path / "answers.csv"
    assert export_answers(tricky, path) == len(TRICKY)
    raw = path.read_bytes().decode("utf-8-sig")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 1 + len(TRICKY)  # one row per answer, whatever the text holds
    # Every field is quoted (a line break inside quotes is text, never a new cell), and no cell a spreadsheet
    # reads starts with what it would evaluate.
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    assert again.getvalue() == raw  # the file is exactly its cells, every one of them in quotes
    assert not [c for r in rows for c in r if c.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))]


def test_csv_and_xlsx_round_trips_lose_no_text(tricky, tmp_path):
    path = tmp_path / "answers.csv"
    export_answers(tricky, path)
    other = Store(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    other.create_round("r1", "inclusive-cities")
    import_answers(other, path, cities=CITIES)
    back = other.answers_frame("r1").set_index("question")
    for i, text in enumerate(TRICKY, start=1):
        assert back.loc[f"A1.Q{i}", "evidence"] == text, TRICKY[text]
        assert back.loc[f"A1.Q{i}", "comment"] == text, TRICKY[text]
    assert back["role"].iloc[0] == "  HR lead "

    from icframework.files import read_xlsx

    xlsx = tmp_path / "answers.xlsx"
    export_answers(tricky, xlsx)  # control characters no longer crash the export
    rows = read_xlsx(xlsx)["answers"]
    col = rows[0].index("evidence")
    assert [r[col] for r in rows[1:]] == list(TRICKY)  # CR, CRLF and control characters all come back
    ws = openpyxl.load_workbook(xlsx)["answers"]
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str))


def test_an_import_is_all_or_nothing_even_for_the_last_row_and_unknown_cities(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    store.create_round("r1", "inclusive-cities")
    path = tmp_path / "in.csv"
    good = "".join(f"r1,bristol,p{i % 3},employer,A1.Q{i % 7 + 1},2,ok\n" for i in range(20))
    path.write_text("round,city,respondent,sector,question,value,evidence\n" + good
                    + "r1,atlantis,p9,employer,A1.Q1,2,\n" + f"r1,bristol,p8,employer,A1.Q1,2,{'x' * 20_001}\n")
    with pytest.raises(ValidationError) as exc:
        import_answers(store, path, cities=CITIES)
    assert [(p.line, p.where.split(", ")[1]) for p in exc.value.problems] == [(22, "column city"),
                                                                             (23, "column evidence")]
    assert "'atlantis' is not a city of this programme" in exc.value.problems[0].message
    assert "20,001 characters long; at most 20,000" in exc.value.problems[1].message
    assert store.answers_frame().empty and store.list_respondents() == []  # not 20 of 22, not 3 people


def test_an_import_killed_part_way_leaves_the_store_as_it_was(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("r1", "inclusive-cities")
    before = store.revision()
    path = tmp_path / "big.csv"
    questions = [q.code for q in store.framework_for("r1").questions]
    with open(path, "w") as fh:
        fh.write("round,city,respondent,sector,question,value,evidence\n")
        for p in range(3000):
            for q in questions[:10]:
                fh.write(f"r1,{CITIES[p % len(CITIES)]},p{p},employer,{q},{p % 5},evidence {p}\n")
    child = subprocess.Popen([sys.executable, "-c", "import sys; from icframework.store import Store; "
                              "from icframework.store.transfer import import_answers; "
                              "from icframework.model.cities import city_slugs; "
                              f"import_answers(Store({url!r}), {str(path)!r}, cities=city_slugs())"])
    deadline = time.monotonic() + 120
    while not any(tmp_path.glob("icf.sqlite3-wal")) or (tmp_path / "icf.sqlite3-wal").stat().st_size < 1_000_000:
        assert child.poll() is None and time.monotonic() < deadline, "the import ended before it could be killed"
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    store = Store(url)
    assert store.answers_frame().empty and store.list_respondents() == [] and store.revision() == before
