"""Cities of a programme (`cities/<slug>/city.yaml`) and its convenings (`cities/convenings.yaml`)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from ..errors import NotFoundError, Problem, ValidationError
from .types import Language, Sector, Slug, Text, check_slug
from .yamlio import Lines, load_data, pydantic_problems


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Leadership(_Frozen):
    senior_lead: Text
    operational_lead: Text


class City(_Frozen):
    slug: Slug
    name: Text
    local_name: Text | None = None
    nation: Literal["England", "Scotland", "Wales", "Northern Ireland"] | Text
    phase: int = Field(ge=1, le=9)
    year_joined: int = Field(ge=1990, le=2100)
    leadership: Leadership
    taskforce_sectors: tuple[Sector, ...] = Field(min_length=1)
    context: Text
    # The languages its briefs are made in, first the main one (brief.pdf); others give brief.<code>.pdf. Empty:
    # the programme's languages (programme.yaml).
    languages: tuple[Language, ...] = ()
    synthetic: bool = False  # true for the generated cities of scale tests


class Convening(_Frozen):
    id: Slug
    title: Text
    city: Slug | None
    date: dt.date
    month_only: bool = False
    phase: int
    note: Text

    @property
    def when(self) -> str:
        return self.date.strftime("%B %Y") if self.month_only else self.date.isoformat()


def example_cities() -> Path:
    """The example programme's cities folder that icframework carries (the twelve Inclusive Cities)."""
    from ..config import bundled

    return bundled("cities")


def _parse(model, path: Path):
    try:
        return model.model_validate(load_data(path))
    except PydanticError as exc:
        raise ValidationError(pydantic_problems(path, Lines(path), exc), f"{path} is not valid") from None


def load_city(slug: str, root: Path | None = None) -> City:
    check_slug(slug, "city")
    root = Path(root or example_cities())
    path = root / slug / "city.yaml"
    try:
        stat = path.stat()
    except OSError:
        raise NotFoundError(f"unknown city {slug!r}: no {path}. Known cities: {', '.join(city_slugs(root))}") from None
    return _load_city(str(path), slug, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4096)  # parsed once per process (a batch reads every city's file for names and peers)
def _load_city(path: str, slug: str, mtime_ns: int, size: int) -> City:
    """A validated city, cached by file, modification time and size: an edited file is read again. City is
    frozen, so callers share it safely."""
    path = Path(path)
    city = _parse(City, path)
    if city.slug != slug:
        raise ValidationError(
            [Problem(str(path), 1, f"slug {city.slug!r} does not match its folder {slug!r}", "slug")]
        )
    return city


def city_slugs(root: Path | None = None) -> list[str]:
    root = Path(root or example_cities())
    return sorted(p.parent.name for p in root.glob("*/city.yaml"))


def load_cities(root: Path | None = None) -> list[City]:
    """Every city, validated; all problems of all files are reported together."""
    cities, problems = [], []
    for slug in city_slugs(root):
        try:
            cities.append(load_city(slug, root))
        except ValidationError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems, "some city files are not valid")
    return cities


def load_convenings(root: Path | None = None) -> list[Convening]:
    path = Path(root or example_cities()) / "convenings.yaml"
    if not path.exists():
        return []
    raw, lines = load_data(path) or {}, Lines(path)
    problems, out = [], []
    for i, item in enumerate(raw.get("convenings") or []):
        try:
            out.append(Convening.model_validate(item))
        except PydanticError as exc:
            for p in pydantic_problems(path, lambda loc, i=i: lines(("convenings", i, *loc)), exc):
                problems.append(Problem(p.file, p.line, p.message, f"convenings[{i}].{p.where}"))
    if problems:
        raise ValidationError(problems, f"{path} is not valid")
    return sorted(out, key=lambda c: c.date)


def add_city(root: Path, slug: str, **fields) -> City:
    """Write `root/<slug>/city.yaml` for a new city, validated first (every problem at once); refuses a slug
    that exists. `fields`: name, local_name, nation, phase, year_joined, sectors, senior_lead, operational_lead,
    context."""
    import yaml

    from ..files import atomic_write

    check_slug(slug, "city")
    path = Path(root) / slug / "city.yaml"
    if path.exists():
        raise ValidationError([Problem(str(path), None, f"city {slug!r} exists already; edit its file instead")])
    data = {"slug": slug, "name": fields["name"], "local_name": fields.get("local_name"),
            "nation": fields["nation"], "phase": fields["phase"], "year_joined": fields["year_joined"],
            "leadership": {"senior_lead": fields["senior_lead"], "operational_lead": fields["operational_lead"]},
            "taskforce_sectors": list(fields["sectors"]), "context": fields["context"]}
    data = {k: v for k, v in data.items() if v is not None}
    try:
        city = City.model_validate(data)
    except PydanticError as exc:
        raise ValidationError([Problem(str(path), None, e["msg"], ".".join(map(str, e["loc"]))) for e in exc.errors()],
                              f"city {slug!r} not added") from None
    atomic_write(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode())
    return city
