"""Charts of a city report or a convening report, each with a text alternative.

A chart is a `Figure`: a Vega-Lite v5 specification plus a plain-text description of everything it shows.
- In JupyterLab and Voilà a Figure displays as an interactive chart (the Vega-Lite renderer both ship; it
  works offline), with the text alternative as the plain-text fallback.
- `Figure.svg()` renders a static SVG for briefs with vl-convert (in-process; its engine starts once).
- `Figure.altair()` gives the same chart as an Altair object for researchers who want to extend it.

The specifications are written as plain data, so building a chart costs microseconds: importing Altair takes
seconds in this environment, which would be paid again by every notebook of a batch run. Every value is also
written on the chart (no meaning by colour alone), and a synthetic report says so in the chart's subtitle.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from .models import CityReport, ConveningReport, HeatCell, MatrixCell, ScoreRow

VEGALITE = "https://vega.github.io/schema/vega-lite/v5.json"
VL_VERSION = "5.20"
MIMETYPE = "application/vnd.vegalite.v5+json"


@dataclass(frozen=True)
class Figure:
    spec: dict
    alt: str

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {MIMETYPE: self.spec, "text/plain": self.alt}

    def svg(self) -> str:
        """The chart as a standalone SVG document (for briefs)."""
        import vl_convert

        return vl_convert.vegalite_to_svg(self.spec, vl_version=VL_VERSION)

    def altair(self):
        """The chart as an Altair object (imports Altair)."""
        import altair as alt

        cls = alt.LayerChart if "layer" in self.spec else alt.Chart
        return cls.from_dict({k: v for k, v in self.spec.items() if k != "$schema"})


def area_chart(report: CityReport) -> Figure:
    """Horizontal bars: the score of each area of action (0-100), labelled with score and n."""
    area_label = report.framework.labels.area
    rows = [{"area": f"{a.code} {a.title}", "code": a.code, "score": a.score or 0,
             "label": _score_label(a), "n": a.n, "thin": a.thin} for a in report.areas]
    order = [r["area"] for r in rows]
    bar = {"mark": {"type": "bar", "color": "#2b6cb0"},
           "encoding": {"opacity": {"condition": {"test": "datum.thin", "value": 0.35}, "value": 1}}}
    text = {"mark": {"type": "text", "align": "left", "dx": 4, "color": "#111"},
            "encoding": {"text": {"field": "label"}}}
    spec = _spec(_title(report, f"{area_label} scores"), rows, {
        "encoding": {
            "y": {"field": "area", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 320}},
            "x": {"field": "score", "type": "quantitative", "scale": {"domain": [0, 100]}, "title": "Score (0-100)"},
            "tooltip": [{"field": "area", "title": area_label}, {"field": "label", "title": "Score"}],
        },
        "layer": [bar, text],
        "width": 360,
    })
    lines = [f"{r['area']}: {r['label']}." for r in rows]
    alt = (f"Bar chart of {area_label.lower()} scores (0 to 100) for {_who(report)}. " + " ".join(lines)
           + _thin_note(rows, report) + _synthetic_note(report))
    return Figure(spec, alt)


def matrix_chart(report: CityReport) -> Figure:
    """Heatmap: principles (rows) by areas (columns); each cell shows its score."""
    labels = report.framework.labels
    titles = {p.code: p.title for p in report.principles}
    rows = [{"principle": c.principle, "area": c.area, "score": c.score, "n": c.n, "thin": c.thin,
             "questions": c.questions,
             "label": _cell_label(c), "ptitle": titles.get(c.principle, "")} for c in report.matrix]
    spec = _heatmap(_title(report, f"{labels.principle} by {labels.area.lower()}"), rows,
                    row="principle", row_title=labels.principle, col="area", col_title=labels.area,
                    tooltip=[{"field": "ptitle", "title": labels.principle}])
    lines = []
    for p in report.principles:
        cells = [f"{r['area']} {r['label']}" for r in rows if r["principle"] == p.code]
        lines.append(f"{p.code} {p.title}: " + ", ".join(cells) + ".")
    alt = (f"Heatmap of scores (0 to 100) by {labels.principle.lower()} and {labels.area.lower()} for "
           f"{_who(report)}; a dash marks a combination with no linked question. " + " ".join(lines)
           + _thin_note(rows, report) + _synthetic_note(report))
    return Figure(spec, alt)


def convening_heatmap(convening: ConveningReport) -> Figure:
    """Heatmap for conveners: cities (rows) by areas (columns); each cell shows score and change."""
    area_label = convening.framework.labels.area
    names = {c.slug: c.name for c in convening.cities}
    rows = [{"city": names.get(h.city, h.city), "area": h.area, "score": h.score, "n": h.n,
             "thin": h.thin, "label": _cell_label(h, change=True)} for h in convening.heatmap]
    title = f"{area_label} scores by city, {convening.round.title or convening.round.id}"
    spec = _heatmap(_title(convening, title), rows, row="city", row_title="City", col="area", col_title=area_label,
                    tooltip=[])
    lines = []
    for c in convening.cities:
        cells = [f"{r['area']} {r['label']}" for r in rows if r["city"] == c.name]
        lines.append(f"{c.name}: " + ", ".join(cells) + ".")
    alt = (f"Heatmap of {area_label.lower()} scores (0 to 100) for {len(convening.cities)} cities in "
           f"{convening.round.title or convening.round.id}; in brackets the change since each city's previous "
           "round. " + " ".join(lines) + _thin_note(rows, convening) + _synthetic_note(convening))
    return Figure(spec, alt)


@dataclass(frozen=True)
class Summary:
    """A few lines of text about a report: Markdown (names escaped, never markup) plus the same as plain text."""

    lines: tuple[str, ...]
    synthetic_notice: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(([self.synthetic_notice] if self.synthetic_notice else []) + list(self.lines))

    @property
    def markdown(self) -> str:
        notice = [f"> **{escape_markdown(self.synthetic_notice)}**"] if self.synthetic_notice else []
        return "\n\n".join(notice + [escape_markdown(line) for line in self.lines])

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.markdown, "text/plain": self.text}


def summary(report: CityReport | ConveningReport) -> Summary:
    """The headline of a city report or a convening report, with the synthetic notice first when it applies."""
    rnd = report.round
    if isinstance(report, CityReport):
        o, c = report.overall, report.counts
        score = "no score yet" if o.score is None else f"{o.score:.1f} of 100 ({o.tier})"
        lines = (f"{report.city.name}, round {rnd.id}: {rnd.title}",
                 f"Overall: {score}, from {c.scored} scored answers by {c.respondents} respondents "
                 f"({c.dont_know} don't know, {c.na} not applicable, {c.unanswered} unanswered).",
                 f"Compared with: {report.previous_round_title or report.previous_round or 'no earlier round'}.")
    else:
        names = ", ".join(c.name for c in report.cities) or "none"
        lines = (f"Convening brief, round {rnd.id}: {rnd.title}", f"Cities ({len(report.cities)}): {names}.")
    return Summary(lines, report.notice if report.synthetic else None)


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as written: HTML is escaped and Markdown punctuation is backslash-escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~>])", r"\\\1", html.escape(str(text), quote=False))


# -- helpers -----------------------------------------------------------------------------------------------
def _spec(title: dict, rows: list[dict], body: dict) -> dict:
    return {"$schema": VEGALITE, "title": title, "data": {"values": rows}, **body,
            "config": {"font": "DejaVu Sans", "view": {"stroke": None}}}


def _heatmap(title: dict, rows: list[dict], *, row: str, row_title: str, col: str, col_title: str,
             tooltip: list[dict]) -> dict:
    order_rows = list(dict.fromkeys(r[row] for r in rows))
    order_cols = list(dict.fromkeys(r[col] for r in rows))
    base = {
        "y": {"field": row, "type": "nominal", "sort": order_rows, "title": row_title},
        "x": {"field": col, "type": "nominal", "sort": order_cols, "title": col_title,
              "axis": {"orient": "top", "labelAngle": 0}},
        "tooltip": [{"field": row, "title": row_title}, {"field": col, "title": col_title}, *tooltip,
                    {"field": "label", "title": "Score"}],
    }
    rect = {"mark": {"type": "rect", "stroke": "white"},
            "encoding": {"color": {"field": "score", "type": "quantitative", "title": "Score",
                                   "scale": {"domain": [0, 100], "scheme": "blues"}}}}
    text = {"mark": {"type": "text", "fontSize": 11},
            "encoding": {"text": {"field": "label"},
                         "color": {"condition": {"test": "datum.score > 60", "value": "white"}, "value": "#111"}}}
    return _spec(title, rows, {"encoding": base, "layer": [rect, text],
                               "width": {"step": 78}, "height": {"step": 26}})


def _title(report: CityReport | ConveningReport, text: str) -> dict:
    who = _who(report) if isinstance(report, CityReport) else ""
    title = {"text": f"{who}: {text}" if who else text, "anchor": "start"}
    if report.synthetic:
        title["subtitle"] = report.notice or "Synthetic demo data"
        title["subtitleColor"] = "#b00020"
    return title


def _who(report: CityReport | ConveningReport) -> str:
    """Whose chart, as people read it: the city and the round's title (never the round's id)."""
    if isinstance(report, CityReport):
        return f"{report.city.name}, {report.round.title or report.round.id}"
    return report.round.title or report.round.id


def _score_label(item: ScoreRow) -> str:
    if item.score is None:
        return "no score (n=0)"
    thin = ", thin" if item.thin else ""
    return f"{item.score:.0f} (n={item.n}{thin})"


def _cell_label(cell: MatrixCell | HeatCell, change: bool = False) -> str:
    if isinstance(cell, MatrixCell) and cell.questions == 0:
        return "-"
    if cell.score is None:
        return "no score"
    label = f"{cell.score:.0f}" + ("*" if cell.thin else "")
    if change and isinstance(cell, HeatCell) and cell.change is not None:
        label += f" ({cell.change:+.0f})"
    return label


def _thin_note(rows: list[dict], report: CityReport | ConveningReport) -> str:
    if not any(r["thin"] and r["score"] is not None for r in rows):
        return ""
    t = report.framework.thin_threshold
    return f" Scores marked thin or with * rest on fewer than {t} answers." if t else " Thin scores are marked."


def _synthetic_note(report: CityReport | ConveningReport) -> str:
    return f" {report.notice}" if report.synthetic and report.notice else ""
