"""Writing files so that they appear whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` so that it appears whole or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# -- spreadsheets, read within bounds ---------------------------------------------------------------------------
XLSX_MAX_UNPACKED = 64 * 2**20  # bytes a workbook may unpack to (its XML): a few thousand rows need far less
XLSX_MAX_RATIO = 200  # how much one member may expand: a deflate bomb expands thousands of times
XLSX_MAX_ROWS = 200_000
XLSX_MAX_COLUMNS = 500


def read_xlsx(path: str | Path, *, max_rows: int = XLSX_MAX_ROWS, max_columns: int = XLSX_MAX_COLUMNS,
              data: bytes | None = None) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as rows of text, refusing a workbook that would take the machine down: the
    zip's members are checked before anything is unpacked, and rows and columns are read within bounds
    (openpyxl's read-only mode streams the sheet). Raises ValidationError with the reason."""
    import io
    import zipfile

    from openpyxl import load_workbook

    from .errors import Problem, ValidationError

    def refuse(why: str):
        return ValidationError([Problem(str(path), None, why)], f"{path} cannot be read")

    source = io.BytesIO(data) if data is not None else Path(path)
    try:
        with zipfile.ZipFile(source) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse(f"not an XLSX workbook ({exc})") from None
    unpacked = sum(m.file_size for m in members)
    if unpacked > XLSX_MAX_UNPACKED:
        raise refuse(f"the workbook unpacks to {unpacked / 2**20:.0f} MB, more than the "
                     f"{XLSX_MAX_UNPACKED // 2**20} MB allowed")
    for m in members:
        if m.file_size > 1_000_000 and m.file_size > XLSX_MAX_RATIO * max(m.compress_size, 1):
            raise refuse(f"{m.filename} expands {m.file_size // max(m.compress_size, 1)} times: not a workbook a "
                         "spreadsheet program writes")
    try:
        wb = load_workbook(io.BytesIO(data) if data is not None else path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one problem
        raise refuse(f"cannot read the workbook: {exc}") from None
    try:
        sheets = {}
        for ws in wb.worksheets:
            rows = []
            for row in ws.iter_rows(max_row=max_rows + 1, max_col=max_columns + 1, values_only=True):
                if len(rows) == max_rows:
                    raise refuse(f"sheet {ws.title!r} has more than {max_rows} rows")
                if len(row) > max_columns and row[max_columns] is not None:
                    raise refuse(f"sheet {ws.title!r} has more than {max_columns} columns")
                rows.append([cell_text(v) for v in row[:max_columns]])
            while rows and not any(rows[-1]):
                rows.pop()
            width = max((max((i + 1 for i, v in enumerate(r) if v), default=0) for r in rows), default=0)
            sheets[ws.title] = [r[:width] + [""] * (width - len(r)) for r in rows]
        return sheets
    finally:
        wb.close()


def cell_text(value) -> str:
    """A spreadsheet cell as text, as a person reads it: 3.0 as "3", dates as ISO dates, empty as "", escaped
    control characters (`_x000D_`) as themselves."""
    import datetime as dt

    from .cells import from_xlsx

    if isinstance(value, str):
        return from_xlsx(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
