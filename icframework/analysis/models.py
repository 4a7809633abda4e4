"""The reports a brief is made from, as typed models: `CityReport` (diagnostics.json) and `ConveningReport`
(convening.json).

These models are the source of truth for the shape of both files: docs/diagnostics-json.md describes them in words
and docs/city-report.schema.json / docs/convening-report.schema.json are generated from them (`json_schemas`,
docs/make_schema.py). `icframework.analysis.reports` builds them, `icframework.analysis.exchange` adds the
knowledge-exchange parts (the optional fields, None until then), and `icframework.render` prints them.

Reading a report (`load_report`, `report_from_data`) checks its schema version first, then every field; writing
one (`dump_json`, `write_json`) gives the same JSON as before these models existed: the optional parts are left
out while they are None. Nothing heavy is imported here (no pandas, numpy or SQLAlchemy), so rendering a brief
stays light.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator
from pydantic import ValidationError as PydanticError

from ..errors import ICFError, NotFoundError, Problem, ValidationError

FEW_PEOPLE = 5  # a change resting on fewer people than this in either round is marked "few people answered"
SCHEMA = 1  # the version of diagnostics.json and convening.json; raise it when their shape changes

Direction = Literal["up", "down", "same", "new"]


class ReportError(ICFError):
    """A report file cannot be used: not JSON, written by another version, or not in the expected shape."""


class SchemaVersionError(ReportError):
    """The report was written with another schema version than this icframework reads."""


class InvalidReportError(ReportError, ValidationError):
    """The report does not have the expected shape; `problems` names every field that is wrong."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# -- parts shared by both reports -------------------------------------------------------------------------------

class RoundInfo(_Model):
    """The round the report is about, with its convening (if any)."""

    id: str
    title: str | None
    convening: str | None
    convening_title: str | None
    convening_when: str | None


class Labels(_Model):
    """What the framework calls its principles and areas ("Core principle", "Area of action")."""

    principle: str
    area: str


class ScaleLevel(_Model):
    value: int
    label: str


class TierInfo(_Model):
    """One stage of the overall score: from `min` (0-100) up to the next stage's `min`."""

    min: float
    label: str
    description: str


class FrameworkTexts(_Model):
    """The framework's texts in another language (what a brief in that language shows): codes and numbers are
    those of the report, only the words differ."""

    title: str
    labels: Labels
    scale: list[ScaleLevel]
    dont_know: str
    not_applicable: str
    tiers: list[TierInfo] = Field(default_factory=list)
    titles: dict[str, str] = Field(default_factory=dict, description="principle and area code -> title, "
                                                                     "question code -> question text")


class FrameworkInfo(_Model):
    """The framework the round used."""

    code: str
    title: str
    version: str
    labels: Labels
    scale: list[ScaleLevel]
    dont_know: str
    not_applicable: str
    thin_threshold: int = Field(description="a score from fewer scored answers than this is thin")
    tiers: list[TierInfo] = Field(default_factory=list, description="the stages of the overall score, lowest "
                                                                    "first (empty in reports made before 1.1)")
    translations: dict[str, FrameworkTexts] = Field(default_factory=dict, description="the same texts in each "
                                                    "other language the framework has, by language code")


class Overall(_Model):
    """The overall score (0-100, null when nothing can be scored) and its tier."""

    score: float | None
    n: int
    thin: bool
    tier: str | None
    tier_description: str | None


# -- the city report ----------------------------------------------------------------------------------------------

class CityInfo(_Model):
    slug: str
    name: str
    local_name: str | None
    nation: str | None
    phase: int | None
    languages: list[str] = Field(default_factory=list, description="the languages of the city's briefs, the "
                                 "main one first (empty: the programme's)")


class Counts(_Model):
    """`answers` counts answers with a response; `unanswered` is respondents x questions - answers."""

    respondents: int
    answers: int
    scored: int
    dont_know: int
    na: int
    unanswered: int
    questions: int


class ScoreRow(_Model):
    """The score of one area or principle, with the change since the city's previous round."""

    code: str
    title: str
    score: float | None
    n: int
    thin: bool
    dont_know: int
    previous: float | None
    change: float | None
    direction: Direction | None = Field(description="up | down | same (within 2 points) | new (no previous "
                                                    "score) | null (no score this round)")
    people: int | None = Field(None, description="how many people gave a level behind the score")
    previous_n: int | None = Field(None, description="scored answers behind the previous score")
    previous_people: int | None = Field(None, description="people behind the previous score")
    few_people: bool = Field(False, description="the change rests on few answers: this or the previous score "
                                                "comes from fewer than FEW_PEOPLE people or is thin")


class MatrixCell(_Model):
    """One principle x area cell; `questions`: how many of the area's questions link to the principle."""

    principle: str
    area: str
    questions: int
    score: float | None
    n: int
    thin: bool


class QuestionScore(_Model):
    code: str
    area: str
    text: str
    core: bool
    weight: float
    principles: list[str]
    score: float | None
    n: int
    thin: bool
    dont_know: int
    na: int
    spread: float | None = Field(description="population standard deviation of the levels; null under 2 levels")
    levels: list[int]


class Quote(_Model):
    """A taskforce member's evidence note, quoted as written (shortened when long), attributed only by sector."""

    area: str
    question: str
    sector: str
    text: str
    date: str | None = Field(None, description="YYYY-MM-DD, when the answer was last saved")


class PeopleChange(_Model):
    """Who answered this round and the previous one, compared by respondent label and sector."""

    both: int = Field(description="people who answered in both rounds")
    only_now: int = Field(description="people who answered this round only")
    only_before: int = Field(description="people who answered the previous round only")
    different: bool = Field(description="true unless the same people answered both rounds")


class Disagreement(_Model):
    code: str
    text: str
    spread: float
    levels: list[int]
    n: int


class Sectors(_Model):
    """Who answered, per taskforce sector: answers and respondents; expected sectors missing or thin."""

    expected: list[str]
    answered: dict[str, int]
    respondents: dict[str, int]
    missing: list[str]
    thin: list[str]


class EvidenceArea(_Model):
    code: str
    share: float | None
    n: int


class Evidence(_Model):
    """The share (0-1) of scored answers that came with evidence, overall and per area."""

    share: float | None
    n: int
    areas: list[EvidenceArea]


class Highlight(_Model):
    """A strength or a gap: an area or a question (whose `title` is its text)."""

    kind: Literal["area", "principle", "question"]
    code: str
    title: str
    score: float
    n: int


class Core(_Model):
    """Share of core questions whose score reaches `threshold`; unscored core questions count as not met."""

    level: int
    threshold: float
    share: float | None
    n_core: int
    n_met: int
    n_scored: int


class PracticeSuggestion(_Model):
    """A good practice that fits the city's weakest areas and principles (icframework.model.practices)."""

    id: str
    city: str
    country: str
    title: str
    description: str
    areas: list[str]
    principles: list[str]
    themes: list[str]
    source: str
    link: str | None
    matched: list[str]
    why: str


class Pair(_Model):
    """One learning pair of the round's plan (icframework.analysis.matching)."""

    area: str
    area_title: str
    mentor: str
    mentor_name: str
    learner: str
    learner_name: str
    mentor_score: float
    learner_score: float
    mentor_n: int
    learner_n: int
    potential: float
    why: str


class Peer(Pair):
    """A pair the city is in, and its role in it."""

    role: Literal["learner", "mentor"]


class ActionItem(_Model):
    id: str
    title: str
    areas: list[str]
    principles: list[str]
    owner: str | None
    start: str | None
    due: str | None
    status: str
    state: Literal["done", "on_track", "overdue", "dropped", "undated"]
    days_overdue: int | None
    flags: list[str]
    note: str | None


class ActionsProgress(_Model):
    """Progress of the city's action plan (cities/<slug>/actions.yaml) on `reference` (YYYY-MM-DD)."""

    reference: str
    synthetic: bool
    notice: str | None
    done: int
    on_track: int
    overdue: int
    dropped: int
    undated: int
    flagged: int
    total: int
    items: list[ActionItem]


class _Report(_Model):
    model_config = ConfigDict(populate_by_name=True)

    OPTIONAL: ClassVar[tuple[str, ...]] = ()  # the knowledge-exchange parts: left out of the JSON while None
    KEPT_WITH: ClassVar[dict[str, str]] = {}  # ... unless this other part is there (peers_notice: null, peers)

    @model_validator(mode="before")
    @classmethod
    def _check_schema(cls, data: Any) -> Any:
        if isinstance(data, dict) and "schema_version" not in data:
            check_schema(data.get("schema"), "this report")
        return data

    @model_serializer(mode="wrap")
    def _serialize(self, handler) -> dict[str, Any]:
        data = handler(self)
        if "schema_version" in data:  # the field is `schema_version` in Python, `schema` in the file
            data = {"schema": data.pop("schema_version"), **data}
        for key in self.OPTIONAL:
            partner = self.KEPT_WITH.get(key)
            if data.get(key) is None and not (partner and data.get(partner) is not None):
                data.pop(key, None)
        return data


class CityReport(_Report):
    """One city in one round: diagnostics.json."""

    schema_version: Literal[1] = Field(alias="schema", description="the version of this format")
    synthetic: bool
    notice: str | None = Field(description="the synthetic-data notice; null when the data is real")
    generated_at: str
    city: CityInfo
    round: RoundInfo
    previous_round: str | None
    previous_round_title: str | None = None  # what people read (the id is for programs)
    people_change: PeopleChange | None = Field(None, description="null without a previous round")
    framework: FrameworkInfo
    counts: Counts
    overall: Overall
    areas: list[ScoreRow]
    principles: list[ScoreRow]
    matrix: list[MatrixCell]
    questions: list[QuestionScore]
    disagreements: list[Disagreement]
    sectors: Sectors
    evidence: Evidence
    strengths: list[Highlight]
    gaps: list[Highlight]
    core: Core
    quotes: list[Quote] | None = Field(None, description="a few evidence notes per area, newest first; absent "
                                                         "from reports made before 1.1")
    # added by icframework.analysis.exchange.enrich_report; absent from the file while None
    practices: list[PracticeSuggestion] | None = None
    peers: list[Peer] | None = None
    peers_notice: str | None = Field(None, description="why the city learns from no one (with `peers` only)")
    actions: ActionsProgress | None = Field(None, description="absent when the city has no action plan")

    OPTIONAL: ClassVar[tuple[str, ...]] = ("quotes", "practices", "peers", "peers_notice", "actions")
    KEPT_WITH: ClassVar[dict[str, str]] = {"peers_notice": "peers"}


class ConveningCity(_Model):
    slug: str
    name: str
    nation: str | None
    phase: int | None
    previous_round: str | None
    previous_round_title: str | None = None  # what people read (the id is for programs)
    people_change: PeopleChange | None = None
    respondents: int
    answers: int
    overall: Overall


class AreaTitle(_Model):
    code: str
    title: str


class HeatCell(_Model):
    """One city x area cell of the convening heatmap."""

    city: str
    area: str
    score: float | None
    n: int
    thin: bool
    previous: float | None
    change: float | None
    direction: Direction | None
    people: int | None = None
    previous_n: int | None = None
    previous_people: int | None = None
    few_people: bool = False


class StrongCity(_Model):
    city: str
    score: float
    n: int


class Strongest(_Model):
    """Per area, the cities with the highest non-thin score, best first."""

    area: str
    title: str
    cities: list[StrongCity]


class CommonGap(_Model):
    """An area below the city's own overall score in more than half of the cities with a non-thin score."""

    area: str
    title: str
    low_in: int
    of: int
    share: float
    mean: float
    cities: list[str]


class MatchParams(_Model):
    k: int
    learns: int
    min_gap: float
    focus: int
    min_group: int


class Unmatched(_Model):
    city: str
    name: str | None = None
    reason: str


class PairsPlan(_Model):
    """The round's peer-learning plan; below the minimum group size it is empty and `notice` says why."""

    params: MatchParams
    method: str
    cities: int
    learners: int
    total_potential: float
    pairs: list[Pair]
    unmatched: list[Unmatched]
    notice: str | None


class ConveningReport(_Report):
    """The cities of one round side by side: convening.json."""

    schema_version: Literal[1] = Field(alias="schema", description="the version of this format")
    synthetic: bool
    notice: str | None = Field(description="the synthetic-data notice; null when the data is real")
    generated_at: str
    round: RoundInfo
    framework: FrameworkInfo
    areas: list[AreaTitle]
    cities: list[ConveningCity]
    heatmap: list[HeatCell]
    strongest: list[Strongest]
    common_gaps: list[CommonGap]
    # added by icframework.analysis.exchange.enrich_convening; absent from the file while None
    pairs: PairsPlan | None = None
    practices: list[PracticeSuggestion] | None = Field(None, description="practices for the common gaps, up to 2 "
                                                                         "per gap; `matched` names the gap")

    OPTIONAL: ClassVar[tuple[str, ...]] = ("pairs", "practices")


Report = CityReport | ConveningReport


# -- reading and writing ------------------------------------------------------------------------------------------

def check_schema(version: Any, source: str = "this report") -> None:
    """Raise SchemaVersionError unless `version` is the schema version this icframework reads."""
    if version == SCHEMA:
        return
    found = "has no schema version" if version is None else f"has schema version {version!r}"
    raise SchemaVersionError(f"{source} {found}, but this version of icframework reads schema {SCHEMA}: run the "
                             "workbook again with this version of icframework to rewrite it")


def is_convening_data(data: dict) -> bool:
    """True for the JSON of a convening report (cities side by side), false for a city report."""
    return "cities" in data and "city" not in data


def report_from_data(data: Any, source: str = "the report") -> CityReport | ConveningReport:
    """A city or convening report from its JSON data, validated: SchemaVersionError for another schema version,
    InvalidReportError naming every field that is missing or wrong."""
    if not isinstance(data, dict):
        raise ReportError(f"{source} is not a report (a JSON object): run the workbook again to rewrite it")
    check_schema(data.get("schema"), source)
    model = ConveningReport if is_convening_data(data) else CityReport
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        problems = [Problem(source, None, err["msg"], _where(err["loc"])) for err in exc.errors()]
        kind = "convening" if model is ConveningReport else "city"
        raise InvalidReportError(problems, f"{source} is not a valid {kind} report (schema {SCHEMA}); run the "
                                           "workbook again with this version of icframework to rewrite it") from None


def load_report(path: str | Path) -> CityReport | ConveningReport:
    """Read diagnostics.json or convening.json: NotFoundError when it is missing, ReportError when it is not JSON,
    SchemaVersionError or InvalidReportError when it is not a report this version can use."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"no report at {path}: run the workbook first (icf run, or icf brief CITY)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path} is not valid JSON ({exc}): run the workbook again to rewrite it") from None
    return report_from_data(data, str(path))


def to_data(report: CityReport | ConveningReport) -> dict:
    """The report as plain JSON data, in the shape of the file."""
    return report.model_dump(mode="json")


def dump_json(report: CityReport | ConveningReport) -> bytes:
    """The report as UTF-8 JSON, the way diagnostics.json and convening.json are written (never NaN)."""
    return json.dumps(to_data(report), ensure_ascii=False, indent=1, allow_nan=False).encode()


def write_json(report: CityReport | ConveningReport, path: str | Path) -> Path:
    """Write a report as UTF-8 JSON, atomically."""
    from ..files import atomic_write

    if not isinstance(report, CityReport | ConveningReport):
        raise TypeError(f"write_json takes a CityReport or ConveningReport, not {type(report).__name__}")
    return atomic_write(Path(path), dump_json(report))


REPORT_MIME = "application/vnd.icframework.report+json"


class Embedded:
    """A report shown as a notebook output: the executed workbook then carries its report (under REPORT_MIME),
    so `jupyter nbconvert --to icf-pdf|icf-html` works on any executed copy, wherever it is saved. People see
    only the plain-text line."""

    def __init__(self, report: CityReport | ConveningReport):
        self.report = report

    def _repr_mimebundle_(self, include=None, exclude=None):
        what = (f"{self.report.city.name}, {self.report.round.title or self.report.round.id}"
                if isinstance(self.report, CityReport) else self.report.round.title or self.report.round.id)
        return {REPORT_MIME: to_data(self.report),
                "text/plain": f"The report behind this notebook ({what}) is stored in it for its brief: "
                              "jupyter nbconvert --to icf-pdf (or icf-html) THIS_NOTEBOOK.ipynb"}


def embedded(nb) -> CityReport | ConveningReport | None:
    """The report an executed workbook carries in its outputs (the last one, if several), or None."""
    found = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if REPORT_MIME in (out.get("data") or {}):
                found = out["data"][REPORT_MIME]
    return None if found is None else report_from_data(dict(found), "the report stored in the notebook")


def frame(items, columns: list[str] | None = None):
    """A pandas DataFrame of a list of models (e.g. `frame(report.areas)`), one column per field (imports
    pandas: for workbooks)."""
    import pandas as pd

    return pd.DataFrame([item.model_dump(mode="json") for item in items], columns=columns)


def json_schemas() -> dict[str, dict]:
    """The JSON Schemas of both reports, by file name under docs/ (written by docs/make_schema.py)."""
    out = {}
    for name, model in (("city-report.schema.json", CityReport), ("convening-report.schema.json", ConveningReport)):
        schema = model.model_json_schema(by_alias=True)
        out[name] = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return out


def schema_text(schema: dict) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(the whole report)"


__all__ = ["FEW_PEOPLE", "SCHEMA", "ActionItem", "ActionsProgress", "CityReport", "ConveningReport",
           "InvalidReportError", "PairsPlan", "Peer", "PeopleChange", "PracticeSuggestion", "Quote", "Report",
           "ReportError", "SchemaVersionError", "check_schema", "dump_json", "frame", "json_schemas", "load_report",
           "report_from_data", "to_data", "write_json"]
