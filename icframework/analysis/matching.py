"""Peer matching for a convening: pair each city's weakest areas with cities strong in them.

The plan is a minimum-cost flow solved with networkx's network simplex, in exact integer arithmetic:

- a candidate pair is (learner, area, mentor) where the area is one of the learner's `focus` weakest scored,
  non-thin areas, the mentor's score in it is not thin either, and the mentor scores at least `min_gap` points
  higher. Its **learning potential** is that difference (mentor score minus learner score, to 0.1 point);
- each city learns at most `learns` times (never the same area twice, never from the same mentor twice) and
  mentors at most `k` times; no city pairs with itself;
- the objective is lexicographic, folded into one integer cost: first as many cities as possible learn at least
  once, then the total learning potential is as large as possible, then ties are broken towards the
  alphabetically first learner, area and mentor (a concave weight on each pair's position in that order), so
  the same scores always give the same plan.

The flow network: source -> learner (one unit with a bonus per learner, `learns - 1` more without) -> the
learner's focus area -> (learner, mentor) -> mentor -> sink (capacity `k`), plus a source -> sink bypass for
the cities that do not learn. With `learns = 1` the area and pair nodes are not needed and are left out.

Peer comparisons need a minimum group (`min_group`, default 5 cities with scores): below it, no plan is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import networkx as nx
import pandas as pd

from ..errors import ICFError

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


def _why(pair: dict, names: Mapping[str, str], focus: int) -> str:
    name = lambda slug: names.get(slug, slug)  # noqa: E731
    title = f" ({pair['title']})" if pair["title"] else ""
    weakest = "its weakest area" if focus == 1 else f"one of its {focus} weakest areas"
    return (f"{name(pair['learner'])} scores {pair['ls']:.0f}/100 in {pair['area']}{title} from {pair['ln']} "
            f"answers, {weakest}; {name(pair['mentor'])} scores {pair['ms']:.0f}/100 from {pair['mn']} answers, "
            f"{pair['p10'] / 10:.0f} points higher.")


def why_text(pair: dict, names: Mapping[str, str], focus: int) -> str:
    """A pair's `why` (as `match` writes it) from the pair as data (`Plan.to_data()`), with display names: a plan
    computed with slugs for names can be given its names later, only for the pairs shown."""
    return _why({"learner": pair["learner"], "mentor": pair["mentor"], "area": pair["area"],
                 "title": pair.get("area_title") or "", "ls": pair["learner_score"], "ln": pair["learner_n"],
                 "ms": pair["mentor_score"], "mn": pair["mentor_n"], "p10": round(pair["potential"] * 10)},
                names, focus)


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
    weakest = solid.sort_values(["city", "score", "area"]).groupby("city").head(focus)
    focus_of = weakest.groupby("city")["area"].apply(list).to_dict()
    pairs = weakest.merge(solid, on="area", suffixes=("_l", "_m"))
    diff = pairs["score_m"] - pairs["score_l"]
    pairs = pairs.assign(p10=(diff * 10).round().astype(int))
    pairs = pairs[(pairs["city_l"] != pairs["city_m"]) & (diff >= min_gap - 1e-9) & (pairs["p10"] > 0)]
    arcs = [{"learner": r.city_l, "area": r.area, "mentor": r.city_m, "title": r.title_l, "ls": r.score_l,
             "ln": int(r.n_l), "ms": r.score_m, "mn": int(r.n_m), "p10": int(r.p10)}
            for r in pairs.itertuples(index=False)]
    arcs.sort(key=lambda a: (a["learner"], a["area"], a["mentor"]))
    chosen = _optimise(arcs, cities, k, learns) if arcs else []
    pairs = tuple(Pair(a["area"], a["mentor"], a["learner"], round(a["ms"], 1), round(a["ls"], 1), a["mn"], a["ln"],
                       a["p10"] / 10, _why(a, names, focus)) for a in chosen)
    learners = {p.learner for p in pairs}
    could_learn = {a["learner"] for a in arcs}
    unmatched = []
    for city in cities:
        if city in learners:
            continue
        if city not in could_learn:
            reason = (f"no city scores at least {min_gap:g} points higher (without a thin score) in its weakest "
                      f"area{'s' if len(focus_of[city]) > 1 else ''} ({', '.join(focus_of[city])})")
        else:
            reason = f"the cities strong in its weakest areas already mentor the most allowed ({k})"
        unmatched.append({"city": city, "reason": reason})
    return Plan(pairs, tuple(unmatched), len(cities), params)


def _optimise(arcs: list[dict], cities: list[str], k: int, learns: int, reduce: bool = True) -> list[dict]:
    """The lexicographic plan as one minimum-cost flow with exact integer costs (see the module docstring).
    With `learns = 1`, the pairs no best plan can use are left out first (`_usable`, exact), unless `reduce`
    is false."""
    usable = _usable(arcs, cities, k) if reduce and learns == 1 else range(len(arcs))
    n_arcs = len(arcs)
    order = [n_arcs**2 - (n_arcs - i) ** 2 + 1 for i in range(n_arcs)]  # concave: earlier arcs preferred
    scale = len(cities) * max(learns, 1) * (max(order) + 1)  # > any sum of tie-break weights
    bonus = len(cities) * max(learns, 1) * 1000 * scale + 1  # > any total potential (p10 <= 1000 per pair)
    supply = len(cities) * learns
    g = nx.DiGraph()
    g.add_node("source", demand=-supply)
    g.add_node("sink", demand=supply)
    g.add_edge("source", "sink", capacity=supply, weight=0)
    for city in cities:
        g.add_edge("source", ("learner", city), capacity=1, weight=-bonus)  # the first time a city learns
        if learns > 1:
            g.add_edge("source", ("again", city), capacity=learns - 1, weight=0)
            g.add_edge(("again", city), ("learner", city), capacity=learns - 1, weight=0)
        g.add_edge(("mentor", city), "sink", capacity=k, weight=0)
    for i in usable:
        a = arcs[i]
        cost = -a["p10"] * scale + order[i]
        learner, mentor = ("learner", a["learner"]), ("mentor", a["mentor"])
        if learns == 1:  # one arc per learner: areas and mentors cannot repeat, keep the best arc per pair
            if not g.has_edge(learner, mentor) or cost < g[learner][mentor]["weight"]:
                g.add_edge(learner, mentor, capacity=1, weight=cost, arc=i)
            continue
        area, pair = ("area", a["learner"], a["area"]), ("pair", a["learner"], a["mentor"])
        g.add_edge(learner, area, capacity=1, weight=0)
        g.add_edge(pair, mentor, capacity=1, weight=0)
        g.add_edge(area, pair, capacity=1, weight=cost, arc=i)
    _, flow = nx.network_simplex(g)
    chosen = sorted(d["arc"] for u, v, d in g.edges(data=True) if "arc" in d and flow[u][v])
    return [arcs[i] for i in chosen]


def _usable(arcs: list[dict], cities: list[str], k: int) -> list[int]:
    """The indices of the pairs some plan with the most learners and the largest total potential uses (for
    `learns = 1`); the tie-break only chooses among such plans, so the plan made from these alone is the same.

    A pair's potential is the mentor's score minus the learner's (both in tenths), so the first two goals need
    no pair-by-pair arcs: per area, the mentors stand in a chain from the lowest score up, and a learner enters
    it at the lowest mentor it may learn from (about 10,000 arcs for 500 cities instead of about 300,000). That
    small flow is solved; shortest distances in its residual network then price every node (an optimal dual),
    and a pair is usable only when its cost is exactly what the prices allow: its path has no capacity of its
    own, so in every best plan each edge a unit takes has zero reduced cost (complementary slackness)."""
    ten = {}  # (city, area) -> score in tenths (scores are rounded to 0.1, so p10 = mentor's - learner's)
    for a in arcs:
        ten[a["learner"], a["area"]] = round(a["ls"] * 10)
        ten[a["mentor"], a["area"]] = round(a["ms"] * 10)
    bonus = 1000 * len(cities) + 1  # more than any total potential: more learners first
    g = nx.DiGraph()
    g.add_node("source", demand=-len(cities))
    g.add_node("sink", demand=len(cities))
    g.add_edge("source", "sink", capacity=len(cities), weight=0)
    entry: dict[tuple, tuple] = {}  # (learner, area) -> its lowest allowed mentor's (score, city)
    chains: dict[str, set] = {}
    for a in arcs:
        here = (ten[a["mentor"], a["area"]], a["mentor"])
        chains.setdefault(a["area"], set()).add(here)
        key = (a["learner"], a["area"])
        entry[key] = min(entry.get(key, here), here)
    for city in cities:
        g.add_edge("source", ("learner", city), capacity=1, weight=-bonus)
        g.add_edge(("mentor", city), "sink", capacity=k, weight=0)
    for area, chain in chains.items():
        chain = sorted(chain)
        for (score, mentor), (_, higher) in zip(chain, chain[1:] + [(None, None)], strict=True):
            g.add_edge(("chain", area, mentor), ("mentor", mentor), weight=-score)
            if higher is not None:
                g.add_edge(("chain", area, mentor), ("chain", area, higher), weight=0)
    for (learner, area), (_, mentor) in entry.items():
        g.add_edge(("learner", learner), ("chain", area, mentor), weight=ten[learner, area])
    _, flow = nx.network_simplex(g)
    residual = nx.DiGraph()
    for u, v, d in g.edges(data=True):
        if flow[u][v] < d.get("capacity", float("inf")):
            _cheaper(residual, u, v, d["weight"])
        if flow[u][v] > 0:
            _cheaper(residual, v, u, -d["weight"])
    residual.add_edges_from((("root", n) for n in g), weight=0)
    price = nx.single_source_bellman_ford_path_length(residual, "root")
    return [i for i, a in enumerate(arcs)
            if price[("learner", a["learner"])] - a["p10"] - price[("mentor", a["mentor"])] == 0]


def _cheaper(g: nx.DiGraph, u, v, weight: int) -> None:
    if not g.has_edge(u, v) or weight < g[u][v]["weight"]:
        g.add_edge(u, v, weight=weight)
