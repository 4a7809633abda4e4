"""Knowledge exchange for the briefs: add suggested practices, peers and action-plan progress to the reports.

`enrich_report` adds `practices`, `peers` (and `peers_notice`) and `actions` to a city's diagnostics.json
report; `enrich_convening` adds the round's pairing plan (`pairs`) and practices for its common gaps
(`practices`) to the convening report. Both take a report
model (`icframework.analysis.models`: from `icframework.analysis.reports` or a saved JSON file) and return a
validated copy, so they can run in a workbook or on a saved file.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import ICFError, NotFoundError
from ..model.actions import load_plan, progress, reference_date
from ..model.practices import DEFAULT_CODES, Practice, load_practices, suggest
from .matching import MIN_GROUP, GroupTooSmall, match, why_text
from .models import ActionsProgress, CityReport, ConveningReport, PairsPlan, Peer, PracticeSuggestion

MATCH_DEFAULTS = {"k": 2, "learns": 1, "min_gap": 15.0, "focus": 2, "min_group": MIN_GROUP}


def round_scores(store, round_id: str, answers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every city's area scores in a round: [city, area, title, score, n, thin] (the input of `match`), from one
    pass over the round's answers (`scores.RoundTables`)."""
    from .reports import shared_tables
    from .scores import RoundTables

    tables = shared_tables(store, round_id) if answers is None else None  # a batch worker's, kept for its cities
    if tables is None:
        answers = store.answers_frame(round_id) if answers is None else answers
        answers = answers[answers["round"] == round_id]
        tables = RoundTables(answers, store.framework_for(round_id)) if len(answers) else None
    cities = sorted(c for c, rounds in (tables.rounds_of.items() if tables else ()) if round_id in rounds)
    rows = [{"city": city, "area": code, **{k: r[k] for k in ("title", "score", "n", "thin")}}
            for city in cities for code, r in tables.scores((city, round_id), "area").items()]
    df = pd.DataFrame(rows, columns=["city", "area", "title", "score", "n", "thin"])
    return df.astype({"score": float})


def _names(slugs, root: Path | None = None) -> dict[str, str]:
    from ..model.cities import load_city

    out = {}
    for slug in slugs:
        try:
            out[slug] = load_city(slug, root).name
        except NotFoundError:
            out[slug] = slug
    return out


def method(params: dict) -> str:
    """The pairing rule in plain words, for the briefs."""
    p = MATCH_DEFAULTS | params
    focus = "its weakest area" if p["focus"] == 1 else f"one of its {p['focus']} weakest areas"
    times = "once" if p["learns"] == 1 else f"up to {p['learns']} times"
    return (f"Each city learns {times}, in {focus}, from a city that scores at least {p['min_gap']:g} points "
            f"higher there; scores from too few answers are never used, and no city mentors more than {p['k']} "
            "times. The plan first lets as many cities learn as possible, then makes the total learning "
            "potential (the sum of the score differences) as large as possible; ties go to the alphabetically "
            "first city.")


def pairs_data(scores: pd.DataFrame, names: dict[str, str] | None = None, *, root: Path | None = None,
               **params) -> dict:
    """The pairing plan as plain data (the `pairs` key of the convening report); below the minimum group size
    the plan is empty and `notice` says why."""
    params = MATCH_DEFAULTS | params
    df = scores.copy()
    names = names or _names(sorted(df["city"].unique()), root)
    titles = dict(zip(df["area"], df.get("title", df["area"]), strict=True)) if len(df) else {}
    data = matched(df, params)
    if "too_small" in data:
        return {"params": params, "method": method(params), "cities": int(df["city"].nunique()), "learners": 0,
                "total_potential": 0.0, "pairs": [], "unmatched": [], "notice": f"No peer pairs: {data['too_small']}."}
    for p in data["pairs"]:
        p["area_title"] = titles.get(p["area"], "")
        _name_pair(p, names, params["focus"])
    for u in data["unmatched"]:
        u["name"] = names.get(u["city"], u["city"])
    return data | {"params": params, "method": method(params), "notice": None}


PLAN_CACHE: dict = {"dir": None}  # a folder the processes of one batch share plans through (see `matched`)
_MATCHED: dict[str, dict] = {}


def matched(scores: pd.DataFrame, params: dict) -> dict:
    """`match(scores, **params).to_data()` with slugs where names go (or {"too_small": why}), remembered by
    content: the score table (to 0.1 point, as matched) and the parameters. Matching 500 cities costs seconds,
    so the plan is made once per process, and once per batch when PLAN_CACHE["dir"] is set (the batch's
    planner makes it there first; its workers and the convening read it)."""
    import hashlib
    import json

    from .matching import score_table

    table = score_table(scores)
    key = hashlib.sha256(json.dumps([table.to_dict(orient="split")["data"], sorted(params.items())],
                                    default=str).encode()).hexdigest()
    if key not in _MATCHED:
        folder = PLAN_CACHE["dir"]
        with _shared_lock(Path(folder) / f"plan-{key}.lock" if folder else None):
            path = Path(folder) / f"plan-{key}.json" if folder else None
            data = None
            if path is not None and path.is_file():
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    data = None
            if data is None:
                try:
                    data = match(table, **params).to_data()
                except GroupTooSmall as exc:
                    data = {"too_small": str(exc)}
                if path is not None:
                    from ..files import atomic_write

                    atomic_write(path, json.dumps(data).encode())
        if len(_MATCHED) > 8:
            _MATCHED.clear()
        _MATCHED[key] = data
    return copy.deepcopy(_MATCHED[key])


@contextlib.contextmanager
def _shared_lock(path: Path | None):
    """An exclusive lock on `path` between processes (none when `path` is None or locks are not available):
    while one process of a batch makes a plan, the others wait for it instead of making it too."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None
    if path is None or fcntl is None:
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def round_pairs(store, round_id: str, answers: pd.DataFrame | None = None, *, root: Path | None = None,
                names: bool = True, **params) -> dict:
    """The pairing plan of a round, straight from the store (`root`: the programme's cities folder, for the
    cities' names). Without `answers`, the plan is kept per store revision, so a batch worker computes it once
    per round instead of once per city. `names=False` leaves the slugs where the names go (no city file is read):
    `city_peers(..., root=...)` then names only the pairs one brief shows."""
    if answers is not None:
        plan = pairs_data(round_scores(store, round_id, answers), _slugs(store, round_id, answers), **params)
    else:
        plan = copy.deepcopy(kept_plan(store, round_id, **params))
    return with_names(plan, root) if names else plan


def kept_plan(store, round_id: str, **params) -> dict:
    """The round's plan without names, kept per store revision: shared, so read it and do not change it
    (`city_peers` copies what it returns). Copying a plan of 500 cities would cost more than a city's brief."""
    key = (store.url, round_id, store.revision(), tuple(sorted(params.items())))
    if key not in _PAIRS:
        _PAIRS.clear()
        scores = round_scores(store, round_id)
        _PAIRS[key] = pairs_data(scores, {c: c for c in scores["city"].unique()}, **params)
    return _PAIRS[key]


def _slugs(store, round_id: str, answers: pd.DataFrame) -> dict[str, str]:
    return {c: c for c in answers[answers["round"] == round_id]["city"].unique()}


_PAIRS: dict[tuple, dict] = {}


def _name_pair(p: dict, names: dict[str, str], focus: int) -> dict:
    p.update(mentor_name=names.get(p["mentor"], p["mentor"]), learner_name=names.get(p["learner"], p["learner"]),
             why=why_text(p, names, focus))
    return p


def with_names(plan: dict, root: Path | None = None) -> dict:
    """A plan made with slugs for names (`round_pairs(..., names=False)`) with every city's display name."""
    focus = (plan.get("params") or MATCH_DEFAULTS)["focus"]
    cities = {p[k] for p in plan["pairs"] for k in ("learner", "mentor")} | {u["city"] for u in plan["unmatched"]}
    names = _names(sorted(cities), root)
    for p in plan["pairs"]:
        _name_pair(p, names, focus)
    for u in plan["unmatched"]:
        u["name"] = names.get(u["city"], u["city"])
    return plan


def gap_practices(report: ConveningReport, library: Sequence[Practice], per_gap: int = 2) -> list[dict]:
    """Up to `per_gap` practices for each of the round's common gaps (no practice twice), each with `why` naming
    the gap; practices using another framework's codes are left out."""
    codes = report.framework.code or DEFAULT_CODES
    out: list[dict] = []
    for g in report.common_gaps:
        area = {"code": g.area, "title": g.title, "score": g.mean, "n": g.of, "thin": False}
        taken = {p["id"] for p in out}
        found = suggest(library, [area], codes=codes, n_gaps=1, limit=per_gap + len(taken), ceiling=101.0)
        for p in [p for p in found if p["id"] not in taken][:per_gap]:
            out.append(p | {"matched": [g.area],
                            "why": f"For the common gap {g.area} {g.title} (low in {g.low_in} of {g.of} cities)."})
    return out


def enrich_convening(report: ConveningReport, *, practices: Sequence[Practice] | None = None,
                     extra_practices: Sequence[Path | str] = (), cities_root: Path | None = None, per_gap: int = 2,
                     **params) -> ConveningReport:
    """A copy of a convening report with `pairs`, the round's peer-learning plan (from its `heatmap`; `params`
    are the matching parameters), and `practices`: up to `per_gap` practices for each common gap (from
    `practices`, else the bundled library, the user's files under cities/ and `extra_practices`)."""
    library = load_practices(extra_practices, cities_root) if practices is None else practices
    titles = {a.code: a.title for a in report.areas}
    scores = pd.DataFrame([h.model_dump(include={"city", "area", "score", "n", "thin"}) for h in report.heatmap],
                          columns=["city", "area", "score", "n", "thin"])
    scores["title"] = scores["area"].map(titles).fillna("")
    names = {c.slug: c.name for c in report.cities}
    return report.model_copy(update={
        "pairs": PairsPlan.model_validate(pairs_data(scores, names, **params)),
        "practices": [PracticeSuggestion.model_validate(p) for p in gap_practices(report, library, per_gap)]})


def city_peers(pairs: dict | PairsPlan, city: str, root: Path | None = None,
               names: bool = False) -> tuple[list[dict], str | None]:
    """The pairs a city is in (as learner first, then as mentor) and a notice when it learns from no one.
    `names=True` names the cities of these pairs from their files under `root` (for a plan made without names)."""
    if isinstance(pairs, PairsPlan):
        pairs = pairs.model_dump(mode="json")
    mine = [dict(p, role="learner") for p in pairs["pairs"] if p["learner"] == city]
    mine += [dict(p, role="mentor") for p in pairs["pairs"] if p["mentor"] == city]
    if names and mine:
        focus = (pairs.get("params") or MATCH_DEFAULTS)["focus"]
        found = _names(sorted({p[k] for p in mine for k in ("learner", "mentor")}), root)
        mine = [_name_pair(p, found, focus) for p in mine]
    if pairs.get("notice"):
        return mine, pairs["notice"]
    reason = next((u["reason"] for u in pairs["unmatched"] if u["city"] == city), None)
    return mine, (f"No learning pair this round: {reason}." if reason else None)


def enrich_report(report: CityReport, *, store=None, pairs: dict | PairsPlan | None = None,
                  practices: Sequence[Practice] | None = None, extra_practices: Sequence[Path | str] = (),
                  cities_root: Path | None = None, reference: dt.date | str | None = None, limit: int = 5,
                  **match_params) -> CityReport:
    """A validated copy of a city report (diagnostics.json) with the knowledge-exchange parts:

    - `practices`: up to `limit` practices that fit the city's weakest non-thin areas and principles, each
      with `why` (from `practices`, else the bundled library, the user's files under cities/ and the files or
      folders in `extra_practices`);
    - `peers` and `peers_notice`: the city's pairs in the round's plan (`pairs`, else computed from `store`
      with `match_params`); left as they were when neither is given;
    - `actions`: progress of `cities/<slug>/actions.yaml` on `reference` (a date or "YYYY-MM-DD"; default:
      the round's convening date, else today); left as it was when the city has no plan.
    """
    update: dict = {}
    library = load_practices(extra_practices, cities_root) if practices is None else practices
    if isinstance(reference, str):
        try:
            reference = dt.date.fromisoformat(reference)
        except ValueError:
            raise ICFError(f"reference date {reference!r} is not a date: write it as YYYY-MM-DD") from None
    codes = report.framework.code or DEFAULT_CODES
    found = suggest(library, [a.model_dump() for a in report.areas], [p.model_dump() for p in report.principles],
                    codes=codes, limit=limit)
    update["practices"] = [PracticeSuggestion.model_validate(p) for p in found]
    city, round_info = report.city.slug, report.round
    named = pairs is None and store is not None
    if named:  # the plan without names (no file read per city of the round); this city's pairs get theirs
        pairs = kept_plan(store, round_info.id, **match_params)
    if pairs is not None:
        peers, update["peers_notice"] = city_peers(pairs, city, cities_root, names=named)
        update["peers"] = [Peer.model_validate(p) for p in peers]
    plan = load_plan(city, cities_root)
    if plan is not None:
        if reference is None:
            try:
                reference = reference_date(round_info.convening, cities_root).date
            except NotFoundError:  # a round tied to a convening this programme does not list
                reference = dt.date.today()
        update["actions"] = ActionsProgress.model_validate(progress(plan, reference))
    return report.model_copy(update=update)
