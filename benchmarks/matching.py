"""Peer matching: the min-cost flow (icframework.analysis.matching) against a three-stage MILP baseline, same inputs.

The baseline is the first implementation: scipy.optimize.milp (HiGHS) solved three times (most learners, then
the largest total potential, then the tie-break). Both must give the same number of learners and the same total.
Prints seconds per plan and the baseline / flow ratio for random rounds of 12 to 200 cities (5 areas each);
then the flow with and without leaving out first the pairs no best plan uses (`matching._usable`) for 100 to 500
cities: seconds, the ratio, and whether both give the very same plan.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

import icframework.analysis.matching as matching

BASELINE_UP_TO = 50  # the MILP takes ~45 s at 100 cities and ~4 min at 200


def milp_plan(arcs: list[dict], cities: list[str], k: int, learns: int) -> list[dict]:
    learners = sorted({a["learner"] for a in arcs})
    n_x, n_y = len(arcs), len(learners)
    rows, groups = [], {}
    for i, a in enumerate(arcs):
        for key in (("learn", a["learner"]), ("mentor", a["mentor"]), ("pair", a["learner"], a["mentor"]),
                    ("area", a["learner"], a["area"])):
            groups.setdefault(key, []).append(i)
    limit = {"learn": learns, "mentor": k, "pair": 1, "area": 1}
    rows += [({i: 1.0 for i in idx}, 0, limit[key[0]]) for key, idx in groups.items() if len(idx) > limit[key[0]]]
    rows += [({n_x + j: 1.0} | {i: -1.0 for i in groups[("learn", c)]}, -np.inf, 0) for j, c in enumerate(learners)]

    def solve(c, extra=()):
        all_rows = rows + list(extra)
        a = lil_matrix((len(all_rows), n_x + n_y))
        for r, (coef, _, _) in enumerate(all_rows):
            for i, v in coef.items():
                a[r, i] = v
        cons = LinearConstraint(a.tocsr(), [lo for _, lo, _ in all_rows], [hi for *_, hi in all_rows])
        res = milp(c, integrality=np.ones_like(c), bounds=Bounds(0, 1), constraints=[cons],
                   options={"mip_rel_gap": 0.0})
        return np.round(res.x).astype(int)

    c1 = np.r_[np.zeros(n_x), -np.ones(n_y)]
    fix1 = ({n_x + j: 1.0 for j in range(n_y)}, -c1 @ solve(c1) - 0.5, np.inf)
    c2 = np.r_[-np.array([a["p10"] for a in arcs], dtype=float), np.zeros(n_y)]
    fix2 = ({i: float(a["p10"]) for i, a in enumerate(arcs)}, -c2 @ solve(c2, [fix1]) - 0.5, np.inf)
    c3 = np.r_[[n_x**2 - (n_x - i) ** 2 + 1 for i in range(n_x)], np.zeros(n_y)].astype(float)
    x = solve(c3, [fix1, fix2])
    return [a for i, a in enumerate(arcs) if x[i]]


def timed(scores: pd.DataFrame) -> tuple[float, matching.Plan]:
    start = time.perf_counter()
    plan = matching.match(scores)
    return time.perf_counter() - start, plan


def main() -> None:
    rng = np.random.default_rng(2019)
    flow, usable = matching._optimise, matching._usable
    print(f"{'cities':>6} {'flow s':>8} {'MILP s':>8} {'ratio':>7}  learners  total potential")
    for n in (12, 25, 50, 100, 200):
        scores = random_round(rng, n)
        matching._optimise = flow
        t_flow, plan = timed(scores)
        base = "-"
        ratio = "-"
        if n <= BASELINE_UP_TO:
            matching._optimise = milp_plan
            t_milp, ref = timed(scores)
            assert (ref.learners, ref.total_potential) == (plan.learners, plan.total_potential)
            base, ratio = f"{t_milp:8.2f}", f"{t_milp / t_flow:6.1f}x"
        print(f"{n:>6} {t_flow:8.2f} {base:>8} {ratio:>7}  {plan.learners:>8}  {plan.total_potential:>15}")
    print(f"\n{'cities':>6} {'pairs':>7} {'usable':>7} {'all s':>7} {'usable s':>8} {'ratio':>6}  same plan")
    for n in (100, 200, 500):
        scores = random_round(rng, n)
        matching._optimise = functools.partial(flow, reduce=False)
        t_all, whole = timed(scores)
        matching._optimise = flow
        kept = []
        matching._usable = functools.partial(counted, kept, usable)
        t_usable, plan = timed(scores)
        matching._usable = usable
        print(f"{n:>6} {kept[0][0]:>7} {kept[0][1]:>7} {t_all:7.2f} {t_usable:8.2f} {t_all / t_usable:5.1f}x  "
              f"{plan.pairs == whole.pairs}")
    matching._optimise = flow


def counted(kept: list, usable, arcs, cities, k):
    """`usable`, noting how many pairs there were and how many it kept."""
    chosen = usable(arcs, cities, k)
    kept.append((len(arcs), len(chosen)))
    return chosen


def random_round(rng, n: int) -> pd.DataFrame:
    """Area scores of `n` cities as reports give them (0.1 point), 5 areas, about 1 in 20 thin."""
    return pd.DataFrame([{"city": f"c{i:03d}", "area": f"A{a}", "score": round(float(rng.uniform(0, 100)), 1),
                          "n": 10, "thin": bool(rng.random() < 0.05)} for i in range(n) for a in range(1, 6)])


if __name__ == "__main__":
    main()
