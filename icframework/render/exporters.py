"""The nbconvert exporters `icf-pdf` and `icf-html`, and the files a brief is written to.

    jupyter nbconvert --to icf-pdf  executed.ipynb      # the workbook's brief as tagged PDF (Typst)
    jupyter nbconvert --to icf-html executed.ipynb      # ... as one self-contained HTML page

Both find the report behind an executed workbook the same way (`find_report`): diagnostics.json or
convening.json beside the notebook, else the report stored in the notebook's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from nbconvert.exporters import Exporter
from traitlets import default

from ..analysis.models import CityReport, ConveningReport, embedded
from ..analysis.models import load_report as _load_report
from ..errors import NotFoundError
from ..files import atomic_write
from ..i18n import translator
from .html import BriefTemplate, render_brief_html
from .pdf import render_brief_pdf
from .view import view_for

CITY_FILES = ("diagnostics.json", "diagnostic.ipynb")
CONVENING_FILES = ("convening.json", "convening.ipynb")


def load_report(path: str | Path) -> CityReport | ConveningReport:
    """A saved report (diagnostics.json or convening.json), validated: see icframework.analysis.models.load_report
    for the errors it raises (missing file, not JSON, another schema version, a field missing or wrong)."""
    return _load_report(path)


def find_report(nb, resources: dict | None = None) -> CityReport | ConveningReport:
    """The report behind an executed workbook: the one it carries in its outputs (`analysis.models.Embedded`,
    which the workbooks display), else diagnostics.json or convening.json beside the notebook."""
    found = embedded(nb) if nb is not None else None
    if found is not None:
        return found
    meta = (resources or {}).get("metadata") or {}
    if "path" in meta:  # nbconvert sets it to the notebook's folder ("" for the current one)
        for name in ("diagnostics.json", "convening.json"):
            if (Path(meta["path"] or ".") / name).is_file():
                return load_report(Path(meta["path"] or ".") / name)
    raise NotFoundError("no report found for this notebook: it is not an executed icframework workbook (run it "
                        "first, e.g. with papermill or icf run), and no diagnostics.json is beside it")


def brief_names(lang: str, main: bool) -> tuple[str, str]:
    """The files of a brief in `lang`: brief.pdf and brief.html in the main language, brief.<lang>.pdf and
    brief.<lang>.html in the others."""
    stem = "brief" if main else f"brief.{lang}"
    return f"{stem}.pdf", f"{stem}.html"


def _outputs(folder: Path, report_name: str, notebook_name: str, languages: Sequence[str] | None,
             locale: Sequence[Path], default: Sequence[str]) -> dict[str, Path]:
    folder = Path(folder)
    report = load_report(folder / report_name)
    nb_path = folder / notebook_name
    # Only its `brief` cells are read (render.html.brief_cells): plain JSON, a fifth of the time of nbformat.read.
    nb = json.loads(nb_path.read_bytes()) if nb_path.is_file() else None
    if not languages:
        languages = (report.city.languages if isinstance(report, CityReport) else None) or default or ["en"]
    written: dict[str, Path] = {}
    for i, lang in enumerate(dict.fromkeys(languages)):
        view = view_for(report, translator(lang, locale))
        pdf, html = brief_names(lang, i == 0)
        files = {"pdf": atomic_write(folder / pdf, render_brief_pdf(report, view)),
                 "html": atomic_write(folder / html, render_brief_html(report, nb, view).encode("utf-8"))}
        for kind, path in files.items():
            path.chmod(0o644)  # briefs are for sharing; the atomic temporary file starts private
            written[kind if i == 0 else f"{kind}.{lang}"] = path
    for stale in set(folder.glob("brief.*.pdf")) | set(folder.glob("brief.*.html")):
        if stale not in written.values():
            stale.unlink()  # a language no longer asked for: its old brief would mislead
    return written


def city_outputs(city_dir: str | Path, languages: Sequence[str] | None = None,
                 locale: Sequence[Path] = (), default: Sequence[str] = ("en",)) -> dict[str, Path]:
    """Write brief.pdf and brief.html (atomically) into build/<round>/<city>/ from its diagnostics.json, in the
    first of `languages` (default: the city's, from its city file, else `default`: the programme's), and
    brief.<lang>.pdf/.html in each other one. `locale`: the programme's catalogue folders. Returns the files by
    "pdf", "html", "pdf.cy", "html.cy"..."""
    return _outputs(Path(city_dir), *CITY_FILES, languages, locale, default)


def convening_outputs(conv_dir: str | Path, languages: Sequence[str] | None = None,
                      locale: Sequence[Path] = (), default: Sequence[str] = ("en",)) -> dict[str, Path]:
    """Write brief.pdf and brief.html (atomically) into build/<round>/convening/ from its convening.json, like
    `city_outputs` (default: `default`, the programme's languages)."""
    return _outputs(Path(conv_dir), *CONVENING_FILES, languages, locale, default)


class TypstPDFExporter(Exporter):
    """`jupyter nbconvert --to icf-pdf executed.ipynb`: the workbook's brief as tagged PDF, made with Typst."""

    export_from_notebook = "icframework brief (PDF)"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    def from_notebook_node(self, nb, resources=None, **kw):
        nb, resources = super().from_notebook_node(nb, resources, **kw)
        pdf = render_brief_pdf(find_report(nb, resources))
        resources["output_extension"] = ".pdf"
        return pdf, resources


class BriefHTMLExporter(BriefTemplate):
    """`jupyter nbconvert --to icf-html executed.ipynb`: the workbook's brief as one self-contained HTML file."""

    export_from_notebook = "icframework brief (HTML)"

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        if "icf" not in resources:
            resources["icf"] = view_for(find_report(nb, resources))
        return super().from_notebook_node(nb, resources, **kw)
