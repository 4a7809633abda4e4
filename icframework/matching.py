"""Peer matching for a convening: pair each city's weakest areas with cities strong in them.

The plan is an integer programme solved with `scipy.optimize.milp` (HiGHS):

- a candidate pair is (learner, area, mentor) where the area is one of the learner's `focus` weakest scored,
  non-thin areas, the mentor's score in it is not thin either, and the mentor scores at least `min_gap` points
  higher. Its **learning potential** is that difference (mentor score minus learner score, to 0.1 point);
- each city learns at most `learns` times (never the same area twice, never from the same mentor twice) and
  mentors at most `k` times; no city pairs with itself;
- the objective is lexicographic, solved in three stages: first as many cities as possible learn at least once,
  then the total learning potential is as large as possible, then ties are broken towards the alphabetically
  first learner, area and mentor (a concave weight on each pair's position in that order), so the same scores
  always give the same plan.

Peer comparisons need a minimum group (`min_group`, default 5 cities with scores): below it, no plan is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from .errors import ICFError

MIN_GROUP = 5


class GroupTooSmall(ICFError):
    """Fewer cities have scores than the minimum group size for peer comparisons."""


@dataclass(frozen=True)
class Pair:
    area: str
    mentor: str
    learner: str
    mentor_score: float
    learner_score: float
    mentor_n: int
    learner_n: int
    potential: float
    why: str


@dataclass(frozen=True)
class Plan:
    pairs: tuple[Pair, ...]
    unmatched: tuple[dict, ...]  # {"city", "reason"} for every city that does not learn
    cities: int
    params: dict = field(default_factory=dict)

    @property
    def learners(self) -> int:
        return len({p.learner for p in self.pairs})

    @property
    def total_potential(self) -> float:
        return round(sum(p.potential for p in self.pairs), 1)

    def for_city(self, city: str) -> list[Pair]:
        return [p for p in self.pairs if city in (p.learner, p.mentor)]

    def to_data(self) -> dict:
        return {"params": dict(self.params), "cities": self.cities, "learners": self.learners,
                "total_potential": self.total_potential, "pairs": [asdict(p) for p in self.pairs],
                "unmatched": [dict(u) for u in self.unmatched]}


def score_table(scores) -> pd.DataFrame:
    """Area scores as a long table [city, area, score, n, thin, title], scores rounded to 0.1.

    `scores` is such a DataFrame already, or a mapping city -> list of area dicts (code, score, n, thin and
    optionally title: the `areas` of diagnostics.json), or city -> {area: {score, n, thin}}.
    """
    if isinstance(scores, pd.DataFrame):
        df = scores.copy()
    elif isinstance(scores, Mapping):
        rows = []
        for city, areas in scores.items():
            items = areas.items() if isinstance(areas, Mapping) else ((a["code"], a) for a in areas)
            rows += [{"city": city, "area": code, **{k: v for k, v in a.items() if k != "code"}}
                     for code, a in items]
        df = pd.DataFrame(rows, columns=None if rows else ["city", "area", "score", "n", "thin"])
    else:
        raise ICFError("scores must be a DataFrame [city, area, score, n, thin] or a mapping city -> areas")
    missing = {"city", "area", "score", "n", "thin"} - set(df.columns)
    if missing:
        raise ICFError(f"area scores lack the column(s) {', '.join(sorted(missing))}")
    if "title" not in df.columns:
        df["title"] = ""
    df = df[["city", "area", "score", "n", "thin", "title"]]
    df = df[df["score"].notna()].astype({"score": float, "n": int, "thin": bool})
    # to 0.1 point, as the reports show them, so the same plan comes from the store or from a saved report
    df["score"] = [round(float(v), 1) for v in df["score"]]
    return df.fillna({"title": ""}).sort_values(["city", "area"]).reset_index(drop=True)


def _solve(c: np.ndarray, constraints: list[LinearConstraint]) -> np.ndarray:
    """Minimise c @ x over binary x (HiGHS, exact: no optimality gap allowed)."""
    res = milp(c, integrality=np.ones_like(c), bounds=Bounds(0, 1), constraints=constraints,
               options={"mip_rel_gap": 0.0})
    if not res.success:  # cannot happen for these always-feasible programmes (x = 0 is feasible)
        raise ICFError(f"the matching solver failed: {res.message}")
    return np.round(res.x).astype(int)


def _why(pair: dict, names: Mapping[str, str], focus: int) -> str:
    name = lambda slug: names.get(slug, slug)  # noqa: E731
    title = f" ({pair['title']})" if pair["title"] else ""
    weakest = "its weakest area" if focus == 1 else f"one of its {focus} weakest areas"
    return (f"{name(pair['learner'])} scores {pair['ls']:.0f}/100 in {pair['area']}{title} from {pair['ln']} "
            f"answers, {weakest}; {name(pair['mentor'])} scores {pair['ms']:.0f}/100 from {pair['mn']} answers, "
            f"{pair['p10'] / 10:.0f} points higher.")


def match(scores, *, k: int = 2, learns: int = 1, min_gap: float = 15.0, focus: int = 2,
          min_group: int = MIN_GROUP, names: Mapping[str, str] | None = None) -> Plan:
    """The peer-learning plan for one round's area scores (see the module docstring for the rules).

    `names` maps slugs to display names for the explanations. Raises GroupTooSmall when fewer than `min_group`
    cities have a non-thin score.
    """
    if k < 0 or learns < 0 or focus < 1 or min_group < 2:
        raise ICFError("k and learns must be 0 or more, focus at least 1, min_group at least 2")
    df = score_table(scores)
    solid = df[~df["thin"]]
    cities = sorted(solid["city"].unique())
    params = {"k": k, "learns": learns, "min_gap": min_gap, "focus": focus, "min_group": min_group}
    if len(cities) < min_group:
        raise GroupTooSmall(
            f"only {len(cities)} cit{'y has' if len(cities) == 1 else 'ies have'} enough answers to compare; peer "
            f"matching needs at least {min_group} (use --min-group to lower the minimum, knowing that small "
            "groups make cities easy to identify)")
    names = dict(names or {})
    by_area = {area: g.set_index("city") for area, g in solid.groupby("area")}
    arcs = []
    focus_of = {}
    for learner in cities:
        mine = solid[solid["city"] == learner].sort_values(["score", "area"]).head(focus)
        focus_of[learner] = list(mine["area"])
        for _, row in mine.iterrows():
            for mentor, m in by_area[row["area"]].iterrows():
                diff = m["score"] - row["score"]
                if mentor != learner and diff >= min_gap - 1e-9 and round(diff * 10) > 0:
                    arcs.append({"learner": learner, "area": row["area"], "mentor": mentor, "title": row["title"],
                                 "ls": row["score"], "ln": int(row["n"]), "ms": m["score"], "mn": int(m["n"]),
                                 "p10": int(round(diff * 10))})
    arcs.sort(key=lambda a: (a["learner"], a["area"], a["mentor"]))
    chosen = _optimise(arcs, cities, k, learns) if arcs else []
    pairs = tuple(Pair(a["area"], a["mentor"], a["learner"], round(a["ms"], 1), round(a["ls"], 1), a["mn"], a["ln"],
                       a["p10"] / 10, _why(a, names, focus)) for a in chosen)
    learners = {p.learner for p in pairs}
    unmatched = []
    for city in cities:
        if city in learners:
            continue
        if not any(a["learner"] == city for a in arcs):
            reason = (f"no city scores at least {min_gap:g} points higher (without a thin score) in its weakest "
                      f"area{'s' if len(focus_of[city]) > 1 else ''} ({', '.join(focus_of[city])})")
        else:
            reason = f"the cities strong in its weakest areas already mentor the most allowed ({k})"
        unmatched.append({"city": city, "reason": reason})
    return Plan(pairs, tuple(unmatched), len(cities), params)


def _optimise(arcs: list[dict], cities: list[str], k: int, learns: int) -> list[dict]:
    """The three-stage lexicographic programme over binary x (one per arc) and y (one per learner)."""
    learners = sorted({a["learner"] for a in arcs})
    n_x, n_y = len(arcs), len(learners)
    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, lower, upper)
    groups: dict[tuple, list[int]] = {}
    for i, a in enumerate(arcs):
        for key in (("learn", a["learner"]), ("mentor", a["mentor"]), ("pair", a["learner"], a["mentor"]),
                    ("area", a["learner"], a["area"])):
            groups.setdefault(key, []).append(i)
    limit = {"learn": learns, "mentor": k, "pair": 1, "area": 1}
    for key, idx in groups.items():
        if len(idx) > limit[key[0]]:
            rows.append(({i: 1.0 for i in idx}, 0, limit[key[0]]))
    for j, city in enumerate(learners):  # y_city <= number of times the city learns
        rows.append(({n_x + j: 1.0} | {i: -1.0 for i in groups[("learn", city)]}, -np.inf, 0))

    def constraints(extra=()):
        all_rows = rows + list(extra)
        A = lil_matrix((len(all_rows), n_x + n_y))
        for r, (coef, _, _) in enumerate(all_rows):
            for i, v in coef.items():
                A[r, i] = v
        return [LinearConstraint(A.tocsr(), [lo for _, lo, _ in all_rows], [hi for *_, hi in all_rows])]

    c_learners = np.r_[np.zeros(n_x), -np.ones(n_y)]
    best_learners = -c_learners @ _solve(c_learners, constraints())
    fix_learners = ({n_x + j: 1.0 for j in range(n_y)}, best_learners - 0.5, np.inf)
    c_potential = np.r_[-np.array([a["p10"] for a in arcs], dtype=float), np.zeros(n_y)]
    best_potential = -c_potential @ _solve(c_potential, constraints([fix_learners]))
    fix_potential = ({i: float(a["p10"]) for i, a in enumerate(arcs)}, best_potential - 0.5, np.inf)
    # concave weights: earlier arcs (learner, area, mentor order) are preferred, earlier learners first
    c_order = np.r_[[n_x**2 - (n_x - i) ** 2 + 1 for i in range(n_x)], np.zeros(n_y)].astype(float)
    x = _solve(c_order, constraints([fix_learners, fix_potential]))
    return [a for i, a in enumerate(arcs) if x[i]]
