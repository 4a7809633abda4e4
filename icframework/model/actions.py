"""City action plans: `cities/<slug>/actions.yaml`, validated, summarised for briefs and loadable into the store.

A plan file holds `city:` (the folder's slug), optional `synthetic: true` and `codes:` (the framework whose area
and principle codes it uses, default `inclusive-cities`), and an `actions:` list. Each action links to areas
and/or principles and has an owner sector, start and due dates, a status (planned, in-progress, done,
dropped) and a note. Every problem is reported with file, line and field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator
from pydantic import ValidationError as PydanticError

from ..errors import ICFError, NotFoundError, Problem, ValidationError
from ..i18n import N_
from ..style import SYNTHETIC_PLAN_NOTICE
from .cities import city_slugs, example_cities
from .framework import load_framework
from .types import Sector, Slug, Text, check_slug
from .yamlio import Lines, load_data, pydantic_problems

STATUSES = ("planned", "in-progress", "done", "dropped")



class Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Slug
    title: Text
    areas: tuple[Annotated[str, StringConstraints(pattern=r"^A\d+$")], ...] = ()
    principles: tuple[Annotated[str, StringConstraints(pattern=r"^P\d+$")], ...] = ()
    owner: Sector | None = None  # the sector that leads it; missing owners are flagged in briefs
    start: dt.date | None = None
    due: dt.date | None = None
    status: Literal[STATUSES]  # type: ignore[valid-type]
    note: str = ""

    @model_validator(mode="after")
    def _checks(self):
        if not self.areas and not self.principles:
            raise ValueError("link the action to at least one area (areas: [A1]) or principle (principles: [P1])")
        if self.start and self.due and self.due < self.start:
            raise ValueError(f"due date {self.due} is before start date {self.start}")
        return self


class ActionPlan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    city: Slug
    synthetic: bool = False
    codes: Slug = "inclusive-cities"
    actions: tuple[Action, ...] = ()


# -- files ------------------------------------------------------------------------------------------------------

def plan_path(city: str, root: Path | None = None) -> Path:
    return Path(root or example_cities()) / check_slug(city, "city") / "actions.yaml"


def _load(path: Path):
    """`load_data`, plus a clear problem with its line for an impossible date such as 2020-13-01."""
    try:
        return load_data(path)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise
        for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for y, m, d in re.findall(r"\b(\d{4})-(\d\d?)-(\d\d?)\b", text):
                try:
                    dt.date(int(y), int(m), int(d))
                except ValueError as bad:
                    raise ValidationError([Problem(str(path), n, f"impossible date {y}-{m}-{d} ({bad}); "
                                                   "write dates as YYYY-MM-DD")]) from None
        raise ValidationError([Problem(str(path), None, f"cannot read the file: {exc}")]) from None


def parse_plan(path: Path, city: str | None = None) -> ActionPlan:
    """Load and validate one plan file; raise ValidationError listing every problem with line and field."""
    path = Path(path)
    raw, line = _load(path), Lines(path)
    if not isinstance(raw, dict):
        raise ValidationError([Problem(str(path), 1, "an action plan must be a mapping (city:, actions: [...])")])
    problems: list[Problem] = []
    plan = None
    try:
        plan = ActionPlan.model_validate(raw)
    except PydanticError as exc:
        problems += pydantic_problems(path, line, exc)
    if city and raw.get("city") != city:
        problems.append(Problem(str(path), line(("city",)),
                                f"city {raw.get('city')!r} does not match its folder {city!r}", "city"))
    items = [a for a in raw.get("actions") or [] if isinstance(a, dict)]
    seen: set = set()
    for j, a in enumerate(items):
        if a.get("id") in seen:
            problems.append(Problem(str(path), line(("actions", j, "id")),
                                    f"duplicate action id {a.get('id')!r}; ids must be unique within a plan",
                                    f"actions[{j}].id"))
        seen.add(a.get("id"))
    try:
        fw = load_framework(raw.get("codes") or "inclusive-cities")
        known = {"areas": {a.code for a in fw.areas}, "principles": {p.code for p in fw.principles}}
        for i, a in enumerate(items):
            for field in ("areas", "principles"):
                for j, code in enumerate(a.get(field) or []):
                    if isinstance(code, str) and code not in known[field]:
                        problems.append(Problem(str(path), line(("actions", i, field, j)),
                                                f"unknown code {code!r}; {fw.code} has "
                                                f"{', '.join(sorted(known[field]))}", f"actions[{i}].{field}[{j}]"))
    except ICFError as exc:
        problems.append(Problem(str(path), line(("codes",)), str(exc), "codes"))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.where))
        raise ValidationError(problems, f"{path} is not a valid action plan")
    return plan


def load_plan(city: str, root: Path | None = None) -> ActionPlan | None:
    """The city's plan, or None when it has no `actions.yaml`."""
    path = plan_path(city, root)
    return parse_plan(path, city) if path.exists() else None


def load_plans(root: Path | None = None) -> list[ActionPlan]:
    """Every city's plan (cities without one are skipped); all problems of all files are reported together."""
    plans, problems = [], []
    for slug in city_slugs(root):
        try:
            plan = load_plan(slug, root)
        except ValidationError as exc:
            problems += exc.problems
            continue
        if plan:
            plans.append(plan)
    if problems:
        raise ValidationError(problems, "some action plans are not valid")
    return plans


# -- progress ---------------------------------------------------------------------------------------------------

def action_state(action: Action, reference: dt.date) -> str:
    """done, dropped, overdue (not done and due before `reference`), on_track (due later) or undated."""
    if action.status in ("done", "dropped"):
        return action.status
    if action.due is None:
        return "undated"
    return "overdue" if action.due < reference else "on_track"


def action_flags(action: Action) -> list[str]:
    """What a brief should point out about an action: a missing owner or date."""
    flags = []
    if action.owner is None:
        flags.append(N_("no owner"))
    if action.start is None:
        flags.append(N_("no start date"))
    if action.due is None:
        flags.append(N_("no due date"))
    return flags


def progress(plan: ActionPlan, reference: dt.date) -> dict:
    """The plan's progress on `reference` (e.g. the convening date): counts and one item per action.

    Shaped as the `actions` key of diagnostics.json: done, on_track, overdue, dropped, undated, flagged (actions
    missing an owner or a date), total, reference, synthetic, notice, items.
    """
    items = []
    for a in plan.actions:
        state = action_state(a, reference)
        days = (reference - a.due).days if state == "overdue" else None
        items.append({"id": a.id, "title": a.title, "areas": list(a.areas), "principles": list(a.principles),
                      "owner": a.owner, "start": a.start and a.start.isoformat(),
                      "due": a.due and a.due.isoformat(), "status": a.status, "state": state,
                      "days_overdue": days, "flags": action_flags(a), "note": a.note})
    states = Counter(i["state"] for i in items)
    return {"reference": reference.isoformat(), "synthetic": plan.synthetic,
            "notice": SYNTHETIC_PLAN_NOTICE if plan.synthetic else None,
            **{s: states.get(s, 0) for s in ("done", "on_track", "overdue", "dropped", "undated")},
            "flagged": sum(1 for i in items if i["flags"]), "total": len(items), "items": items}


# -- the store --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """The reference date of a round: its convening's date, else today."""

    date: dt.date
    label: str


def reference_date(convening: str | None = None, root: Path | None = None) -> Reference:
    from .cities import load_convenings

    if convening:
        for c in load_convenings(root):
            if c.id == convening:
                return Reference(c.date, f"the {c.title} ({c.when})")
        raise NotFoundError(f"unknown convening {convening!r}; see `icf cities convenings`")
    today = dt.date.today()
    return Reference(today, f"today ({today.isoformat()})")


__all__ = ["STATUSES", "Action", "ActionPlan", "load_plan", "load_plans", "parse_plan", "progress", "reference_date"]
