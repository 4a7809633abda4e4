"""Any text a person types survives the form's store, the exports and the import as itself, and reaches a brief
as text: never as markup or a formula (a property-based test: Hypothesis makes the texts)."""

from __future__ import annotations

import csv
import json
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from icframework.analysis.models import load_report
from icframework.files import read_xlsx
from icframework.model.cities import city_slugs
from icframework.render import render_brief_html
from icframework.store import Store
from icframework.store.transfer import export_answers, import_answers

ROOT = Path(__file__).resolve().parent.parent
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
TRICKY = st.sampled_from(["=1+1", "'", "\r", "\n", "\x00", "\x0b", "<b>", "_x000D_", "@SUM(A1)", " ", "\t", "-"])
TYPED = st.lists(st.one_of(TEXT, TRICKY), min_size=1, max_size=4).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evidence=TYPED, comment=TYPED)
def test_any_text_survives_store_exports_and_import(evidence, comment):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = Store(f"sqlite:///{tmp / 'a.sqlite3'}")
        store.create_round("r1", "inclusive-cities")
        person, _ = store.add_respondent("r1", "cardiff", "employer", label="p1")
        store.save_answer(person, "A1.Q1", level=2, evidence=evidence, comment=comment)
        export_answers(store, tmp / "a.csv")
        export_answers(store, tmp / "a.xlsx")
        export_answers(store, tmp / "a.json")
        with open(tmp / "a.csv", encoding="utf-8-sig", newline="") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))]  # never a formula
        other = Store(f"sqlite:///{tmp / 'b.sqlite3'}")
        other.create_round("r1", "inclusive-cities")
        import_answers(other, tmp / "a.csv", cities=city_slugs())
        back = other.answers_frame("r1").iloc[0]
        assert (back["evidence"], back["comment"]) == (evidence, comment)
        rows = read_xlsx(tmp / "a.xlsx")["answers"]
        assert rows[1][rows[0].index("evidence")] == evidence
        data = json.loads((tmp / "a.json").read_text(encoding="utf-8"))
        assert data["answers"][0]["evidence"] == evidence


@settings(max_examples=25, deadline=None)
@given(name=TYPED)
def test_any_name_reaches_the_html_brief_as_text(name):
    report = load_report(ROOT / "tests" / "data" / "diagnostics-cardiff.json")
    odd = report.model_copy(update={"city": report.city.model_copy(update={"name": name})})
    page = render_brief_html(odd)
    shown = "".join(c for c in name if c in "\n\t" or unicodedata.category(c) != "Cc").strip()
    assert "<script" not in page.lower()  # no script at all, whatever the name holds
    if shown:
        assert str(escape(shown))[:20] in page  # the name, escaped: text, never markup
