"""Exports are reusable and inert; imports are all-or-nothing with every bad row reported."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest

from icframework.errors import ValidationError
from icframework.store import Store
from icframework.store.transfer import export_answers, import_answers

FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]


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
    assert import_answers(other, path) == 5
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
        import_answers(store, path)
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
        import_answers(store, path)
