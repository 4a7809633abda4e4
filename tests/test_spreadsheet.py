"""A facilitator edits the question bank in Excel and imports it back."""

from __future__ import annotations

import openpyxl
import pytest

from icframework.errors import ValidationError
from icframework.model.framework import load_framework, parse_framework
from icframework.model.spreadsheet import export_xlsx, framework_yaml, import_xlsx


def test_round_trip_gives_the_same_framework(tmp_path):
    fw = load_framework("inclusive-cities")
    path = export_xlsx(fw, tmp_path / "ic.xlsx")
    back = import_xlsx(path)
    assert back == fw
    out = tmp_path / "ic.yaml"
    out.write_text(framework_yaml(back))
    assert parse_framework(out) == fw


def _edit(path, sheet, row, column, value):
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row=row, column=header.index(column) + 1, value=value)
    wb.save(path)


def test_import_lists_each_mistake_with_sheet_row_and_column(tmp_path):
    path = export_xlsx(load_framework("inclusive-cities"), tmp_path / "ic.xlsx")
    _edit(path, "questions", 2, "text", "")  # empty question
    _edit(path, "questions", 3, "weight", "heavy")  # not a number
    _edit(path, "questions", 4, "principles", "P1, P8")  # unknown principle
    _edit(path, "questions", 5, "core", "perhaps")
    _edit(path, "questions", 6, "code", "A1.Q1")  # duplicate code
    with pytest.raises(ValidationError) as exc:
        import_xlsx(path)
    places = {p.where for p in exc.value.problems}
    assert "sheet questions, row 2, column text" in places
    assert "sheet questions, row 3, column weight" in places
    assert "sheet questions, row 4, column principles" in places
    assert "sheet questions, row 5, column core" in places
    assert "sheet questions, row 6, column code" in places
