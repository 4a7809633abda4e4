"""PDF briefs with Typst: tagged PDF/UA-1 and PDF/A-2a, no TeX and no browser.

The view (plain strings and numbers) reaches the template as JSON in `sys.inputs`, so user text is printed as
text and never read as Typst markup. One compiler per template is kept warm for the life of the process.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import typst

from ..analysis.models import CityReport, ConveningReport
from ..config import bundled
from ..errors import ICFError
from ..style import COLOURS
from .view import is_convening, view_for

TEMPLATES = bundled("templates")
FONTS = TEMPLATES / "fonts"  # optional extra fonts; Typst's embedded Libertinus Serif covers Welsh and Irish
PDF_STANDARDS = ["a-2a", "ua-1"]  # both at once: PDF/A-4 would need PDF 2.0, which PDF/UA-1 forbids

_compilers: dict[str, typst.Compiler] = {}
_lock = threading.Lock()  # one compile at a time per process: a Compiler keeps state between calls


class RenderError(ICFError):
    """A brief could not be rendered."""


def _compiler(template: str) -> typst.Compiler:
    if template not in _compilers:
        path = TEMPLATES / template
        if not path.is_file():
            raise RenderError(f"brief template {path} is missing: reinstall icframework from its repository")
        fonts = [str(FONTS)] if FONTS.is_dir() else []
        _compilers[template] = typst.Compiler(str(path), root=str(TEMPLATES), font_paths=fonts)
    return _compilers[template]


def _timestamp(iso: str | None) -> dt.datetime | None:
    """The report's own time, so the same report gives the same PDF."""
    try:
        stamp = dt.datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None
    return stamp if stamp is None or stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def compile_pdf(template: str, view: dict) -> bytes:
    """Compile `templates/<template>` with `view` as its data; return the PDF bytes."""
    payload = json.dumps({"view": view, "colours": COLOURS}, ensure_ascii=False)
    with _lock:
        try:
            return _compiler(template).compile(sys_inputs={"data": payload}, pdf_standards=PDF_STANDARDS,
                                               timestamp=_timestamp(view.get("generated_at")))
        except typst.TypstError as exc:
            raise RenderError(f"could not render {template}: {exc.message}\n{exc.diagnostic}") from exc


def render_brief_pdf(report: CityReport | ConveningReport, view: dict | None = None) -> bytes:
    """The brief of a city or convening report as tagged PDF (PDF/UA-1 and PDF/A-2a)."""
    template = "convening_brief.typ" if is_convening(report) else "city_brief.typ"
    return compile_pdf(template, view or view_for(report))
