"""Tables in the workbooks' outputs: the HTML of `analysis.tables` is pandas' own, character for character, for
every frame it formats (any other frame is left to pandas), and the workbooks' outputs are the same with it."""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from icframework.analysis import tables
from icframework.model.cities import load_city
from icframework.store import Store, demo

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_OPTIONS = {"display.max_columns": 20}  # what pandas uses in a kernel (0, "fit the terminal", elsewhere)

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=70)
words = st.text("ab <&>\t\n", max_size=60)
cells = {
    "text": st.lists(st.one_of(text, words, st.none()), min_size=1, max_size=1),
    "int": st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=1),
    "bool": st.lists(st.booleans(), min_size=1, max_size=1),
    "float": st.lists(st.one_of(st.floats(-1e9, 1e9), st.just(math.nan), st.sampled_from([0.0, 50.0, 1e-5, 2e15])),
                      min_size=1, max_size=1),
    "list": st.lists(st.lists(st.one_of(words, st.integers(-99, 99), st.booleans()), max_size=4), min_size=1,
                     max_size=1),
}


@st.composite
def frames(draw):
    rows = draw(st.integers(0, 8))
    kinds = draw(st.lists(st.sampled_from(sorted(cells)), max_size=5))
    data = {f"c{j} {kind}": [draw(cells[kind])[0] for _ in range(rows)] for j, kind in enumerate(kinds)}
    frame = pd.DataFrame(data, columns=list(data)) if data else pd.DataFrame(index=range(rows))
    if rows and draw(st.booleans()):
        frame.index = pd.Index(draw(st.lists(words, min_size=rows, max_size=rows)), name=draw(st.sampled_from(
            [None, "code", "a<b"])))
    return frame


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_the_html_is_pandas_own_or_none(frame):
    with pd.option_context(*[x for kv in NOTEBOOK_OPTIONS.items() for x in kv]):
        ours = tables.html_table(frame)
        if ours is not None:
            assert ours == frame._repr_html_()
            assert tables.text_table(frame) is not None


def test_frames_it_does_not_format_are_left_to_pandas():
    many = pd.DataFrame({"x": range(100)})
    wide = pd.DataFrame([[1] * 30])
    nested = pd.DataFrame({"x": [{"a": 1}]})
    multi = pd.DataFrame({"x": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]))
    tiny = pd.DataFrame({"x": [1e-7]})
    with pd.option_context(*[x for kv in NOTEBOOK_OPTIONS.items() for x in kv]):
        for frame in (many, wide, nested, multi, tiny):
            assert tables.html_table(frame) is None and tables.text_table(frame) is None
            assert tables._html_or_pandas(frame) == frame._repr_html_()


def test_text_table_lines_up_every_cell():
    frame = pd.DataFrame({"title": ["Leading", "Growth <b>"], "score": [67.0, 35.25], "levels": [[1, 2], []]},
                         index=pd.Index(["A1", "A2"], name="code"))
    assert tables.text_table(frame).splitlines() == [
        "           title  score  levels",
        "code",
        "A1       Leading  67.00  [1, 2]",
        "A2    Growth <b>  35.25      []",
    ]


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'icf.sqlite3'}"
    store = Store(url)
    demo.generate(store, cities=[load_city(c, ROOT / "cities") for c in ("bristol", "cardiff", "newport")])
    store.close()
    return url


@pytest.mark.parametrize("notebook, params", [
    ("city_diagnostic.ipynb", {"city": "cardiff"}),
    ("convening_brief.ipynb", {}),
])
def test_workbook_outputs_are_the_same_as_with_pandas_formatting(store_url, tmp_path, monkeypatch, notebook, params):
    """The real workbook, run twice in the warm engine: its tables through this module, then through pandas."""
    monkeypatch.setenv("ICF_CITIES", str(ROOT / "cities"))

    def run(name):
        out = tmp_path / name
        out.mkdir()
        pm.execute_notebook(ROOT / "workbooks" / notebook, out / "out.ipynb", engine_name="icf-warm",
                            progress_bar=False, parameters={**params, "round_id": demo.LATEST_ROUND,
                                                            "store_url": store_url, "output_dir": str(out)})
        nb = nbformat.read(out / "out.ipynb", as_version=4)
        return [o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs]

    ours = run("ours")
    monkeypatch.setattr(tables, "html_table", lambda frame: None)
    monkeypatch.setattr(tables, "text_table", lambda frame: None)
    theirs = run("pandas")
    html = [(a.get("text/html"), b.get("text/html")) for a, b in zip(ours, theirs, strict=True)]
    shown = [a for a, _ in html if a and 'class="dataframe"' in a]
    assert len(shown) >= 3
    assert all(a == b for a, b in html)
    plain = [(a["text/plain"], b["text/plain"]) for a, b in zip(ours, theirs, strict=True)
             if 'class="dataframe"' in a.get("text/html", "")]
    assert any(a != b for a, b in plain)  # the text is this module's: it was used
    assert all("..." not in a.splitlines()[0] for a, _ in plain)  # every column is there
