"""HTML briefs with nbconvert: one self-contained page, no code, no scripts, user text escaped.

The template (`templates/icf_brief/`) prints the plain-language view of a report; cells of the executed workbook
tagged `brief` are appended (their markdown, and images that carry alt text in the output metadata "alt").
"""

from __future__ import annotations

import base64
import threading

import nbformat
from jinja2 import pass_context
from nbconvert.exporters import HTMLExporter, TemplateExporter
from traitlets import default

from ..analysis.models import CityReport, ConveningReport
from ..style import COLOURS
from .pdf import TEMPLATES
from .view import view_for

_lock = threading.Lock()
_exporter: BriefTemplate | None = None


class BriefTemplate(HTMLExporter):
    """The `icf_brief` nbconvert template: prints the view in resources["icf"] and the notebook's `brief` cells.
    `icframework.render.exporters.BriefHTMLExporter` finds the view for a notebook on disk."""

    @default("template_name")
    def _template_name_default(self):
        return "icf_brief"

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self):
        return [str(TEMPLATES)]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    def _create_environment(self):
        env = super()._create_environment()
        env.autoescape = True  # every {{ value }} is HTML-escaped unless marked safe in the template
        env.globals["t"] = _word
        return env

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        resources["icf_colours"] = COLOURS
        resources["icf_cells"] = brief_cells(nb)
        # The template prints only the view and these cells: nbconvert need not copy and preprocess the rest of
        # the executed notebook (its outputs are most of its size and of the time a brief took).
        nb = nbformat.v4.new_notebook(metadata=nb.get("metadata", {}))
        # Skip HTMLExporter's BeautifulSoup pass (it adds alt text to images and tabindex to code cells; this
        # template has neither): it would double the time a brief takes.
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@pass_context
def _word(context, message: str) -> str:
    """A template's `t("...")`: the word in the brief's language (the view carries them, icframework.i18n)."""
    view = (context.get("resources") or {}).get("icf") or {}
    return (view.get("words") or {}).get(message, message)


def brief_cells(nb) -> list[dict]:
    """Markdown of cells tagged `brief`, and their PNG/SVG outputs that have alt text, in notebook order (`nb`: a
    notebook node, or the plain JSON of an nbformat 4 notebook)."""
    parts = []
    for cell in nb.get("cells", []):
        if "brief" not in (cell.get("metadata", {}).get("tags") or []):
            continue
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            parts.append({"markdown": "".join(source) if isinstance(source, list) else source})
            continue
        for out in cell.get("outputs", []):
            data, alt = out.get("data", {}), (out.get("metadata") or {}).get("alt")
            if not alt:
                continue
            if "image/png" in data:
                parts.append({"src": "data:image/png;base64," + data["image/png"].replace("\n", ""), "alt": alt})
            elif "image/svg+xml" in data:
                svg = data["image/svg+xml"]
                svg = "".join(svg) if isinstance(svg, list) else svg
                parts.append({"src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
                              "alt": alt})
    return parts


def render_html(view: dict, nb=None) -> str:
    """The brief for `view` (from icframework.render_view) as one HTML page; `nb` adds its `brief` cells."""
    global _exporter
    nb = nb if nb is not None else nbformat.v4.new_notebook()
    with _lock:
        if _exporter is None:
            _exporter = BriefTemplate()
        html, _ = _exporter.from_notebook_node(nb, {"icf": view})
    return html


def render_brief_html(report: CityReport | ConveningReport, nb=None, view: dict | None = None) -> str:
    """The brief of a city or convening report as one self-contained HTML page."""
    return render_html(view or view_for(report), nb)
