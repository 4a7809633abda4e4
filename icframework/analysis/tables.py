"""Tables in the workbooks' outputs, shown quickly: the same HTML pandas writes, made in a fraction of the time.

pandas formats a DataFrame twice for every displayed table (text and HTML), through machinery built for every
kind of frame; in a batch of 500 cities that was about a sixth of the CPU time of a city's notebook. `register()`
makes IPython show the frames the workbooks make (one level of columns and index, at most `display.max_rows`
rows and `display.max_columns` columns; cells of text, numbers, booleans, missing values and lists of text and
whole numbers) with the HTML that `DataFrame._repr_html_` gives, character for character (tests compare them),
and a plain text table; any other frame is left to pandas.
"""

from __future__ import annotations

import html
import math

import pandas as pd

_STYLE = """<div>
<style scoped>
    .dataframe tbody tr th:only-of-type {
        vertical-align: middle;
    }

    .dataframe tbody tr th {
        vertical-align: top;
    }

    .dataframe thead th {
        text-align: right;
    }
</style>
"""


class _Unsupported(Exception):
    """A frame or a value this module does not format: pandas does."""


def register(shell=None) -> None:
    """Show DataFrames in `shell` (default: the running IPython, if any) with `html` and `text`."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    formatters["text/html"].for_type(pd.DataFrame, _html_or_pandas)
    formatters["text/plain"].for_type(pd.DataFrame, _text_or_pandas)


def _html_or_pandas(frame: pd.DataFrame) -> str | None:
    return html_table(frame) or frame._repr_html_()


def _text_or_pandas(frame: pd.DataFrame, printer, cycle) -> None:
    printer.text(text_table(frame) or repr(frame))


def html_table(frame: pd.DataFrame) -> str | None:
    """`frame._repr_html_()`, for the frames this module formats; None for the others."""
    try:
        index, columns, rows = _cells(frame, escape=True)
    except _Unsupported:
        return None
    out = [_STYLE, f'<table border="{pd.get_option("display.html.border")}" class="dataframe">\n  <thead>\n',
           '    <tr style="text-align: right;">\n      <th></th>\n']
    out += [f"      <th>{c}</th>\n" for c in columns]
    out.append("    </tr>\n")
    if frame.index.name is not None:
        out.append(f"    <tr>\n      <th>{_escape(str(frame.index.name))}</th>\n")
        out += ["      <th></th>\n"] * len(columns)
        out.append("    </tr>\n")
    out.append("  </thead>\n  <tbody>\n")
    for label, row in zip(index, rows, strict=True):
        out.append(f"    <tr>\n      <th>{label}</th>\n")
        out += [f"      <td>{cell}</td>\n" for cell in row]
        out.append("    </tr>\n")
    out.append("  </tbody>\n</table>\n</div>")
    return "".join(out)


def text_table(frame: pd.DataFrame) -> str | None:
    """The frame as a plain text table (every column, right-aligned; the index on the left), or None."""
    try:
        index, columns, rows = _cells(frame, escape=False)
    except _Unsupported:
        return None
    name = "" if frame.index.name is None else str(frame.index.name)
    left = max([len(x) for x in index] + [len(name)], default=0)
    widths = [max([len(c)] + [len(row[j]) for row in rows]) for j, c in enumerate(columns)]
    lines = [" " * left + "".join(f"  {c:>{w}}" for c, w in zip(columns, widths, strict=True))]
    if name:
        lines.append(name)
    lines += [f"{label:<{left}}" + "".join(f"  {cell:>{w}}" for cell, w in zip(row, widths, strict=True))
              for label, row in zip(index, rows, strict=True)]
    return "\n".join(line.rstrip() for line in lines) if rows else f"Empty table: {', '.join(columns)}"


def _cells(frame: pd.DataFrame, escape: bool) -> tuple[list[str], list[str], list[list[str]]]:
    """The index labels, the column names and the cells as pandas writes them in a notebook's HTML."""
    rows, cols = frame.shape
    max_rows, max_cols = pd.get_option("display.max_rows"), pd.get_option("display.max_columns")
    if (isinstance(frame.index, pd.MultiIndex) or isinstance(frame.columns, pd.MultiIndex)
            or frame.columns.name is not None or (max_rows and rows > max_rows) or (max_cols and cols > max_cols)
            or pd.get_option("display.float_format") is not None):
        raise _Unsupported
    width, items = pd.get_option("display.max_colwidth"), pd.get_option("display.max_seq_items") or math.inf
    columns = [_label(c, width, escape) for c in frame.columns]
    index = [_label(x, width, escape) for x in frame.index]
    by_column = [_column(frame.iloc[:, j], width, items, escape) for j in range(cols)]
    return index, columns, [list(cells) for cells in zip(*by_column, strict=True)] if cols else [[]] * rows


def _label(value, width: int | None, escape: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or (width and len(str(value)) >= width):
        raise _Unsupported
    value = _scalar(value).strip()
    return _escape(value) if escape else value


def _column(series: pd.Series, width: int | None, items: float, escape: bool) -> list[str]:
    kind = series.dtype.kind
    if kind == "f":
        return _floats(series.tolist())
    if kind in "iub":
        return [str(v) for v in series.tolist()]
    if kind != "O":
        raise _Unsupported
    cells = []
    for value in series.tolist():
        text = " " + _object(value, items)  # as pandas: a space first, cut to `width`, stripped
        if width is not None and len(text) > width:
            text = text[: max(width - 3, 0)] + "..."[: min(width, 3)]
        cells.append(_escape(text.strip()) if escape else text.strip())
    return cells


def _object(value, items: float) -> str:
    if value is None:
        return "None"
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list | tuple) and len(value) <= items:
        inner = ", ".join(_scalar(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner}{',' if len(value) == 1 else ''})"
    return _scalar(value)


def _scalar(value) -> str:
    """Text (tabs and line breaks shown as \\t, \\n and \\r), a whole number or a boolean, as pandas writes it."""
    if isinstance(value, str):
        return value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if isinstance(value, bool | int):
        return str(value)
    raise _Unsupported


def _floats(values: list[float]) -> list[str]:
    """Every value with the same number of decimals: `display.precision` with the zeros all of them end with
    taken off, keeping one (as pandas writes a float column)."""
    precision = pd.get_option("display.precision")
    finite = [v for v in values if math.isfinite(v)]
    if any(abs(v) > 1e6 or 0 < abs(v) < 10**-precision for v in finite):
        raise _Unsupported  # pandas switches to scientific notation
    texts = [f"{v:.{precision}f}" for v in finite]
    decimals = precision
    while decimals > 1 and texts and all(t[len(t) - precision + decimals - 1] == "0" for t in texts):
        decimals -= 1
    shown = iter(f"{v:.{decimals}f}" for v in finite)
    return [next(shown) if math.isfinite(v) else ("NaN" if math.isnan(v) else str(v)) for v in values]


def _escape(text: str) -> str:
    """As pandas writes a cell's text in HTML: &, < and > escaped, two spaces kept as two."""
    return html.escape(text, quote=False).replace("  ", "&nbsp;&nbsp;")
