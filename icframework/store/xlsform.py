"""Field collection: a round's framework as an XLSForm, and the submissions KoboToolbox or ODK Central export.

**Field names.** XLSForm names must be XML names, and the survey tools join group and field names in their
exports with a separator of the user's choice: KoboToolbox `/` by default (`.` or `-` on request), ODK Central
`-`. So the form uses names of lower-case letters, digits and underscores only, which survive every separator:
area `A3` is the group `a3`, question `A3.Q2` the field `a3_q2`, with `a3_q2_evidence`, `a3_q2_links` and
`a3_q2_comment` beside it. `question_code` maps a column back whatever its path (`a3/a3_q2`, `a3-a3_q2`,
`group_a3/a3_q2`, `A3/A3.Q2`). Hidden fields `icf_round`, `icf_city` and `icf_respondent` (the respondent's id, as
`icf respondents list` shows it) tie a submission to the store; their defaults can be set when the form is made.

**Import rules.** Nothing is written unless every row is good; every bad row is reported with its row, column and
reason. Each submission version (its instanceID) is imported once: importing the same file again changes nothing.
For each respondent the latest submission wins (by submission time, then ODK Central's edit count): an edited
submission replaces the earlier one, an older one never overwrites a newer one. A field left blank leaves what the
store has. Every answer is audited with its source (`import:xlsform:<file>#<submission id>`), and each imported
submission is recorded in the audit log (action `xlsform_submission`), which is how a second import knows it.
Text is stored as typed (an apostrophe a tool put before formula-like text is removed: cells.unguard); the
exports and renderers keep it inert (icframework.cells).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from ..cells import unguard
from ..errors import ICFError, NotFoundError, Problem, ValidationError
from ..files import atomic_write, read_xlsx
from ..model.framework import Framework, Question
from ..model.types import language_column
from .schema import audit_log
from .store import Respondent, Round, Store
from .transfer import xlsx_bytes

TEXT_FIELDS = ("evidence", "links", "comment")
HIDDEN = ("icf_round", "icf_city", "icf_respondent")
SUBMISSION_ACTION = "xlsform_submission"
MAX_TEXT = 20000  # as Store.save_answer: checked up front so that no save fails half-way through an import

_SEP = r"(?:^|[/.\-:])"
_QUESTION_COLUMN = re.compile(rf"(?i){_SEP}a(\d+)[._]q(\d+)(?:_(evidence|links|comment))?$")
_HIDDEN_COLUMN = re.compile(rf"(?i){_SEP}(icf_round|icf_city|icf_respondent)$")
_INSTANCE_COLUMN = re.compile(rf"(?i){_SEP}instanceID$")
_ROOT_COLUMN = re.compile(rf"(?i){_SEP}rootUuid$")
TIME_COLUMNS = ("_submission_time", "SubmissionDate")  # KoboToolbox, ODK Central


# -- names ------------------------------------------------------------------------------------------------------
def field_name(code: str) -> str:
    """The XLSForm name of a question or area code: A3.Q2 -> a3_q2, A3 -> a3."""
    return code.lower().replace(".", "_")


def question_code(column: str) -> tuple[str, str] | None:
    """(question code, part) for an export column such as `a3/a3_q2_evidence` -> ("A3.Q2", "evidence"); part is
    "value" for the answer itself. None for a column that is not a question's."""
    m = _QUESTION_COLUMN.search(column.strip())
    if not m:
        return None
    return f"A{int(m[1])}.Q{int(m[2])}", (m[3] or "value").lower()


# -- export -----------------------------------------------------------------------------------------------------
def xlsform_sheets(fw: Framework, rnd: Round, *, city: str | None = None,
                   respondent: Respondent | None = None) -> dict[str, pd.DataFrame]:
    """The survey, choices and settings sheets of the round's form: one group per area; per question the scale
    (each level with the question's own guidance) plus Don't know and Not applicable, then evidence, links and a
    comment; hidden fields for the round, the city and the respondent (with defaults when given). Labels in
    every language the framework has (`label::Welsh (cy)` beside `label::English (en)`)."""
    survey: list[dict] = [
        {"type": "hidden", "name": "icf_round", "default": rnd.id},
        {"type": "hidden", "name": "icf_city", "default": city or ""},
        {"type": "hidden", "name": "icf_respondent", "default": str(respondent.id) if respondent else ""},
    ]
    choices: list[dict] = []
    for area in fw.areas:
        survey.append({"type": "begin_group", "name": field_name(area.code)})
        for q in area.questions:
            name = field_name(q.code)
            survey += [{"type": f"select_one {name}_levels", "name": name},
                       {"type": "text", "name": f"{name}_evidence", "appearance": "multiline"},
                       {"type": "text", "name": f"{name}_links", "appearance": "multiline"},
                       {"type": "text", "name": f"{name}_comment", "appearance": "multiline"}]
            choices += [{"list_name": f"{name}_levels", "name": value} for value, _text in _choices(fw, q)]
        survey.append({"type": "end_group"})
    columns = ["type", "name"]
    for lang in fw.languages:  # the same rows, labelled in each language
        local = fw.localized(lang)
        label, hint = language_column("label", lang), language_column("hint", lang)
        columns += [label, hint]
        texts, options = _labels(local), [text for q in local.questions for _value, text in _choices(local, q)]
        for row, (text, help_text) in zip(survey[3:], texts, strict=True):
            row[label], row[hint] = text, help_text
        for choice, text in zip(choices, options, strict=True):
            choice[label] = text
    form_id = "-".join(["icf", rnd.id, *([city] if city else []), *([str(respondent.id)] if respondent else [])])
    settings = {"form_title": f"{fw.title}: {rnd.title}", "form_id": form_id, "version": fw.version,
                "default_language": language_column("", fw.language).removeprefix("::"),
                "instance_name": "concat(${icf_city}, ' ', ${icf_respondent}, ' ', ${icf_round})"}
    return {
        "survey": pd.DataFrame(survey, columns=[*columns, "appearance", "default"]).astype(object)
        .where(lambda d: d.notna(), None),
        "choices": pd.DataFrame(choices, columns=["list_name", "name",
                                                  *(language_column("label", lang) for lang in fw.languages)]),
        "settings": pd.DataFrame([settings]),
    }


def _labels(fw: Framework) -> list[tuple[str, str | None]]:
    """(label, hint) of every survey row after the hidden fields, in one language (the framework's texts; the
    few words of the form itself are English until the interface is translated)."""
    out: list[tuple[str, str | None]] = []
    for area in fw.areas:
        out.append((f"{area.code} {area.title}", area.description))
        for q in area.questions:
            out += [(f"{q.code} {q.text}", "Core question" if q.core else "Additional question"),
                    (q.evidence_prompt, None), ("Links (web addresses, one per line)", None), ("Comment", None)]
        out.append((None, None))  # end_group
    return out


def _choices(fw: Framework, q: Question) -> list[tuple[str, str]]:
    out = []
    for lv in fw.scale.levels:
        text = q.guidance.get(lv.value) or lv.description
        out.append((str(lv.value), f"{lv.value} {lv.label}: {text}"))
    out.append(("dont_know", fw.scale.dont_know.label))
    out.append(("na", fw.scale.not_applicable.label))
    return out


def export_xlsform(store: Store, round_id: str, path: Path, *, city: str | None = None,
                   respondent_id: int | None = None) -> Path:
    """Write the round's XLSForm to `path` (atomically); text cells are typed as text, never formulas."""
    rnd = store.get_round(round_id)
    respondent = None
    if respondent_id is not None:
        respondent = store.respondent(respondent_id)
        if respondent.round_id != round_id:
            raise ICFError(f"respondent {respondent_id} is in round {respondent.round_id!r}, not {round_id!r}")
        if city and city != respondent.city:
            raise ICFError(f"respondent {respondent_id} answers for {respondent.city}, not {city}")
        city = respondent.city
    atomic_write(Path(path), xlsx_bytes(xlsform_sheets(store.framework_for(round_id), rnd, city=city,
                                                       respondent=respondent)))
    return Path(path)


# -- reading submissions ----------------------------------------------------------------------------------------
def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV (comma, semicolon or tab separated; UTF-8) or XLSX (first sheet) export, every
    cell as text. Bytes that are not UTF-8 are reported by line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError([Problem(str(path), None, f"cannot read the file: {exc}")]) from None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, data)
    elif path.suffix.lower() in (".csv", ".txt", ".tsv"):
        rows = _csv_rows(path, data)
    else:
        raise ValidationError([Problem(str(path), None, "unknown file type: give the CSV or XLSX data export")])
    rows = [r for r in rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ValidationError([Problem(str(path), None, "the file has no submissions")])
    header = [h.strip() for h in rows[0]]
    return header, [r + [""] * (len(header) - len(r)) for r in rows[1:]]


def _csv_rows(path: Path, data: bytes) -> list[list[str]]:
    bad = []
    for n, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append(Problem(str(path), n, f"byte 0x{line[exc.start]:02x} at character {exc.start + 1} is not "
                               "UTF-8 text: export the data again, or save the file as CSV UTF-8", f"line {n}"))
    if bad:
        raise ValidationError(bad, f"{path}: nothing imported")
    text = data.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)  # KoboToolbox writes ';' by default, ODK Central ','
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ValidationError([Problem(str(path), None, f"cannot read CSV: {exc}")]) from None


def _xlsx_rows(path: Path, data: bytes) -> list[list[str]]:
    """The first sheet's rows, read within bounds (files.read_xlsx)."""
    sheets = read_xlsx(path, data=data)
    return next(iter(sheets.values()), [])


# -- import -----------------------------------------------------------------------------------------------------
@dataclass
class Submission:
    """One row of the export: who it is for, when it came in and its answers by question."""

    row: int
    submission_id: str
    instance_id: str
    time: dt.datetime
    edits: int
    respondent: Respondent
    answers: dict[str, dict] = field(default_factory=dict)  # code -> fields to save (blank fields left out)

    @property
    def order(self) -> tuple:
        return self.time, self.edits


@dataclass
class ImportReport:
    imported: list[Submission] = field(default_factory=list)
    answers: int = 0
    already: int = 0  # submissions imported before (this file again, or an overlapping export)
    repeats: int = 0  # the same submission twice in the file
    superseded: int = 0  # older than another submission of the same respondent

    def summary(self, path: Path) -> str:
        parts = [f"{len(self.imported)} submission(s) imported ({self.answers} answers) from {Path(path).name}"]
        for n, what in ((self.already, "imported before"), (self.repeats, "repeated in the file"),
                        (self.superseded, "replaced by a later submission of the same respondent")):
            if n:
                parts.append(f"{n} {what}")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class _Columns:
    questions: dict[int, tuple[str, str]]  # column index -> (question code, part)
    hidden: dict[str, int]
    instance: int | None
    root: int | None
    uuid: int | None
    key: int | None
    time: int | None
    edits: int | None

    @property
    def id(self) -> int:
        """The column named in problems with the submission id."""
        return next(i for i in (self.instance, self.uuid, self.key) if i is not None)


def _columns(header: list[str]) -> _Columns:
    def exact(*names):
        return next((i for i, h in enumerate(header) if h in names), None)

    def search(pattern):
        return next((i for i, h in enumerate(header) if pattern.search(h)), None)

    hidden = {}
    for i, h in enumerate(header):
        m = _HIDDEN_COLUMN.search(h)
        if m:
            hidden.setdefault(m[1].lower(), i)
    return _Columns({i: q for i, h in enumerate(header) if (q := question_code(h))}, hidden,
                    search(_INSTANCE_COLUMN), search(_ROOT_COLUMN), exact("_uuid"), exact("KEY"),
                    exact(*TIME_COLUMNS), exact("Edits"))


def _header_problems(path: Path, header: list[str], cols: _Columns) -> list[Problem]:
    out = []

    def missing(what: str, why: str):
        out.append(Problem(str(path), 1, f"no {what} column: {why}", "header"))

    if not cols.questions:
        missing("question", "export the data with XML values and headers (KoboToolbox) or as CSV (ODK Central) "
                "from the form `icf xlsform export` made")
    for name in HIDDEN:
        if name not in cols.hidden:
            missing(name, "the form that collected this data is not the one `icf xlsform export` made")
    if cols.instance is None and cols.uuid is None and cols.key is None:
        missing("submission id", "keep meta/instanceID, _uuid (KoboToolbox) or KEY (ODK Central) in the export")
    if cols.time is None:
        missing("submission time", "keep _submission_time (KoboToolbox) or SubmissionDate (ODK Central)")
    return out


def _parse_time(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)  # both tools export server time in UTC


def _strip_uuid(text: str) -> str:
    text = text.strip()
    return text[5:] if text.lower().startswith("uuid:") else text


class _Checker:
    """Checks rows against the round: its framework, the programme's cities and the round's respondents."""

    def __init__(self, store: Store, rnd: Round, fw: Framework, cities: set[str] | None):
        self.store, self.round, self.fw, self.cities = store, rnd, fw, cities
        self.by_id = {r.id: r for r in store.list_respondents(rnd.id)}
        self.by_label = {(r.city, r.label): r for r in self.by_id.values()}
        self.codes = {q.code for q in fw.questions}
        self.values = {str(lv.value): ("level", lv.value) for lv in fw.scale.levels}
        self.values |= {"dont_know": ("dont_know", None), "na": ("na", None)}
        labels = {lv.label.lower(): ("level", lv.value) for lv in fw.scale.levels}
        labels |= {fw.scale.dont_know.label.lower(): ("dont_know", None),
                   fw.scale.not_applicable.label.lower(): ("na", None)}
        self.labels = labels  # a KoboToolbox export made with labels instead of XML values

    def value(self, text: str) -> tuple[str, int | None] | None:
        return self.values.get(text) or self.labels.get(text.lower())

    def respondent(self, round_text: str, city: str, who: str) -> tuple[Respondent | None, list[tuple[str, str]]]:
        bad = []
        for name, text in (("icf_round", round_text), ("icf_city", city), ("icf_respondent", who)):
            if not text:
                bad.append((name, f"the hidden field {name} is empty: set it when exporting the form "
                                  "(icf xlsform export --city/--respondent) or in the form's link"))
        if round_text and round_text != self.round.id:
            bad.append(("icf_round", f"the submission is for round {round_text!r}, not {self.round.id!r}: "
                                     f"import it with --round {round_text}"))
        if city and self.cities is not None and city not in self.cities:
            bad.append(("icf_city", f"{city!r} is not a city of the round's programme "
                                    "(`icf cities list` shows them)"))
        if bad or not who:
            return None, bad
        r = self.by_id.get(int(who)) if who.isdigit() else self.by_label.get((city, who))
        if r is None and who.isdigit():
            try:
                other = self.store.respondent(int(who))
            except NotFoundError:
                other = None
            if other is not None:
                return None, [("icf_respondent", f"respondent {who} is in round {other.round_id!r}, not "
                                                 f"{self.round.id!r}")]
        if r is None:
            return None, [("icf_respondent", f"no respondent {who!r} for {city} in round {self.round.id!r}: "
                                             "add them with `icf respondents add` (its id goes in the form)")]
        if r.city != city:
            return None, [("icf_city", f"respondent {who} answers for {r.city}, but the submission says {city}")]
        if r.status == "revoked":
            return None, [("icf_respondent", f"respondent {r.id} ({r.label}) was revoked: "
                                             f"`icf respondents reopen {r.id}` to accept their answers")]
        return r, []


def parse_submissions(store: Store, round_id: str, path: Path, cities: set[str] | None = None
                      ) -> list[Submission]:
    """Read and check every row of an export; raise ValidationError listing every bad row, else the submissions
    in file order. Nothing is written."""
    path = Path(path)
    header, rows = read_table(path)
    cols = _columns(header)
    problems = _header_problems(path, header, cols)
    if problems:
        raise ValidationError(problems, f"{path}: nothing imported")
    check = _Checker(store, store.get_round(round_id), store.framework_for(round_id), cities)
    subs: list[Submission] = []
    seen: dict[tuple[str, str], Submission] = {}
    for n, cells in enumerate(rows, start=2):  # row 1 is the header
        sub, bad = _parse_row(n, [c.strip() for c in cells], header, cols, check)
        earlier = seen.get((sub.submission_id, sub.instance_id)) if sub else None
        if sub and earlier and (earlier.answers, earlier.respondent.id) != (sub.answers, sub.respondent.id):
            bad.append((header[cols.id], f"submission {sub.instance_id} appears again (row {earlier.row}) "
                                         "with other answers"))
        elif sub:
            seen.setdefault((sub.submission_id, sub.instance_id), sub)
            subs.append(sub)
        problems += [Problem(str(path), n, reason, f"row {n}, column {col}") for col, reason in bad]
    if problems:
        raise ValidationError(problems, f"{path}: nothing imported")
    return subs


def _parse_row(n: int, cells: list[str], header: list[str], cols: _Columns, check: _Checker
               ) -> tuple[Submission | None, list[tuple[str, str]]]:
    """One row as a submission, or the (column, reason) of everything wrong with it."""
    def cell(i: int | None) -> str:
        return cells[i] if i is not None else ""

    bad: list[tuple[str, str]] = []
    instance = _strip_uuid(cell(cols.instance) or cell(cols.uuid) or cell(cols.key))
    sub_id = _strip_uuid(cell(cols.key) or cell(cols.root) or cell(cols.uuid) or cell(cols.instance))
    if not instance:
        bad.append((header[cols.id], "the submission id is empty"))
    when = _parse_time(cell(cols.time))
    if when is None:
        bad.append((header[cols.time], f"{cell(cols.time)!r} is not a date and time"))
    respondent, who_bad = check.respondent(*(cell(cols.hidden[h]) for h in HIDDEN))
    bad += [(header[cols.hidden[name]], reason) for name, reason in who_bad]
    answers: dict[str, dict] = {}
    for i, (code, part) in cols.questions.items():
        text = unguard(cell(i))
        if not text:
            continue
        if code not in check.codes:
            bad.append((header[i], f"unknown question {code}: not in {check.fw.code} {check.fw.version}"))
        elif part == "value":
            found = check.value(text)
            if found is None:
                bad.append((header[i], f"{text!r} is not on the scale ({', '.join(check.values)})"))
                continue
            change = answers.setdefault(code, {})
            change["response"], level = found
            if level is not None:
                change["level"] = level
        elif len(text) > MAX_TEXT:
            bad.append((header[i], f"{part} is too long ({len(text)} characters; at most {MAX_TEXT})"))
        else:
            answers.setdefault(code, {})[part] = text
    if bad:
        return None, bad
    edits = cell(cols.edits)
    return Submission(n, sub_id, instance, when, int(edits) if edits.isdigit() else 0, respondent, answers), []


def imported_submissions(store: Store, round_id: str) -> list[dict]:
    """What earlier imports recorded for the round: respondent, submission id, instance id, time and edits."""
    q = sa.select(audit_log.c.respondent_id, audit_log.c.new).where(
        audit_log.c.action == SUBMISSION_ACTION, audit_log.c.round_id == round_id)
    with store.engine.connect() as conn:
        return [json.loads(new) | {"respondent": rid} for rid, new in conn.execute(q)]


def import_submissions(store: Store, round_id: str, path: Path, cities: set[str] | None = None
                       ) -> ImportReport:
    """Import a KoboToolbox or ODK Central data export (CSV or XLSX) into the round: all or nothing (see the module
    docstring for the rules). `cities`: the programme's city slugs (None: any city)."""
    path = Path(path)
    rnd = store.get_round(round_id)
    if rnd.closed:
        raise ICFError(f"round {round_id!r} is closed: reopen it (`icf rounds reopen {round_id}`) to import answers")
    subs = parse_submissions(store, round_id, path, cities)
    report = ImportReport()
    done = imported_submissions(store, round_id)
    known = {(d["submission"], d["instance"]) for d in done}
    latest: dict[int, tuple] = {}
    for d in done:
        order = (dt.datetime.fromisoformat(d["time"]), d.get("edits", 0))
        latest[d["respondent"]] = max(latest.get(d["respondent"], order), order)
    winners: dict[int, Submission] = {}
    seen: set[tuple[str, str]] = set()
    for sub in subs:
        key = (sub.submission_id, sub.instance_id)
        if key in known:
            report.already += 1
            continue
        if key in seen:
            report.repeats += 1
            continue
        seen.add(key)
        rid = sub.respondent.id
        best = winners.get(rid)
        if (rid in latest and sub.order < latest[rid]) or (best is not None and sub.order < best.order):
            report.superseded += 1
            continue
        if best is not None:
            report.superseded += 1
        winners[rid] = sub  # ties: the later row, and this file over earlier imports
    for sub in winners.values():
        actor = f"import:xlsform:{path.name}#{sub.submission_id}"
        for code, change in sub.answers.items():
            store.save_answer(sub.respondent, code, actor=actor, **change)
            report.answers += 1
        record = {"submission": sub.submission_id, "instance": sub.instance_id, "time": sub.time.isoformat(),
                  "edits": sub.edits, "file": path.name, "row": sub.row}
        with store.engine.begin() as conn:
            store._audit(conn, actor, SUBMISSION_ACTION, respondent_id=sub.respondent.id, city=sub.respondent.city,
                         round_id=round_id, field="submission", new=json.dumps(record))
        report.imported.append(sub)
    return report
