"""Answer exports (CSV, XLSX, JSON) and the all-or-nothing CSV import.

Spreadsheet safety and lossless text are `icframework.cells`' job: CSV fields all quoted, formula-like text with
a leading apostrophe (removed again on import); XLSX cells typed as text, control characters escaped.
The import checks every row before writing anything, then writes everything in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from ..cells import from_csv, to_csv, to_xlsx
from ..errors import Problem, ValidationError
from ..files import atomic_write
from .store import Store

COLUMNS = [
    "round",
    "city",
    "respondent",
    "sector",
    "role",
    "question",
    "value",
    "evidence",
    "links",
    "comment",
    "updated_at",
    "synthetic",
]
REQUIRED = ["round", "city", "respondent", "sector", "question", "value"]


def answers_table(store: Store, round_id: str | None = None, city: str | None = None) -> pd.DataFrame:
    """Answers in the exchange format (one row per answer, `value` = 0..4, dont_know, na or empty)."""
    df = store.answers_frame(round_id, city)
    value = df["level"].astype("string").where(df["response"] == "level", df["response"])
    out = df.assign(value=value.fillna(""), updated_at=df["updated_at"].astype(str))
    return out[COLUMNS]


def export_answers(
    store: Store, path: Path, fmt: str | None = None, round_id: str | None = None, city: str | None = None
) -> int:
    """Write answers to CSV, XLSX or JSON (by `fmt` or the file suffix). Returns the number of rows."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    table = answers_table(store, round_id, city)
    if fmt == "csv":
        buf = io.StringIO()
        table.map(to_csv).to_csv(buf, index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        atomic_write(path, buf.getvalue().encode("utf-8-sig"))
    elif fmt == "xlsx":
        atomic_write(path, xlsx_bytes({"answers": table}))
    elif fmt == "json":
        records = table.to_dict(orient="records")
        atomic_write(
            path,
            json.dumps(
                {"synthetic": bool(table["synthetic"].any()), "answers": records},
                ensure_ascii=False,
                indent=1,
            ).encode(),
        )
    else:
        raise ValidationError([Problem(str(path), None, f"unknown format {fmt!r}: use csv, xlsx or json")])
    return len(table)


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook in which every string cell is typed as text (never a formula)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([to_xlsx(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False):
            ws.append([_xlsx_value(v) for v in row])
        for cells in ws.iter_rows(min_row=1):
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it starts with '='
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(v):
    """A cell's value: None for missing, plain Python numbers, strings escaped (cells.to_xlsx)."""
    if _missing(v):
        return None
    v = v.item() if hasattr(v, "item") else v
    return to_xlsx(v) if isinstance(v, str) else v


def _missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def read_import_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


FREE_TEXT = ("role", "evidence", "links", "comment")  # kept exactly as written; codes are trimmed
MAX_TEXT = 20_000  # characters in one free-text field, as the form allows


def import_answers(store: Store, path: Path, *, cities: Collection[str], actor: str = "import") -> int:
    """Import answers from CSV, all or nothing: every row is checked first (every bad row is reported with its
    row, column and reason), then everything is written in one transaction, so an interrupted import leaves the
    store as it was. `cities` are the programme's city slugs: a row for any other city is refused."""
    path = Path(path)
    try:
        rows = read_import_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError([Problem(str(path), None, f"cannot read CSV: {exc}")]) from None
    if not rows:
        raise ValidationError([Problem(str(path), None, "the file has no data rows")])
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise ValidationError(
            [Problem(str(path), 1, f"missing column(s): {', '.join(missing)}", "header")],
            f"{path} cannot be imported",
        )
    known = set(cities)
    existing = {(r.round_id, r.city, r.label): r for r in store.list_respondents()}
    round_cache: dict[str, object] = {}
    problems: list[Problem] = []
    people: dict[tuple, int] = {}  # (round, city, label) -> index in `new_people`
    new_people: list[dict] = []
    items: list[tuple[int, str, dict]] = []
    seen = set()
    for i, raw in enumerate(rows, start=2):  # row 1 is the header
        row = {k: from_csv(v or "") if k in FREE_TEXT else (v or "").strip() for k, v in raw.items() if k}
        bad = _check_row(store, row, round_cache, known)
        key = (row["round"], row["city"], row["respondent"], row["question"])
        if not bad and key in seen:
            bad = [("question", f"a second answer to {row['question']} for {row['respondent']}")]
        person = existing.get(key[:3])
        if not bad and person is not None and person.sector != row["sector"]:
            bad = [("sector", f"{row['respondent']} is in the store with sector {person.sector!r}, "
                              f"not {row['sector']!r}")]
        seen.add(key)
        problems += [Problem(str(path), i, reason, f"row {i}, column {col}") for col, reason in bad]
        if bad or problems:
            continue
        if key[:3] not in people:
            people[key[:3]] = len(new_people)
            new_people.append({"round_id": row["round"], "city": row["city"], "sector": row["sector"],
                               "role": row.get("role", ""), "label": row["respondent"]})
        items.append((people[key[:3]], row["question"], _change(row)))
    if problems:
        raise ValidationError(problems, f"{path}: nothing imported")
    return store.import_answers(new_people, items, actor=actor)


def _change(row: dict) -> dict:
    value = row["value"]
    change = ({"response": None, "level": None} if value == "" else
              {"response": value} if value in ("dont_know", "na") else {"response": "level", "level": int(value)})
    return change | {f: row.get(f, "") for f in ("evidence", "links", "comment")}


def _check_row(store: Store, row: dict, round_cache: dict, cities: set[str]) -> list[tuple[str, str]]:
    from ..model.types import SECTORS, is_slug

    bad = []
    for col in REQUIRED:
        if col != "value" and not row.get(col):
            bad.append((col, "is empty"))
    if bad:
        return bad
    rid = row["round"]
    if rid not in round_cache:
        try:
            round_cache[rid] = store.framework_for(rid)
        except Exception:  # noqa: BLE001 - reported as a row problem
            round_cache[rid] = None
    fw = round_cache[rid]
    if fw is None:
        return [("round", f"unknown round {rid!r}")]
    if not is_slug(row["city"]):
        bad.append(("city", f"{row['city']!r} is not a city slug"))
    elif row["city"] not in cities:
        bad.append(("city", f"{row['city']!r} is not a city of this programme (add it with `icf cities add`)"))
    if row["sector"] not in SECTORS:
        bad.append(("sector", f"unknown sector {row['sector']!r}; use one of {', '.join(SECTORS)}"))
    if len(row["respondent"]) > 80:
        bad.append(("respondent", "is longer than 80 characters"))
    if row["question"] not in {q.code for q in fw.questions}:
        bad.append(("question", f"unknown question {row['question']!r} in {fw.code} {fw.version}"))
    value = row["value"]
    levels = {str(lv.value) for lv in fw.scale.levels}
    if value not in levels | {"", "dont_know", "na"}:
        bad.append(
            ("value", f"{value!r} is not a level ({', '.join(sorted(levels))}), dont_know, na or empty")
        )
    for col in FREE_TEXT:
        if len(row.get(col, "")) > MAX_TEXT:
            bad.append((col, f"is {len(row[col]):,} characters long; at most {MAX_TEXT:,} are allowed"))
    return bad
