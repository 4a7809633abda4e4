"""PDF briefs with Typst: tagged PDF/UA-1 and PDF/A-2a, no TeX and no browser.

The view (plain strings and numbers) reaches the template as JSON in `sys.inputs`, so user text is printed as
text and never read as Typst markup. One compiler per template is kept warm for the life of the process.

A brief never fails on text: PDF/A forbids a character no font can draw, so control characters are dropped
from the view (`view.printable`), and a character the fonts cannot show (an emoji, a script with no font
installed) is replaced by □ and named on the first page; the HTML brief shows it as it is. Fonts placed in
`templates/fonts/`, or installed on the system (Noto, for example), are used first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import unicodedata

import typst

from ..analysis.models import CityReport, ConveningReport
from ..config import bundled
from ..errors import ICFError
from ..style import COLOURS
from .view import is_convening, printable, view_for

TEMPLATES = bundled("templates")
FONTS = TEMPLATES / "fonts"  # optional extra fonts; Typst's embedded Libertinus Serif covers Welsh and Irish
PDF_STANDARDS = ["a-2a", "ua-1"]  # both at once: PDF/A-4 would need PDF 2.0, which PDF/UA-1 forbids
PLACEHOLDER = "\u25a1"  # □, drawn by the bundled fonts
MAX_RETRIES = 40  # each retry replaces every character of one family (a script, or one symbol)
_UNSHOWN = re.compile(r'the text `"(.+?)"` could not be displayed')

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
    """Compile `templates/<template>` with `view` as its data; return the PDF bytes (see the module's docstring
    for characters the fonts cannot show)."""
    missing: set[str] = set()
    view = printable(view)  # a view made by view_for is already; one built by hand may not be
    for _attempt in range(MAX_RETRIES):
        shown = _replace(view, missing)
        if missing:
            shown["glyph_note"] = ("Some characters cannot be shown in this PDF and appear as \u25a1: "
                                   + " ".join(f"U+{ord(c):04X}" for c in sorted(missing)[:12])
                                   + (" and more" if len(missing) > 12 else "") + ". The HTML brief shows them.")
        payload = json.dumps({"view": shown, "colours": COLOURS}, ensure_ascii=False)
        with _lock:
            try:
                return _compiler(template).compile(sys_inputs={"data": payload}, pdf_standards=PDF_STANDARDS,
                                                   timestamp=_timestamp(view.get("generated_at")))
            except typst.TypstError as exc:
                unshown = _unshown(exc.message)
                if not unshown or unshown <= missing:
                    raise RenderError(f"could not render {template}: {exc.message}\n{exc.diagnostic}") from exc
        missing |= _family(unshown, payload)
    raise RenderError(f"could not render {template}: too many characters the fonts cannot show")


def _unshown(message: str) -> set[str]:
    """The characters Typst says no font can display (it writes them as \\u{1f3d9}, or as themselves)."""
    found = set()
    for text in _UNSHOWN.findall(message):
        text = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m.group(1), 16)), text)
        found |= set(text)
    return found


def _family(chars: set[str], text: str) -> set[str]:
    """`chars` and every character of `text` from the same family (the Unicode name without its last word:
    all 'CJK UNIFIED IDEOGRAPH-...' at once), so a page of another script costs one retry, not one per letter."""
    def family(c: str) -> str:
        return unicodedata.name(c, f"U+{ord(c):X}").rsplit("-", 1)[0].rsplit(" ", 1)[0]

    wanted = {family(c) for c in chars}
    return set(chars) | {c for c in set(text) if ord(c) > 0x2ff and family(c) in wanted}


def _replace(value, missing: set[str]):
    """A copy of the view with the `missing` characters replaced by □."""
    if isinstance(value, str):
        return "".join(PLACEHOLDER if c in missing else c for c in value) if missing else value
    if isinstance(value, dict):
        return {k: _replace(v, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, missing) for v in value]
    return value


def render_brief_pdf(report: CityReport | ConveningReport, view: dict | None = None) -> bytes:
    """The brief of a city or convening report as tagged PDF (PDF/UA-1 and PDF/A-2a)."""
    template = "convening_brief.typ" if is_convening(report) else "city_brief.typ"
    return compile_pdf(template, view or view_for(report))
