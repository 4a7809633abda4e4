"""Frameworks with translations: `{en: ..., cy: ...}` for any text, the framework in one language, and every
missing translation reported with its file and line."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from icframework.cli import main
from icframework.errors import ValidationError
from icframework.model.framework import BUNDLED, parse_framework, text_paths, translation_problems


def english_only(text: str) -> str:
    """A framework file with its translations taken out: each `key:` followed by `en: ...` and `cy: ...` (block
    style, as the bundled file writes them) becomes `key: ...` again, so the tests below can add their own."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        m = re.match(r"^(\s*)(\w+):$", lines[i])
        if m and i + 1 < len(lines) and lines[i + 1].startswith(f"{m.group(1)}  en: "):
            indent = m.group(1)
            out.append(f"{indent}{m.group(2)}: {lines[i + 1].split('en: ', 1)[1]}")
            i += 2
            while i < len(lines) and lines[i].startswith(indent + "    "):  # the English of a folded (>-) text
                out.append(lines[i][2:])
                i += 1
            while i < len(lines) and re.match(rf"^{indent}  [a-z]{{2,3}}(-[A-Za-z0-9]+)?: ", lines[i]):
                i += 1  # another language's text, and its folded lines
                while i < len(lines) and lines[i].startswith(indent + "    "):
                    i += 1
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out) + "\n"


# The bundled framework without its Welsh: these tests write Welsh of their own into it.
SOURCE = english_only((BUNDLED / "inclusive-cities.yaml").read_text(encoding="utf-8"))


def welsh(tmp_path, skip: str | None = None):
    """inclusive-cities with a Welsh title and a Welsh text for every question except `skip` (a code): each
    question's `text: "..."` line becomes `text: {en: "...", cy: "..."}`."""
    lines = SOURCE.replace("title: Inclusive Cities framework",
                           "title: {en: Inclusive Cities framework, cy: Fframwaith Dinasoedd Cynhwysol}", 1)
    lines = lines.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("- code: A") and ".Q" in line:
            code = line.split("code:")[1].strip()
            indent, value = lines[i + 1].split("text: ", 1)
            if code != skip:
                lines[i + 1] = f'{indent}text: {{en: {value}, cy: "Cwestiwn {code} yn Gymraeg"}}'
    path = tmp_path / "ic-cy.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_framework_in_welsh_keeps_codes_and_falls_back_to_english(tmp_path):
    fw = parse_framework(welsh(tmp_path))
    assert fw.language == "en" and fw.languages == ["en", "cy"]
    assert fw.title == "Inclusive Cities framework"  # the file's own language
    cy = fw.localized("cy")
    assert cy.language == "cy" and cy.title == "Fframwaith Dinasoedd Cynhwysol"
    assert cy.question("A3.Q2").text == "Cwestiwn A3.Q2 yn Gymraeg"
    assert [q.code for q in cy.questions] == [q.code for q in fw.questions]  # answers are stored once
    assert cy.question("A3.Q2").evidence_prompt == fw.question("A3.Q2").evidence_prompt  # not translated: English
    assert fw.localized("ga") is fw  # a language it has nothing in


def test_every_missing_translation_is_reported_at_its_line(tmp_path):
    path = welsh(tmp_path, skip="A2.Q3")
    fw = parse_framework(path)
    problems = [p for p in translation_problems(path, "cy") if p.where.endswith(".text")]
    assert [p.where for p in problems] == ["areas[1].questions[2].text"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[problems[0].line - 1].strip() == f'text: "{fw.question("A2.Q3").text}"'
    every = translation_problems(path, "cy")
    scale = [p for p in text_paths(fw) if p.startswith("scale.")]  # the bundled scale has its Welsh already
    assert len(every) == len(text_paths(fw)) - len(fw.questions) - len(scale)  # all but the title, 34 questions
    shown = CliRunner().invoke(main, ["frameworks", "validate", str(path), "--lang", "cy"])
    assert shown.exit_code == 1 and f"{path}:{problems[0].line}: areas[1].questions[2].text: no cy translation" \
        in shown.output
    irish = CliRunner().invoke(main, ["frameworks", "validate", str(path), "--lang", "ga"])
    assert "maturity.yaml" in irish.output  # the scale's texts are reported in the scale's own file


def test_a_translation_without_the_framework_language_is_an_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SOURCE.replace("description:", "description: {cy: Disgrifiad}\nx_description:", 1))
    with pytest.raises(ValidationError) as err:
        parse_framework(path)
    assert any("no text in the framework's own language (en)" in p.message for p in err.value.problems)


def test_the_question_bank_carries_a_column_per_language_both_ways(tmp_path):
    from icframework.model.spreadsheet import export_xlsx, framework_yaml, import_xlsx, language_column

    fw = parse_framework(welsh(tmp_path, skip="A2.Q3"))
    bank = tmp_path / "bank.xlsx"
    export_xlsx(fw, bank)
    from icframework.files import read_xlsx

    sheets = read_xlsx(bank)
    header = sheets["questions"][0]
    assert language_column("text", "cy") == "text::Welsh (cy)" and "text::Welsh (cy)" in header
    col = header.index("text::Welsh (cy)")
    texts = {row[0]: row[col] for row in sheets["questions"][1:]}
    assert texts["A3.Q2"] == "Cwestiwn A3.Q2 yn Gymraeg" and texts["A2.Q3"] == ""  # missing stays visible
    assert ["title::Welsh (cy)", "Fframwaith Dinasoedd Cynhwysol"] in sheets["framework"]
    back = import_xlsx(bank)
    assert back.translations == fw.translations
    again = tmp_path / "again.yaml"
    again.write_text(framework_yaml(back), encoding="utf-8")  # written as {en: ..., cy: ...} by hand would be
    reread = parse_framework(again)
    assert reread.translations == fw.translations and reread.localized("cy").title == "Fframwaith Dinasoedd Cynhwysol"


def test_the_xlsform_has_labels_in_every_language_and_converts_cleanly(tmp_path):
    from pyxform.xls2xform import convert

    from icframework.store import Store
    from icframework.store.xlsform import export_xlsform

    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    store.create_round("r1", str(welsh(tmp_path)), title="Round one")
    path = export_xlsform(store, "r1", tmp_path / "form.xlsx")
    warnings: list[str] = []
    result = convert(xlsform=str(path), warnings=warnings)
    assert warnings == [] and result.warnings == []
    assert 'lang="Welsh (cy)"' in result.xform and "Cwestiwn A3.Q2 yn Gymraeg" in result.xform
    assert 'lang="English (en)"' in result.xform  # and the framework's own language
