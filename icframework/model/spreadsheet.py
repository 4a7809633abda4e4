"""Round trip of a framework's question bank to an XLSX workbook that facilitators edit in Excel.

Sheets: `framework` (field, value), `principles`, `areas`, `questions` (one row per question, guidance in one
column per level, principles comma-separated) and `tiers`. Import lists every mistake with sheet, row and column.

Translations travel as one more column per language beside the texts, named as XLSForm names them:
`text::Welsh (cy)` (rows `title::Welsh (cy)` in the `framework` sheet); an empty cell is a missing translation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import yaml
from pydantic import ValidationError as PydanticError

from ..errors import Problem, ValidationError
from ..store.transfer import xlsx_bytes
from .framework import Framework, _cross_checks, _set, _split_translations, parse_path
from .types import language_column

META = [
    "code",
    "title",
    "version",
    "language",
    "source",
    "description",
    "scale",
    "thin_threshold",
    "label_principle",
    "label_area",
]
Q_COLS = ["code", "area", "text", "evidence_prompt", "core", "weight", "principles"]
META_TEXTS = {"title": "title", "description": "description", "label_principle": "labels.principle",
              "label_area": "labels.area"}
_LANG_COLUMN = re.compile(r"^(?P<base>[^:]+)::(?:.*\((?P<code>[A-Za-z-]+)\)|(?P<bare>[A-Za-z-]+))\s*$")


def split_column(name: str) -> tuple[str, str | None]:
    """('text', 'cy') for 'text::Welsh (cy)' or 'text::cy'; (name, None) for a column of the own language."""
    m = _LANG_COLUMN.match(str(name))
    return (m["base"].strip(), m["code"] or m["bare"]) if m else (str(name), None)


def _text_paths(fw: Framework) -> dict[str, list[dict[str, str]]]:
    """Per sheet, per row: column -> text path (what a translation column of that cell holds)."""
    levels = [lv.value for lv in fw.scale.levels]
    qs = [(ai, qi) for ai, a in enumerate(fw.areas) for qi, _ in enumerate(a.questions)]
    return {
        "principles": [{k: f"principles[{i}].{k}" for k in ("title", "description")}
                       for i in range(len(fw.principles))],
        "areas": [{k: f"areas[{i}].{k}" for k in ("title", "description")} for i in range(len(fw.areas))],
        "questions": [{"text": f"areas[{a}].questions[{q}].text",
                       "evidence_prompt": f"areas[{a}].questions[{q}].evidence_prompt",
                       **{f"guidance_{lv}": f"areas[{a}].questions[{q}].guidance.{lv}" for lv in levels}}
                      for a, q in qs],
        "tiers": [{k: f"tiers[{i}].{k}" for k in ("label", "description")} for i in range(len(fw.tiers))],
    }


def framework_sheets(fw: Framework) -> dict[str, pd.DataFrame]:
    levels = [lv.value for lv in fw.scale.levels]
    meta = {
        "code": fw.code,
        "title": fw.title,
        "version": fw.version,
        "language": fw.language,
        "source": fw.source,
        "description": fw.description,
        "scale": fw.scale.code,
        "thin_threshold": fw.thin_threshold,
        "label_principle": fw.labels.principle,
        "label_area": fw.labels.area,
    }
    questions = [
        {
            "code": q.code,
            "area": q.area,
            "text": q.text,
            "evidence_prompt": q.evidence_prompt,
            "core": "core" if q.core else "additional",
            "weight": q.weight,
            "principles": ", ".join(q.principles),
            **{f"guidance_{lv}": q.guidance.get(lv, "") for lv in levels},
        }
        for q in fw.questions
    ]
    sheets = {
        "framework": pd.DataFrame({"field": list(meta), "value": [str(v) for v in meta.values()]}),
        "principles": pd.DataFrame([p.model_dump() for p in fw.principles]),
        "areas": pd.DataFrame(
            [{"code": a.code, "title": a.title, "description": a.description} for a in fw.areas]
        ),
        "questions": pd.DataFrame(questions),
        "tiers": pd.DataFrame([t.model_dump() for t in fw.tiers]),
    }
    paths = _text_paths(fw)
    for lang in fw.languages[1:]:
        texts = fw.translations[lang]
        rows = [(language_column(f, lang), texts.get(path, "")) for f, path in META_TEXTS.items()]
        sheets["framework"] = pd.concat([sheets["framework"], pd.DataFrame(rows, columns=["field", "value"])],
                                        ignore_index=True)
        for sheet, cells in paths.items():
            for column in cells[0] if cells else {}:
                sheets[sheet][language_column(column, lang)] = [texts.get(c[column], "") for c in cells]
    return sheets


def export_xlsx(fw: Framework, path: Path) -> Path:
    from ..store.transfer import atomic_write

    return atomic_write(Path(path), xlsx_bytes(framework_sheets(fw)))


def _read(path: Path) -> dict[str, pd.DataFrame]:
    """The workbook's sheets as text tables (first row: the header), read within bounds (files.read_xlsx)."""
    from ..files import read_xlsx

    rows = read_xlsx(path, max_rows=5_000, max_columns=60)
    sheets = {name: pd.DataFrame(r[1:], columns=[str(c) for c in r[0]]).fillna("") if r else pd.DataFrame()
              for name, r in rows.items()}
    missing = [s for s in ("framework", "principles", "areas", "questions", "tiers") if s not in sheets]
    if missing:
        raise ValidationError([Problem(str(path), None, f"missing sheet(s): {', '.join(missing)}")])
    return sheets


def import_xlsx(path: Path) -> Framework:
    """Read a framework workbook; raise ValidationError naming sheet, row and column of every mistake."""
    path = Path(path)
    sheets = _read(path)
    where: dict[tuple, str] = {}  # pydantic location prefix -> "sheet S, row R"
    problems: list[Problem] = []

    def cell(sheet: str, row: int, column: str) -> str:
        return f"sheet {sheet}, row {row}, column {column}"

    meta = {r["field"].strip(): r["value"].strip() for _, r in sheets["framework"].iterrows()}
    for i, f in enumerate(sheets["framework"]["field"], start=2):
        where[(f.strip(),)] = cell("framework", i, "value")
    raw: dict = {k: meta.get(k) for k in META[:7] if meta.get(k) not in (None, "")}
    raw["labels"] = {
        "principle": meta.get("label_principle") or "Principle",
        "area": meta.get("label_area") or "Area of action",
    }
    try:
        raw["thin_threshold"] = int(meta.get("thin_threshold") or 3)
    except ValueError:
        problems.append(Problem(str(path), None, "must be a whole number", where[("thin_threshold",)]))

    translated: dict[str, dict[str, str]] = {}  # text path -> {language: text}, from the ::Language (xx) columns
    for field, value in meta.items():
        base, lang = split_column(field)
        if lang and base in META_TEXTS and value:
            translated.setdefault(META_TEXTS[base], {})[lang] = value

    def collect(r: dict, prefix: str, columns: dict[str, str]) -> None:
        """The translations in row `r`'s language columns, for the texts at `prefix` + columns[base]."""
        for name, value in r.items():
            base, lang = split_column(name)
            if lang and base in columns and value:
                translated.setdefault(f"{prefix}.{columns[base]}", {})[lang] = value

    def rows(sheet: str, prefix: str):
        frame = sheets[sheet]
        for i, (_, r) in enumerate(frame.iterrows()):
            if not any(str(v).strip() for v in r.values):
                continue
            yield i, i + 2, {k: str(v).strip() for k, v in r.items()}

    raw["principles"] = []
    for _, excel_row, r in rows("principles", "principles"):
        idx = len(raw["principles"])
        raw["principles"].append({k: r.get(k, "") for k in ("code", "title", "description")})
        collect(r, f"principles[{idx}]", {"title": "title", "description": "description"})
        for k in ("code", "title", "description"):
            where[("principles", idx, k)] = cell("principles", excel_row, k)
    tiers = []
    for _, excel_row, r in rows("tiers", "tiers"):
        idx = len(tiers)
        try:
            minimum = float(r.get("min", ""))
        except ValueError:
            problems.append(
                Problem(
                    str(path), None, f"min {r.get('min')!r} is not a number", cell("tiers", excel_row, "min")
                )
            )
            minimum = 0.0
        tiers.append({"min": minimum, "label": r.get("label", ""), "description": r.get("description", "")})
        collect(r, f"tiers[{idx}]", {"label": "label", "description": "description"})
        for k in ("min", "label", "description"):
            where[("tiers", idx, k)] = cell("tiers", excel_row, k)
    raw["tiers"] = tiers
    areas: dict[str, dict] = {}
    for _, excel_row, r in rows("areas", "areas"):
        areas[r.get("code", "")] = {
            "code": r.get("code", ""),
            "title": r.get("title", ""),
            "description": r.get("description", ""),
            "questions": [],
        }
        idx = len(areas) - 1
        collect(r, f"areas[{idx}]", {"title": "title", "description": "description"})
        for k in ("code", "title", "description"):
            where[("areas", idx, k)] = cell("areas", excel_row, k)
    area_index = {code: i for i, code in enumerate(areas)}
    guidance_cols = [c for c in sheets["questions"].columns if str(c).startswith("guidance_")]
    for _, excel_row, r in rows("questions", "questions"):
        area = r.get("area", "")
        if area not in areas:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"unknown area {area!r}; areas are {', '.join(areas)}",
                    cell("questions", excel_row, "area"),
                )
            )
            continue
        q: dict = {
            "code": r.get("code", ""),
            "text": r.get("text", ""),
            "evidence_prompt": r.get("evidence_prompt", ""),
            "principles": [p.strip() for p in r.get("principles", "").split(",") if p.strip()],
        }
        core = r.get("core", "").lower()
        if core not in ("core", "additional", "true", "false", "yes", "no"):
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"core must be 'core' or 'additional', not {core!r}",
                    cell("questions", excel_row, "core"),
                )
            )
        q["core"] = core in ("core", "true", "yes")
        try:
            q["weight"] = float(r.get("weight", ""))
        except ValueError:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"weight {r.get('weight')!r} is not a number",
                    cell("questions", excel_row, "weight"),
                )
            )
            q["weight"] = 1.0
        q["guidance"] = {
            int(c.split("_", 1)[1]): r[c] for c in guidance_cols if r.get(c) and c.split("_", 1)[1].isdigit()
        }
        ai = area_index[area]
        qi = len(areas[area]["questions"])
        areas[area]["questions"].append(q)
        collect(r, f"areas[{ai}].questions[{qi}]", {"text": "text", "evidence_prompt": "evidence_prompt",
                                                     **{c: f"guidance.{c.split('_', 1)[1]}" for c in guidance_cols}})
        for k in Q_COLS + ["guidance"]:
            where[("areas", ai, "questions", qi, k)] = cell(
                "questions", excel_row, k if k != "guidance" else "guidance_*"
            )
    raw["areas"] = list(areas.values())
    default = raw.get("language") or "en"
    for path, langs in translated.items():
        loc = parse_path(path)
        try:
            _set(raw, loc, {default: _get(raw, loc), **langs})
        except (KeyError, IndexError):  # a translation of a text left empty: the empty text is reported below
            continue
    from .framework import _resolve_scale

    problems += [  # before the split: a bundled scale's texts may carry translations too
        Problem(str(path), None, p.message, "sheet framework, column value (scale)")
        for p in _resolve_scale(raw, path, None)
    ]
    raw, raw["translations"], _ = _split_translations(raw, default)
    for loc, msg in _cross_checks(raw):
        problems.append(Problem(str(path), None, msg, _nearest(where, loc)))
    fw = None
    try:
        fw = Framework.model_validate(raw)
    except PydanticError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            problems.append(Problem(str(path), None, err["msg"], _nearest(where, loc)))
    if problems:
        raise ValidationError(problems, f"{path} cannot be imported")
    return fw


def _get(data, loc: tuple):
    for key in loc:
        data = data[key]
    return data


def _nearest(where: dict[tuple, str], loc: tuple) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in where:
            return where[loc[:n]]
        if loc[:n] + ("code",) in where and n < len(loc):
            return where[loc[:n] + ("code",)].rsplit(", column", 1)[0] + f", column {loc[n]}"
    return "sheet framework"


def framework_yaml(fw: Framework) -> str:
    """The framework as YAML (scale by name when it is a bundled one)."""
    data = fw.to_data()
    data["scale"] = fw.scale.code
    translations = data.pop("translations")
    for area in data["areas"]:
        for q in area["questions"]:
            q["guidance"] = {int(k): v for k, v in q["guidance"].items()}
    by_path: dict[str, dict[str, str]] = {}
    for lang, texts in translations.items():
        for path, text in texts.items():
            by_path.setdefault(path, {})[lang] = text
    for path, langs in by_path.items():  # each translated text as {en: ..., cy: ...}, as it is written by hand
        loc = parse_path(path)
        if loc[0] != "scale":
            _set(data, loc, {fw.language: _get(data, loc), **langs})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
