"""Answer exports (CSV, XLSX, JSON) and the all-or-nothing CSV import.

Spreadsheet safety: a text cell starting with = + - @ (or a tab / carriage return) is written so that it can never
run as a formula: CSV cells get a leading apostrophe (removed again on import); XLSX cells are typed as text.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from ..errors import Problem, ValidationError
from ..files import atomic_write
from .store import Store

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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


def inert(value):
    """A CSV cell that a spreadsheet will show as text, never evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def uninert(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


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
        table.map(inert).to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL)
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
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([None if _missing(v) else (v.item() if hasattr(v, "item") else v) for v in row])
        for cells in ws.iter_rows(min_row=1):
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it starts with '='
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def read_import_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def import_answers(store: Store, path: Path, actor: str = "import") -> int:
    """Import answers from CSV. Any bad row means nothing is imported; every bad row is reported."""
    path = Path(path)
    try:
        rows = read_import_rows(path)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValidationError([Problem(str(path), None, f"cannot read CSV: {exc}")]) from None
    problems: list[Problem] = []
    if not rows:
        raise ValidationError([Problem(str(path), None, "the file has no data rows")])
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise ValidationError(
            [Problem(str(path), 1, f"missing column(s): {', '.join(missing)}", "header")],
            f"{path} cannot be imported",
        )
    round_cache: dict[str, object] = {}
    plan = []
    seen = set()
    for i, raw in enumerate(rows, start=2):  # row 1 is the header
        row = {k: uninert((v or "").strip()) for k, v in raw.items() if k}
        bad = _check_row(store, row, round_cache)
        key = (row["round"], row["city"], row["respondent"], row["question"])
        if not bad and key in seen:
            bad = [("question", f"a second answer to {row['question']} for {row['respondent']}")]
        seen.add(key)
        problems += [Problem(str(path), i, reason, f"row {i}, column {col}") for col, reason in bad]
        plan.append(row)
    if problems:
        raise ValidationError(problems, f"{path}: nothing imported")
    for row in plan:
        respondent = _respondent_for(store, row)
        value = row["value"]
        change = (
            {"response": None, "level": None}
            if value == ""
            else (
                {"response": value}
                if value in ("dont_know", "na")
                else {"response": "level", "level": int(value)}
            )
        )
        for f in ("evidence", "links", "comment"):
            change[f] = row.get(f, "")
        store.save_answer(respondent, row["question"], actor=actor, **change)
    return len(plan)


def _check_row(store: Store, row: dict, round_cache: dict) -> list[tuple[str, str]]:
    from ..model.types import SECTORS, SLUG_RE

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
    if not SLUG_RE.match(row["city"]):
        bad.append(("city", f"{row['city']!r} is not a city slug"))
    if row["sector"] not in SECTORS:
        bad.append(("sector", f"unknown sector {row['sector']!r}; use one of {', '.join(SECTORS)}"))
    if row["question"] not in {q.code for q in fw.questions}:
        bad.append(("question", f"unknown question {row['question']!r} in {fw.code} {fw.version}"))
    value = row["value"]
    levels = {str(lv.value) for lv in fw.scale.levels}
    if value not in levels | {"", "dont_know", "na"}:
        bad.append(
            ("value", f"{value!r} is not a level ({', '.join(sorted(levels))}), dont_know, na or empty")
        )
    return bad


def _respondent_for(store: Store, row: dict):
    for r in store.list_respondents(row["round"], row["city"]):
        if r.label == row["respondent"]:
            return r
    respondent, _ = store.add_respondent(
        row["round"],
        row["city"],
        row["sector"],
        role=row.get("role", ""),
        label=row["respondent"],
        with_code=False,
    )
    return respondent
