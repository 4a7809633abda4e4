"""Charts: every value is written on the chart and in the text alternative; synthetic data says so; SVG renders."""

from __future__ import annotations

import json
import re
from pathlib import Path

from icframework.analysis import charts
from icframework.analysis.models import CityReport, ConveningReport, report_from_data

DATA = Path(__file__).parent / "data"
NOTICE = "Synthetic demo data: invented."
# the rest of a complete report (counts, questions, ...) comes from the fixtures; the charts read only the parts below
CITY_BASE = json.loads((DATA / "diagnostics-cardiff.json").read_text(encoding="utf-8"))
CONVENING_BASE = json.loads((DATA / "diagnostics-convening.json").read_text(encoding="utf-8"))
FRAMEWORK = CITY_BASE["framework"] | {"labels": {"principle": "Principle", "area": "Area"}, "thin_threshold": 3}


def city(name: str) -> dict:
    return {"slug": "x", "name": name, "local_name": None, "nation": None, "phase": None}


def rnd(rid: str, title: str | None = None) -> dict:
    return {"id": rid, "title": title, "convening": None, "convening_title": None, "convening_when": None}


def score(code, title, value, n, thin) -> dict:
    return {"code": code, "title": title, "score": value, "n": n, "thin": thin, "dont_know": 0, "previous": None,
            "change": None, "direction": None if value is None else "new"}


def city_report(synthetic=True, **parts) -> CityReport:
    return report_from_data(CITY_BASE | {
        "synthetic": synthetic, "notice": NOTICE if synthetic else None,
        "city": city("Exton <b>"), "round": rnd("r2"), "framework": FRAMEWORK,
        "areas": [
            score("A1", "Story", 56.25, 5, False),
            score("A2", "Work", 25.0, 1, True),
            score("A3", "Homes", None, 0, True),
        ],
        "principles": [score("P1", "Lead", 56.25, 5, False), score("P2", "Share", 75.0, 2, True)],
        "matrix": [
            {"principle": "P1", "area": "A1", "questions": 2, "score": 56.25, "n": 5, "thin": False},
            {"principle": "P1", "area": "A2", "questions": 0, "score": None, "n": 0, "thin": True},
            {"principle": "P2", "area": "A1", "questions": 1, "score": 75.0, "n": 2, "thin": True},
            {"principle": "P2", "area": "A2", "questions": 1, "score": None, "n": 0, "thin": True},
        ],
    } | parts)


def cell(city_slug, area, value, n, thin, change) -> dict:
    return {"city": city_slug, "area": area, "score": value, "n": n, "thin": thin,
            "previous": None if change is None else value - change, "change": change,
            "direction": None if value is None else "new" if change is None else "up" if change > 0 else "down"}


def convening(**parts) -> ConveningReport:
    overall = {"score": None, "n": 0, "thin": True, "tier": None, "tier_description": None}
    member = {"nation": None, "phase": None, "previous_round": None, "respondents": 0, "answers": 0,
              "overall": overall}
    return report_from_data(CONVENING_BASE | {
        "synthetic": False, "notice": None, "round": rnd("r2"), "framework": FRAMEWORK,
        "cities": [member | {"slug": "x", "name": "Exton"}, member | {"slug": "y", "name": "Wyford"}],
        "heatmap": [
            cell("x", "A1", 100.0, 4, False, 50.0),
            cell("x", "A2", 0.0, 2, True, None),
            cell("y", "A1", 50.0, 4, False, -3.4),
            cell("y", "A2", None, 0, True, None),
        ],
    } | parts)


CONVENING = convening()


def svg_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_area_chart_labels_every_bar_and_describes_it():
    fig = charts.area_chart(city_report())
    labels = [row["label"] for row in fig.spec["data"]["values"]]
    # 56.25 -> "56"; thin and empty scores say so in words, not only by shading
    assert labels == ["56 (n=5)", "25 (n=1, thin)", "no score (n=0)"]
    assert "A1 Story: 56 (n=5). A2 Work: 25 (n=1, thin). A3 Homes: no score (n=0)." in fig.alt
    assert "fewer than 3 answers" in fig.alt and fig.alt.endswith(NOTICE)
    assert fig.spec["title"]["subtitle"] == NOTICE
    bundle = fig._repr_mimebundle_()
    assert bundle[charts.MIMETYPE] is fig.spec and bundle["text/plain"] == fig.alt


def test_area_chart_svg_shows_values_notice_and_escapes_names():
    svg = charts.area_chart(city_report()).svg()
    texts = svg_texts(svg)
    assert svg.lstrip().startswith("<svg")
    for expected in ("56 (n=5)", "25 (n=1, thin)", "no score (n=0)", NOTICE):
        assert expected in texts
    assert "<b>" not in svg and "Exton &lt;b&gt;, r2: Area scores" in texts


def test_real_report_has_no_synthetic_subtitle():
    fig = charts.area_chart(city_report(synthetic=False))
    assert "subtitle" not in fig.spec["title"] and "Synthetic" not in fig.alt


def test_matrix_chart_cells():
    fig = charts.matrix_chart(city_report())
    labels = {(r["principle"], r["area"]): r["label"] for r in fig.spec["data"]["values"]}
    # no linked question -> "-"; linked but unscored -> "no score"; thin -> "*"
    assert labels == {("P1", "A1"): "56", ("P1", "A2"): "-", ("P2", "A1"): "75*", ("P2", "A2"): "no score"}
    assert "P1 Lead: A1 56, A2 -. P2 Share: A1 75*, A2 no score." in fig.alt
    assert {"56", "-", "75*", "no score"} <= set(svg_texts(fig.svg()))


def test_convening_heatmap_shows_change():
    fig = charts.convening_heatmap(CONVENING)
    assert "Exton: A1 100 (+50), A2 0*. Wyford: A1 50 (-3), A2 no score." in fig.alt
    assert "subtitle" not in fig.spec["title"]
    assert {"100 (+50)", "0*", "50 (-3)", "Exton", "Wyford"} <= set(svg_texts(fig.svg()))


def test_specs_are_valid_for_altair():
    chart = charts.matrix_chart(city_report()).altair()
    assert chart.to_dict()["layer"][1]["mark"]["type"] == "text"


def test_summary_escapes_names_and_puts_the_notice_first():
    report = city_report(
        city=city("Exton <img src=x onerror=alert(1)> *[link](javascript:x)*"),
        round=rnd("r2", "Round two"), previous_round=None, previous_round_title=None,
        overall={"score": 52.78, "n": 6, "thin": False, "tier": "Established", "tier_description": None},
        counts={"scored": 6, "respondents": 3, "dont_know": 1, "na": 1, "unanswered": 1, "answers": 8,
                "questions": 3},
    )
    s = charts.summary(report)
    md = s._repr_mimebundle_()["text/markdown"]
    assert md.startswith("> **Synthetic demo data: invented\\.**")
    # no tag, link or emphasis survives: < becomes &lt; and Markdown punctuation is backslash-escaped
    assert "<img" not in md and "&lt;img src=x onerror=alert\\(1\\)&gt;" in md
    assert "\\*\\[link\\]\\(javascript:x\\)\\*" in md
    assert s.text.splitlines() == [
        NOTICE, "Exton <img src=x onerror=alert(1)> *[link](javascript:x)*, round r2: Round two",
        "Overall: 52.8 of 100 (Established), from 6 scored answers by 3 respondents "
        "(1 don't know, 1 not applicable, 1 unanswered).", "Compared with: no earlier round."]


def test_summary_of_a_convening_without_synthetic_data():
    s = charts.summary(convening(round=rnd("r2", "Round two")))
    assert s.synthetic_notice is None
    assert s.text.splitlines() == ["Convening brief, round r2: Round two", "Cities (2): Exton, Wyford."]
