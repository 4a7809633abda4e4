"""Hostile files are refused with a clear reason, quickly and within a memory cap: YAML bombs (aliases, deep
nesting, huge values, huge files) and spreadsheet bombs (a cell at the last address, a deflate bomb)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from icframework.errors import ValidationError
from icframework.files import read_xlsx
from icframework.model.framework import BUNDLED, parse_framework
from icframework.model.yamlio import MAX_DEPTH, MAX_TEXT, load_data, load_yaml

MEMORY_CAP = 1536 * 2**20  # bytes of address space the capped child process may use


def capped(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `code` in a child Python whose address space is capped: a bomb would die there, not take the machine."""
    prelude = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout)


def problem(path: Path) -> str:
    """The one problem found in `path`, the same by both ways of reading YAML."""
    found = []
    for load in (load_yaml, load_data):
        with pytest.raises(ValidationError) as err:
            load(path)
        (p,) = err.value.problems
        found.append(f"{p.line}: {p.message}")
    assert found[0] == found[1]
    return found[0]


def test_yaml_aliases_are_refused_before_anything_is_expanded(tmp_path):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    bomb += [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
             f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(bomb) + "\n")  # 10 levels of 9 copies: 3.9 billion strings if expanded
    assert problem(path) == "2: YAML aliases (*a) are not allowed in icframework files: write the value out in full"
    done = capped(f"""
        from icframework.model.framework import parse_framework
        from icframework.errors import ValidationError
        try:
            parse_framework({str(path)!r})
        except ValidationError as exc:
            print(exc.problems[0].message)
    """)
    assert done.returncode == 0 and "aliases" in done.stdout, done.stderr[-2000:]


def test_deep_nesting_and_huge_values_are_refused_with_their_line(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problem(deep) == f"1: nested more than {MAX_DEPTH} levels deep"
    huge = tmp_path / "huge.yaml"
    huge.write_text("code: x\ntitle: " + "y" * (MAX_TEXT + 1) + "\n")
    assert problem(huge) == f"2: a value of {MAX_TEXT + 1:,} characters; at most {MAX_TEXT:,} are allowed"
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 500_000)
    assert "MB; icframework reads YAML files of at most 4 MB" in problem(big)
    assert parse_framework(BUNDLED / "inclusive-cities.yaml").code == "inclusive-cities"  # real files still load


def xlsx_with(tmp_path: Path, name: str, sheet_xml: str) -> Path:
    """A minimal workbook whose only sheet has `sheet_xml` as its sheetData."""
    path = tmp_path / name
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="questions" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org'
        '/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main">{sheet_xml}</worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, text in parts.items():
            zf.writestr(part, text)
    return path


def test_a_cell_at_the_last_address_is_refused_within_the_memory_cap(tmp_path):
    path = xlsx_with(tmp_path, "far.xlsx", '<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" '
                     't="inlineStr"><is><t>code</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr">'
                     '<is><t>far away</t></is></c></row></sheetData>')
    assert path.stat().st_size < 2000
    done = capped(f"""
        from icframework.model.spreadsheet import import_xlsx
        from icframework.errors import ValidationError
        try:
            import_xlsx({str(path)!r})
        except ValidationError as exc:
            print(exc.problems[0].message)
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sheet 'questions' has more than 5000 rows" in done.stdout


def test_a_deflate_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(200):
                member.write(b"\0" * 2**20)  # 200 MB of zeros, about 200 KB packed
    assert path.stat().st_size < 1_000_000
    with pytest.raises(ValidationError, match="unpacks to 200 MB, more than the 64 MB allowed"):
        read_xlsx(path)
    small_bomb = tmp_path / "small.xlsx"
    with zipfile.ZipFile(small_bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * 40 * 2**20)
    with pytest.raises(ValidationError, match="expands .* times: not a workbook a spreadsheet program writes"):
        read_xlsx(small_bomb)
