"""Briefs for facilitators: a PDF and an HTML page per city and per convening, from the executed workbooks.

    city_outputs(build/<round>/<city>/)         diagnostics.json (+ diagnostic.ipynb) -> brief.pdf, brief.html
    convening_outputs(build/<round>/convening/)  convening.json (+ convening.ipynb)   -> brief.pdf, brief.html

view.py turns a report into the plain-language strings both formats print; pdf.py lays them out with Typst,
html.py with an nbconvert template; exporters.py registers `jupyter nbconvert --to icf-pdf|icf-html` and writes
the files. Rendering reads no store: it needs only the report.
"""

from .exporters import (
    BriefHTMLExporter,
    TypstPDFExporter,
    city_outputs,
    convening_outputs,
    find_report,
    load_report,
)
from .html import render_brief_html
from .pdf import RenderError, render_brief_pdf
from .view import view_for

__all__ = ["BriefHTMLExporter", "RenderError", "TypstPDFExporter", "city_outputs", "convening_outputs",
           "find_report", "load_report", "render_brief_html", "render_brief_pdf", "view_for"]
