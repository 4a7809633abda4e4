"""HTML pieces shared by the city dashboard and the facilitator console: escaped text, tables, charts as images
with their text alternative, and downloads as data: links (so viewing a page never writes a file).

Every string that comes from people or from files (city names, evidence, practice descriptions, links) goes
through `escape` or `safe_url` here: user text is data, never markup.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape as _escape
from urllib.parse import urlsplit

from .. import style
from ..i18n import Translator, translator

# The dashboard's and the console's own layout, on top of the form's stylesheet (icframework.app.voila.page_setup):
# wider pages, tables that scroll sideways on a phone instead of pushing the page wider, charts that shrink.
CSS = """
.icf-app.icf-wide { max-width: 72rem; }
.icf-app h2 { color: var(--icf-primary); font-size: 1.25rem; margin: 1.25rem 0 0.25rem; line-height: 1.3; }
.icf-app .icf-scroll { overflow-x: auto; max-width: 100%; }
.icf-app table.icf-table { border-collapse: collapse; margin: 0.25rem 0 0.75rem; font-size: 15px; }
.icf-app table.icf-table th, .icf-app table.icf-table td { border-bottom: 1px solid #c9d3d4; padding: 0.25rem 0.5rem;
  text-align: left; vertical-align: top; }
.icf-app table.icf-table td.num, .icf-app table.icf-table th.num { text-align: right;
  font-variant-numeric: tabular-nums; }
.icf-app table.icf-table caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
.icf-app figure.icf-chart { margin: 0.5rem 0 1rem; max-width: 100%; }
.icf-app figure.icf-chart .icf-scroll img { max-width: none; height: auto; display: block; }
.icf-app figure.icf-chart figcaption, .icf-app .icf-alt { color: var(--icf-muted); font-size: 14px; }
.icf-app details { margin: 0.25rem 0; }
.icf-app details > summary { cursor: pointer; padding: 0.25rem 0; }
.icf-app details details { margin-left: 1rem; }
.icf-app .icf-answer { background: var(--icf-surface); padding: 0.35rem 0.6rem; margin: 0.3rem 0 0.3rem 1rem;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.icf-app .icf-tiles { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 0.5rem 0; }
.icf-app .icf-tile { background: var(--icf-surface); border-left: 4px solid var(--icf-primary); padding: 0.5rem 0.75rem;
  min-width: 9rem; }
.icf-app .icf-tile strong { display: block; font-size: 1.5rem; color: var(--icf-primary); }
.icf-app .icf-filters { flex-wrap: wrap; gap: 0.5rem 1.5rem; overflow: visible; height: auto; }
.icf-app .widget-vbox, .icf-app .widget-hbox { overflow: visible; }
.icf-app .widget-button { width: auto; max-width: 100%; }
.icf-app .widget-dropdown > select, .icf-app select { font-size: 16px; min-height: 2.25rem; }
.icf-app .widget-dropdown { width: auto; max-width: 100%; }
.icf-app .widget-dropdown > select { max-width: calc(100vw - 7rem); }
.icf-app .widget-label { color: var(--icf-text); font-size: 15px; }
.icf-app a { color: var(--icf-primary); }
.icf-app a.icf-download { display: inline-block; background: var(--icf-primary); color: #fff; padding: 0.45rem 0.9rem;
  border-radius: 4px; text-decoration: none; margin: 0.25rem 0.5rem 0.25rem 0; }
.icf-app a:focus, .icf-app summary:focus, .icf-app select:focus, .icf-app button:focus, .icf-app input:focus {
  outline: 3px solid var(--icf-accent); outline-offset: 2px; }
.icf-app .icf-ok { color: var(--icf-success); }
.icf-app .icf-bad { color: var(--icf-error); }
.icf-app .icf-progress { width: 100%; max-width: 36rem; }
.icf-app .icf-muted { color: var(--icf-muted); }
"""


def escape(value) -> str:
    """Text (anything) as HTML text: never markup."""
    return _escape("" if value is None else str(value), quote=True)


def fill(template: str, /, **markup: str) -> str:
    """A translated text with its placeholders unfilled (`tr._("{round} is {state}.")`, no values) as HTML: the
    words escaped, then each placeholder filled with `markup` (HTML made here, or text escaped already)."""
    return escape(template).format(**markup)


def safe_url(url: str | None) -> str | None:
    """`url` if it is an http(s) or mailto address, else None (a javascript: or data: link is never made)."""
    if not url:
        return None
    url = str(url).strip()
    scheme = urlsplit(url).scheme.lower()
    return url if scheme in ("http", "https", "mailto") else None


def link(url: str | None, text: str) -> str:
    """An <a> to an http(s) address, or the text alone when the address is anything else."""
    good = safe_url(url)
    return f'<a href="{escape(good)}" rel="noopener noreferrer">{escape(text)}</a>' if good else escape(text)


def score(value, n: int | None = None, thin: bool = False, tr: Translator | None = None) -> str:
    """A score as people read it: "62 (n=14)", "62 (n=3, thin)", or "no score"."""
    tr = tr or translator()
    if value is None:
        return tr._("no score")
    if n is None:
        return f"{value:.0f}"
    if thin:
        return tr._("{score} (n={n}, thin)", score=format(value, ".0f"), n=n)
    return tr._("{score} (n={n})", score=format(value, ".0f"), n=n)


def table(columns: Sequence[str], rows: Iterable[Sequence], *, caption: str | None = None,
          numeric: Sequence[int] = (), raw: Sequence[int] = ()) -> str:
    """An HTML table in a sideways-scrolling box. Cells are escaped, except the columns in `raw` (markup this
    module made, such as links); `numeric` columns are right-aligned."""
    head = "".join(f'<th scope="col"{" class=num" if i in numeric else ""}>{escape(c)}</th>'
                   for i, c in enumerate(columns))
    body = []
    for row in rows:
        cells = "".join(f'<td{" class=num" if i in numeric else ""}>{v if i in raw else escape(v)}</td>'
                        for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    name = f' aria-label="{escape(caption)}"' if caption else ""
    return (f'<div class="icf-scroll" role="region" tabindex="0"{name}><table class="icf-table">{cap}'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def figure(fig, label: str, tr: Translator | None = None) -> str:
    """A chart (`icframework.analysis.charts.Figure`) as an image with its text alternative as `alt`, and the
    same text in a closed "chart as text" section under it. Rendered to SVG in the kernel (vl-convert), so the
    page runs no chart JavaScript. A chart keeps its size and scrolls sideways on a phone (shrunk to the screen
    its labels could not be read)."""
    tr = tr or translator()
    svg = base64.b64encode(fig.svg().encode("utf-8")).decode("ascii")
    region = tr._("{label} (chart)", label=label)
    summary = tr._("{label}: the chart as text", label=label)
    return (f'<figure class="icf-chart"><div class="icf-scroll" role="region" tabindex="0" '
            f'aria-label="{escape(region)}"><img src="data:image/svg+xml;base64,{svg}" '
            f'alt="{escape(fig.alt)}"></div>'
            f'<figcaption><details><summary>{escape(summary)}</summary>'
            f'<p class="icf-alt">{escape(fig.alt)}</p></details></figcaption></figure>')


def download(data: bytes, filename: str, text: str, mime: str = "application/pdf") -> str:
    """A download link that carries the file itself (a data: URI): nothing is served from or written to disk."""
    payload = base64.b64encode(data).decode("ascii")
    return (f'<a class="icf-download" download="{escape(filename)}" href="data:{mime};base64,{payload}">'
            f"{escape(text)}</a>")


def notice(text: str | None) -> str:
    """The synthetic-data notice (or any warning) as the form shows it; empty without text."""
    return f'<p class="icf-synthetic"><strong>{escape(text)}</strong></p>' if text else ""


def synthetic_badge(synthetic: bool, tr: Translator | None = None) -> str:
    return notice((tr or translator())._(style.SYNTHETIC_NOTICE)) if synthetic else ""
