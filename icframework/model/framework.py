"""Frameworks as validated data: principles, areas of action, questions and the scale.

A framework is a YAML file (see `data/frameworks/` and the README). `load_framework` returns an immutable
`Framework`; `validate_path` reports every problem of a file or folder in one go, each with its line.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator
from pydantic import ValidationError as PydanticError

from ..config import data_dir
from ..errors import NotFoundError, Problem, ValidationError
from .types import Slug, Text, is_slug
from .yamlio import Lines, dotted, load_data, pydantic_problems

DATA = data_dir()
BUNDLED = DATA / "frameworks"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Level(_Frozen):
    value: int = Field(ge=0, le=10)
    label: Text
    description: Text


class Special(_Frozen):
    label: Text
    description: Text


class Scale(_Frozen):
    """An ordered maturity scale plus "don't know" and "not applicable" (never scored as zero)."""

    code: Slug
    levels: tuple[Level, ...] = Field(min_length=2)
    dont_know: Special
    not_applicable: Special

    @model_validator(mode="after")
    def _ordered(self):
        values = [lv.value for lv in self.levels]
        if values != list(range(len(values))):
            raise ValueError(f"scale levels must be 0, 1, 2, ... in order; got {values}")
        return self

    @property
    def max_level(self) -> int:
        return self.levels[-1].value

    def label(self, value: int) -> str:
        return self.levels[value].label


class Tier(_Frozen):
    min: float = Field(ge=0, le=100)
    label: Text
    description: Text


class Principle(_Frozen):
    code: Annotated[str, StringConstraints(pattern=r"^P\d+$")]
    title: Text
    description: Text


class Question(_Frozen):
    code: Annotated[str, StringConstraints(pattern=r"^A\d+\.Q\d+$")]
    text: Text
    guidance: dict[int, Text] = Field(min_length=1)
    evidence_prompt: Text
    core: bool
    weight: float = Field(gt=0, le=10)
    principles: tuple[Annotated[str, StringConstraints(pattern=r"^P\d+$")], ...] = Field(min_length=1)

    @property
    def area(self) -> str:
        return self.code.split(".")[0]


class Area(_Frozen):
    code: Annotated[str, StringConstraints(pattern=r"^A\d+$")]
    title: Text
    description: Text
    questions: tuple[Question, ...] = Field(min_length=1)


class Labels(_Frozen):
    principle: Text = "Principle"
    area: Text = "Area of action"


class Framework(_Frozen):
    """A validated framework. Codes are stable; titles may change between versions."""

    code: Slug
    title: Text
    version: Text
    language: Text = "en"
    source: Text
    description: Text
    labels: Labels = Labels()
    scale: Scale
    thin_threshold: int = Field(default=3, ge=1)
    tiers: tuple[Tier, ...] = Field(min_length=1)
    principles: tuple[Principle, ...] = Field(min_length=1)
    areas: tuple[Area, ...] = Field(min_length=1)
    # Other languages' texts by path ("areas[0].questions[2].text"), from `{en: ..., cy: ...}` values in the file.
    translations: dict[str, dict[str, str]] = Field(default_factory=dict)
    _localized: dict = PrivateAttr(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        """Equal fields (the cache of localized copies is not part of what a framework is)."""
        return isinstance(other, Framework) and self.__dict__ == other.__dict__

    @property
    def languages(self) -> list[str]:
        """The framework's own language first, then those it has translations for."""
        own = {lang for lang, texts in self.translations.items() if any(not p.startswith("scale") for p in texts)}
        return [self.language, *sorted(own - {self.language})]  # a shared scale's words alone are not enough

    def localized(self, lang: str) -> Framework:
        """The framework in `lang`: every text that has a translation in it replaced (others stay in the
        framework's own language). Codes, weights and structure are the same, so answers are stored once."""
        if lang == self.language or lang not in self.translations:
            return self
        if lang not in self._localized:
            data = self.model_dump(exclude={"translations"})
            for path, text in self.translations[lang].items():
                _set(data, parse_path(path), text)
            self._localized[lang] = Framework.model_validate({**data, "language": lang})
        return self._localized[lang]

    def missing_translations(self, lang: str) -> list[str]:
        """The paths of the texts that have no translation in `lang`."""
        have = self.translations.get(lang, {})
        return [path for path in text_paths(self) if path not in have] if lang != self.language else []

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for a in self.areas for q in a.questions)

    def question(self, code: str) -> Question:
        for q in self.questions:
            if q.code == code:
                return q
        raise NotFoundError(f"question {code!r} is not in framework {self.code} {self.version}")

    def area(self, code: str) -> Area:
        for a in self.areas:
            if a.code == code:
                return a
        raise NotFoundError(f"area {code!r} is not in framework {self.code}")

    def principle(self, code: str) -> Principle:
        for p in self.principles:
            if p.code == code:
                return p
        raise NotFoundError(f"principle {code!r} is not in framework {self.code}")

    def tier(self, score: float) -> Tier:
        """The highest tier whose `min` the score reaches."""
        return [t for t in self.tiers if score >= t.min][-1]

    def to_data(self) -> dict:
        """Plain data (for JSON, spreadsheets and templates)."""
        return self.model_dump(mode="json")


# -- translations -----------------------------------------------------------------------------------------------
LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")  # en, cy, ga, pt-BR: BCP 47 language tags


def text_paths(fw: Framework) -> list[str]:
    """Every text of a framework people read, as paths: what a translation covers."""
    paths = ["title", "description", "labels.principle", "labels.area"]
    scale = fw.scale
    paths += [f"scale.levels[{i}].{f}" for i in range(len(scale.levels)) for f in ("label", "description")]
    paths += [f"scale.{s}.{f}" for s in ("dont_know", "not_applicable") for f in ("label", "description")]
    paths += [f"tiers[{i}].{f}" for i in range(len(fw.tiers)) for f in ("label", "description")]
    paths += [f"principles[{i}].{f}" for i in range(len(fw.principles)) for f in ("title", "description")]
    for ai, area in enumerate(fw.areas):
        paths += [f"areas[{ai}].title", f"areas[{ai}].description"]
        for qi, q in enumerate(area.questions):
            base = f"areas[{ai}].questions[{qi}]"
            paths += [f"{base}.text", f"{base}.evidence_prompt", *(f"{base}.guidance.{k}" for k in q.guidance)]
    return paths


def parse_path(path: str) -> tuple:
    """'areas[0].questions[2].guidance.3' -> ('areas', 0, 'questions', 2, 'guidance', 3)."""
    out: list = []
    for part in re.findall(r"[^.\[\]]+", path):
        out.append(int(part) if part.isdigit() else part)
    return tuple(out)


def _set(data, loc: tuple, value) -> None:
    for key in loc[:-1]:
        data = data[key]
    data[loc[-1]] = value


def _split_translations(node, default: str, loc: tuple = ()) -> tuple[object, dict, list]:
    """`node` with every `{lang: text}` mapping replaced by its `default`-language text; the other languages'
    texts by language and path; and the paths of mappings that lack the default language."""
    found: dict[str, dict[str, str]] = {}
    missing: list[tuple] = []
    if isinstance(node, dict) and node and all(isinstance(k, str) and LANG_RE.match(k) for k in node) \
            and all(isinstance(v, str) for v in node.values()):
        for lang, text in node.items():
            if lang != default:
                found.setdefault(lang, {})[_path(loc)] = text
        if default not in node:
            missing.append(loc)
        return node.get(default), found, missing
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return node, found, missing
    out = {} if isinstance(node, dict) else [None] * len(node)
    for key, value in items:
        out[key], sub, gaps = _split_translations(value, default, (*loc, key))
        for lang, texts in sub.items():
            found.setdefault(lang, {}).update(texts)
        missing += gaps
    return out, found, missing


def _path(loc: tuple) -> str:
    """('areas', 0, 'questions', 2, 'guidance', 3) -> 'areas[0].questions[2].guidance.3' (guidance keys are
    levels, written as plain keys)."""
    out = ""
    for i, key in enumerate(loc):
        if isinstance(key, int) and not (i and loc[i - 1] == "guidance"):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else str(key)
    return out


def _cross_checks(raw: dict) -> list[tuple[tuple, str]]:
    """Problems pydantic cannot see: duplicates, unknown references, numbering, scale guidance."""
    out: list[tuple[tuple, str]] = []
    principles = raw.get("principles") or []
    areas = raw.get("areas") or []
    p_codes = [p.get("code") for p in principles if isinstance(p, dict)]
    for code, n in Counter(p_codes).items():
        if n > 1:
            i = [j for j, c in enumerate(p_codes) if c == code][1]
            out.append((("principles", i, "code"), f"duplicate principle code {code!r}"))
    a_codes = [a.get("code") for a in areas if isinstance(a, dict)]
    for code, n in Counter(a_codes).items():
        if n > 1:
            i = [j for j, c in enumerate(a_codes) if c == code][1]
            out.append((("areas", i, "code"), f"duplicate area code {code!r}"))
    seen: set[str] = set()
    for ai, area in enumerate(areas):
        if not isinstance(area, dict):
            continue
        for qi, q in enumerate(area.get("questions") or []):
            if not isinstance(q, dict):
                continue
            loc = ("areas", ai, "questions", qi)
            code = q.get("code")
            if isinstance(code, str):
                if code in seen:
                    out.append((loc + ("code",), f"duplicate question code {code!r}"))
                seen.add(code)
                if area.get("code") and not code.startswith(f"{area.get('code')}."):
                    out.append(
                        (
                            loc + ("code",),
                            f"question {code!r} must start with its area code {area.get('code')}.",
                        )
                    )
            for pi, p in enumerate(q.get("principles") or []):
                if isinstance(p, str) and p not in p_codes:
                    out.append(
                        (
                            loc + ("principles", pi),
                            f"unknown principle {p!r}; known: {', '.join(map(str, p_codes))}",
                        )
                    )
    tiers = raw.get("tiers") or []
    mins = [t.get("min") for t in tiers if isinstance(t, dict)]
    if mins and all(isinstance(m, int | float) for m in mins):
        if mins[0] != 0:
            out.append((("tiers", 0, "min"), "the first tier must start at min 0"))
        if mins != sorted(mins) or len(set(mins)) != len(mins):
            out.append((("tiers",), f"tier minimums must be strictly ascending; got {mins}"))
    return out


def _resolve_scale(raw: dict, path: Path, line: Lines) -> list[Problem]:
    """Replace `scale: NAME` by the bundled scale NAME; inline scales stay as they are."""
    scale = raw.get("scale")
    if isinstance(scale, str):
        scale_file = DATA / "scales" / f"{scale}.yaml"
        if not is_slug(scale) or not scale_file.exists():
            known = ", ".join(sorted(p.stem for p in (DATA / "scales").glob("*.yaml")))
            return [
                Problem(
                    str(path), line(("scale",)), f"unknown scale {scale!r}; bundled: {known}", "scale"
                )
            ]
        raw["scale"] = load_data(scale_file)
    return []


def _guidance_problems(raw: dict, path: Path, line: Lines) -> list[Problem]:
    scale = raw.get("scale")
    if not isinstance(scale, dict):
        return []
    levels = {lv.get("value") for lv in scale.get("levels") or [] if isinstance(lv, dict)}
    out = []
    for ai, area in enumerate(raw.get("areas") or []):
        for qi, q in enumerate((area or {}).get("questions") or [] if isinstance(area, dict) else []):
            g = q.get("guidance") if isinstance(q, dict) else None
            if isinstance(g, dict):
                bad = [k for k in g if k not in levels]
                if bad:
                    loc = ("areas", ai, "questions", qi, "guidance")
                    out.append(
                        Problem(
                            str(path),
                            line(loc),
                            f"guidance for levels {bad} not on the scale {sorted(levels)}",
                            dotted(loc),
                        )
                    )
    return out


def parse_framework(path: Path, data: bytes | None = None) -> Framework:
    """Load and validate one framework file (or its text `data`, named `path`); raise ValidationError listing every
    problem."""
    path = Path(path)
    raw, line = load_data(path, data), Lines(path, data)
    if not isinstance(raw, dict):
        raise ValidationError(
            [Problem(str(path), 1, "a framework file must be a mapping (code:, title:, ...)")]
        )
    problems = _resolve_scale(raw, path, line)
    scale_failed = bool(problems)
    default = raw.get("language") if isinstance(raw.get("language"), str) else "en"
    raw, translations, untranslated = _split_translations(raw, default)
    raw["translations"] = translations
    problems += [Problem(str(path), line(loc), f"no text in the framework's own language ({default}): "
                         "give it beside the translations", dotted(loc)) for loc in untranslated]
    problems += _guidance_problems(raw, path, line)
    problems += [Problem(str(path), line(loc), msg, dotted(loc)) for loc, msg in _cross_checks(raw)]
    framework = None
    try:
        framework = Framework.model_validate(raw)
    except PydanticError as exc:
        found = pydantic_problems(path, line, exc)
        problems += [p for p in found if not (scale_failed and p.where.startswith("scale"))]
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.message))
        raise ValidationError(problems, f"{path} is not a valid framework")
    return framework


def framework_files(path: Path) -> list[Path]:
    """A YAML file, or every *.yaml / *.yml file in a folder (sorted)."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    if not path.exists():
        raise NotFoundError(f"{path} does not exist: give a framework YAML file or a folder of them")
    return [path]


def validate_path(path: Path) -> list[Problem]:
    """Every problem in a framework file or folder (empty list when all is valid)."""
    problems: list[Problem] = []
    files = framework_files(path)
    if not files:
        return [Problem(str(path), None, "no .yaml files in this folder")]
    for f in files:
        try:
            parse_framework(f)
        except ValidationError as exc:
            problems += exc.problems
    return problems


def translation_problems(path: Path, lang: str) -> list[Problem]:
    """Every text of a framework file (and of the bundled scale it names) without a translation in `lang`, each
    with its file and line."""
    path = Path(path)
    fw = parse_framework(path)
    scale = load_data(path).get("scale")
    scale_file = DATA / "scales" / f"{scale}.yaml" if isinstance(scale, str) else None
    lines, scale_lines = Lines(path), Lines(scale_file) if scale_file else None
    problems = []
    for text in fw.missing_translations(lang):
        loc = parse_path(text)
        if scale_lines and loc[0] == "scale":
            where, line = scale_file, scale_lines(loc[1:])
        else:
            where, line = path, lines(loc)
        problems.append(Problem(str(where), line, f"no {lang} translation", text))
    return problems


def bundled_names() -> list[str]:
    return sorted(p.stem for p in BUNDLED.glob("*.yaml"))


@lru_cache(maxsize=32)
def _load_cached(path: str, mtime: float) -> Framework:
    return parse_framework(Path(path))


def framework_file(name_or_path: str | Path) -> Path:
    """The file of a bundled framework by name (`inclusive-cities`) or of a user's framework by path."""
    text = str(name_or_path)
    path = BUNDLED / f"{text}.yaml" if is_slug(text) else Path(text)
    if not path.is_file():
        raise NotFoundError(
            f"framework {text!r} not found: bundled frameworks are {', '.join(bundled_names())}, "
            "or give the path of a YAML file"
        )
    return path.resolve()


def framework_digest(name_or_path: str | Path) -> str:
    """SHA-256 of a framework's file: a round pins the exact file it was created with."""
    import hashlib

    return hashlib.sha256(framework_file(name_or_path).read_bytes()).hexdigest()


@lru_cache(maxsize=32)
def framework_from_text(name: str, text: str) -> Framework:
    """A framework from the text a round kept of it (`name` for messages); cached by content."""
    return parse_framework(Path(name), text.encode("utf-8"))


def load_framework(name_or_path: str | Path) -> Framework:
    """A bundled framework by name (`inclusive-cities`) or a user's framework by file path. Cached per file."""
    path = framework_file(name_or_path)
    return _load_cached(str(path), path.stat().st_mtime)


def load_scale(name: str = "maturity") -> Scale:
    return Scale.model_validate(load_data(DATA / "scales" / f"{name}.yaml"))
