"""The good-practice library: city practices as validated data, search, and suggestions for a city's gaps.

Practices are YAML files with a top-level `practices:` list (see `data/practices/practices.yaml`). The bundled
library is extended by `cities/practices.yaml`, `cities/practices/*.yaml` and any file or folder the user names.
A file may say `codes: <framework>` (default `inclusive-cities`): the framework whose area and principle codes
its practices use. Every problem is reported with its file and line; an id used twice is an error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints
from pydantic import ValidationError as PydanticError

from ..errors import ICFError, NotFoundError, Problem, ValidationError
from .cities import example_cities
from .framework import DATA, load_framework
from .types import Slug, Text
from .yamlio import Lines, line_of, load_yaml, plain, pydantic_problems

BUNDLED = DATA / "practices"
DEFAULT_CODES = "inclusive-cities"

AreaCode = Annotated[str, StringConstraints(pattern=r"^A\d+$")]
PrincipleCode = Annotated[str, StringConstraints(pattern=r"^P\d+$")]
Link = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


class Practice(BaseModel):
    """One good practice from a city, described in our own words, linked to framework codes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Slug
    city: Text
    country: Text
    title: Text
    description: Text
    areas: tuple[AreaCode, ...] = Field(min_length=1)
    principles: tuple[PrincipleCode, ...] = ()
    themes: tuple[Slug, ...] = ()
    frameworks: tuple[Slug, ...] = ()  # the programmes whose material the practice comes from
    source: Text
    link: Link | None = None
    _codes: str = PrivateAttr(default=DEFAULT_CODES)  # the framework whose codes `areas`/`principles` use
    _origin: str = PrivateAttr(default="")  # file:line it was read from

    @property
    def codes(self) -> str:
        return self._codes

    @property
    def origin(self) -> str:
        return self._origin


# -- loading ----------------------------------------------------------------------------------------------------

def practice_files(extra: Iterable[Path | str] = (), cities_root: Path | None = None) -> list[Path]:
    """The bundled files, then `cities/practices.yaml` and `cities/practices/*.yaml`, then each of `extra`
    (a file, or a folder of *.yaml files)."""
    root = Path(cities_root or example_cities())
    files = sorted(BUNDLED.glob("*.yaml"))
    files += [p for p in [root / "practices.yaml"] if p.is_file()]
    files += sorted((root / "practices").glob("*.yaml")) if (root / "practices").is_dir() else []
    for item in extra:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
            if not found:
                raise NotFoundError(f"{path} holds no .yaml practice files")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise NotFoundError(f"{path} does not exist: give a practices YAML file or a folder of them")
    unique: list[Path] = []
    for f in files:  # the same file named twice is read once
        if f.resolve() not in {u.resolve() for u in unique}:
            unique.append(f)
    return unique


def parse_practices(path: Path) -> tuple[list[Practice], list[Problem]]:
    """The valid practices of one file and the problems of the others (each with file and line); cached per
    file and modification time."""
    path = Path(path)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return _parse(path)  # reports the file as unreadable
    found, problems = _parse_cached(str(path.resolve()), mtime)
    return list(found), list(problems)


@lru_cache(maxsize=64)
def _parse_cached(name: str, mtime_ns: int) -> tuple[tuple[Practice, ...], tuple[Problem, ...]]:
    found, problems = _parse(Path(name))
    return tuple(found), tuple(problems)


def _parse(path: Path) -> tuple[list[Practice], list[Problem]]:
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("practices"), list):
        return [], [Problem(str(path), 1, "a practices file must be a mapping with a `practices:` list")]
    raw = plain(doc)
    codes = raw.get("codes", DEFAULT_CODES)
    try:
        fw = load_framework(codes)
    except ICFError as exc:
        return [], [Problem(str(path), line_of(doc, ("codes",)), str(exc), "codes")]
    known = {"areas": {a.code for a in fw.areas}, "principles": {p.code for p in fw.principles}}
    out, problems = [], []
    for i, item in enumerate(raw["practices"]):
        loc = ("practices", i)
        bad = []
        for field in ("areas", "principles"):
            codes_given = item.get(field) if isinstance(item, dict) else None
            for j, code in enumerate(codes_given if isinstance(codes_given, list) else []):
                if isinstance(code, str) and code not in known[field]:
                    bad.append(Problem(str(path), line_of(doc, (*loc, field, j)),
                                       f"unknown code {code!r}; {fw.code} has {', '.join(sorted(known[field]))}",
                                       f"practices[{i}].{field}[{j}]"))
        problems += bad
        try:
            practice = Practice.model_validate(item)
        except PydanticError as exc:
            problems += pydantic_problems(path, Lines(path, doc=doc), _Prefixed(exc, loc))
            continue
        if not bad:
            practice._codes = fw.code
            practice._origin = f"{path}:{line_of(doc, loc)}"
            out.append(practice)
    return out, problems


class _Prefixed:
    """A pydantic error whose locations are put under `prefix` (for `pydantic_problems`)."""

    def __init__(self, exc: PydanticError, prefix: tuple):
        self._exc, self._prefix = exc, prefix

    def errors(self):
        return [dict(e, loc=(*self._prefix, *e["loc"])) for e in self._exc.errors()]


def load_practices(extra: Iterable[Path | str] = (), cities_root: Path | None = None) -> list[Practice]:
    """Every practice from the bundled library and the user's files, validated; raises ValidationError listing
    every problem (including an id used twice, in the same file or across files)."""
    practices, problems, seen = [], [], {}
    for path in practice_files(extra, cities_root):
        found, bad = parse_practices(path)
        problems += bad
        for p in found:
            if p.id in seen:
                file, _, line = p.origin.rpartition(":")
                problems.append(Problem(file, int(line), f"duplicate practice id {p.id!r}: already defined at "
                                        f"{seen[p.id]}; give one of them another id", "id"))
                continue
            seen[p.id] = p.origin
            practices.append(p)
    if problems:
        raise ValidationError(problems, "the good-practice library is not valid")
    return practices


def get_practice(practices: Sequence[Practice], practice_id: str) -> Practice:
    for p in practices:
        if p.id == practice_id:
            return p
    raise NotFoundError(f"no practice with id {practice_id!r}; try `icf practices search --text WORD`")


# -- search -----------------------------------------------------------------------------------------------------

def _fold(text: str) -> str:
    """Lower case without accents, so that 'medellin' finds 'Medellín'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _haystack(p: Practice) -> str:
    return _fold(" ".join([p.title, p.description, p.city, p.country, " ".join(p.themes), p.source]))


def search(practices: Sequence[Practice], *, area: str | None = None, principle: str | None = None,
           theme: str | None = None, text: str | None = None, codes: str | None = None) -> list[Practice]:
    """Practices that illustrate `area`, `principle` and `theme` (all given filters must hold) and contain every
    word of `text` (case and accents ignored). With `text`, the best matches come first (a word in the title
    counts three times); otherwise the order is by id."""
    words = _fold(text or "").split()
    hits = []
    for p in practices:
        if codes and p.codes != codes:
            continue
        if (area and area not in p.areas) or (principle and principle not in p.principles):
            continue
        if theme and _fold(theme) not in p.themes:
            continue
        hay, title = _haystack(p), _fold(p.title)
        if not all(w in hay for w in words):
            continue
        rank = sum(hay.count(w) + 2 * title.count(w) for w in words)
        hits.append((-rank, p.id, p))
    return [p for *_, p in sorted(hits, key=lambda h: h[:2])]


# -- suggestions for a city's gaps ------------------------------------------------------------------------------

STOPWORDS = frozenset("the and for with from that this into their local city cities level work".split())


def _stems(text: str) -> set[str]:
    """Content words, crudely stemmed ('communities' -> 'communit'), for matching gap titles to practices."""
    words = re.findall(r"[a-z]+", _fold(text))
    return {re.sub(r"(ies|y|es|s|ing|ion|ions)$", "", w) for w in words if len(w) > 3 and w not in STOPWORDS}


def gaps(scores: Sequence[dict], n: int = 2, ceiling: float = 75.0) -> list[dict]:
    """The `n` lowest-scoring entries (areas or principles: dicts with code, score, n, thin) that are scored,
    not thin and below `ceiling` (a city already leading everywhere has no gaps). Ties: by code."""
    usable = [s for s in scores if s.get("score") is not None and not s.get("thin") and s["score"] < ceiling]
    return sorted(usable, key=lambda s: (s["score"], s["code"]))[:n]


def _describe(gap: dict, kind: str) -> str:
    title = f" {gap['title']}" if gap.get("title") else ""
    return f"{kind} {gap['code']}{title} (score {gap['score']:.0f}/100 from {gap.get('n', '?')} answers)"


def suggest(practices: Sequence[Practice], areas: Sequence[dict], principles: Sequence[dict] = (), *,
            codes: str = DEFAULT_CODES, n_gaps: int = 2, limit: int = 5, ceiling: float = 75.0) -> list[dict]:
    """Practices that fit a city's gaps, best first, each with a plain-words `why`.

    `areas` and `principles` are the city's scores (dicts with code, title, score, n, thin, as in
    diagnostics.json). The gaps are the `n_gaps` lowest-scoring non-thin areas and principles below `ceiling`.
    Ranking: the overlap of the practice's codes with the gaps, each gap weighted by how weak it is (the weakest
    of `n_gaps` counts `n_gaps`, the next `n_gaps - 1`, ...) and area gaps counting twice as much as principle
    gaps (areas are where action happens); then how many words of the gaps' titles the practice's text shares;
    then id. Practices using another framework's codes are left out.
    """
    gap_areas, gap_principles = gaps(areas, n_gaps, ceiling), gaps(principles, n_gaps, ceiling)
    gap_words = set().union(*(_stems(g.get("title") or "") for g in gap_areas + gap_principles))
    ranked = []
    for p in practices:
        if p.codes != codes:
            continue
        hit_a = [g for g in gap_areas if g["code"] in p.areas]
        hit_p = [g for g in gap_principles if g["code"] in p.principles]
        if not hit_a and not hit_p:
            continue
        shared = sorted(gap_words & _stems(f"{p.title} {p.description} {' '.join(p.themes)}"))
        why = "Fits your " + "; and ".join(
            [_describe(g, "weak area") for g in hit_a] + [_describe(g, "weak principle") for g in hit_p]) + "."
        overlap = (sum(2 * (n_gaps - gap_areas.index(g)) for g in hit_a)
                   + sum(n_gaps - gap_principles.index(g) for g in hit_p))
        ranked.append(((-overlap, -len(shared), p.id), {
            "id": p.id, "city": p.city, "country": p.country, "title": p.title, "description": p.description,
            "areas": list(p.areas), "principles": list(p.principles), "themes": list(p.themes),
            "source": p.source, "link": p.link, "matched": [g["code"] for g in hit_a + hit_p], "why": why,
        }))
    return [item for _, item in sorted(ranked, key=lambda r: r[0])[:limit]]
