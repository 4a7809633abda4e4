"""Diagnostics: scores, agreement, coverage and change, computed from the answers table.

The input is `Store.answers_frame(...)` (one row per answer) and the `Framework`. Every function here is pure
(a DataFrame in, a DataFrame or plain data out); `icframework.analysis.reports` assembles them into the reports
the briefs are made from.

How answers become scores
-------------------------
- An answer with response ``level`` *scores* ``level / max_level * 100`` (0-100).
- *Not applicable* (``na``) is left out of the score: the question leaves that respondent's maximum, so the
  weighted mean over the remaining answers equals "points earned / points possible" with the maximum lowered.
- *Don't know* (``dont_know``) is never a zero: it is left out of the score and counted on its own.
- A row whose response is empty (text only) is *unanswered*, as is a question a respondent has no row for.
- Answers of revoked respondents and answers to questions the framework does not hold are ignored.

Aggregation (``n`` is always the number of scored answers behind a score):

- question: the mean of its respondents' level scores;
- area: the mean of the level scores of all answers to its questions, weighted by question weight;
- principle: the same over all answers to the questions linked to the principle;
- principle x area cell: the same over answers to the area's questions linked to the principle;
- overall: the same over all scored answers.

A score with ``n < framework.thin_threshold`` is *thin*: still shown, always marked, and never used to name a
strength, a gap or the strongest city. A score with ``n == 0`` is null.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..model.framework import Framework

SAME_WITHIN = 2.0  # a change of at most this many points counts as "same"


# -- preparing answers -------------------------------------------------------------------------------------
def questions_frame(fw: Framework) -> pd.DataFrame:
    """One row per framework question: question, area, weight, core, text (in framework order)."""
    return pd.DataFrame(
        [(q.code, q.area, float(q.weight), q.core, q.text) for q in fw.questions],
        columns=["question", "area", "weight", "core", "text"],
    )


def links_frame(fw: Framework) -> pd.DataFrame:
    """One row per (question, principle) link of the framework."""
    return pd.DataFrame([(q.code, p) for q in fw.questions for p in q.principles], columns=["question", "principle"])


def prepare(answers: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The answers the framework can use, with area, weight, core, `answered`, `scored`, `score`, `backed`.

    `backed` is true when a scored answer has evidence or links (non-blank). A frame that is already prepared
    is returned as it is, so every function below accepts either form.
    """
    if "scored" in answers.columns:
        return answers
    df = answers
    if "status" in df.columns:
        df = df[df["status"] != "revoked"]
    df = df.drop(columns=[c for c in ("area", "weight", "core", "text") if c in df.columns])
    df = df.merge(questions_frame(fw), on="question", how="inner")
    response = df["response"].astype(object)
    scored = (response == "level") & df["level"].notna()
    level = pd.to_numeric(df["level"], errors="coerce").astype(float)

    def filled(col: str) -> pd.Series:
        if col not in df.columns:
            return pd.Series(False, index=df.index)
        return df[col].fillna("").astype(str).str.strip() != ""

    return df.assign(
        answered=response.notna(),
        scored=scored,
        dont_know=response == "dont_know",
        na=response == "na",
        level=level.where(scored),
        score=(level / fw.scale.max_level * 100).where(scored),
        backed=scored & (filled("evidence") | filled("links")),
    )


def question_table(answers: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per framework question (index: code, in framework order): area, weight, core, text, `total` (the sum of its
    level scores), n, dont_know, na and `levels` (sorted). A table passed in again is returned as it is.

    Every score is computed from this table: all answers to a question share its weight, so a weighted mean over
    answers is sum(weight * total) / sum(weight * n) over the questions concerned.
    """
    if "total" in answers.columns:
        return answers
    df = prepare(answers, fw)
    scored = df[df["scored"]].sort_values("level")
    by_q, all_q = scored.groupby("question"), df.groupby("question")
    out = questions_frame(fw).set_index("question").rename_axis("code")
    out["total"] = by_q["score"].sum()
    out["n"] = by_q.size()
    out["dont_know"] = all_q["dont_know"].sum()
    out["na"] = all_q["na"].sum()
    out = out.fillna({"total": 0.0, "n": 0, "dont_know": 0, "na": 0}).astype({"n": int, "dont_know": int, "na": int})
    levels = by_q["level"].agg(list)
    out["levels"] = [[int(v) for v in levels.get(code, [])] for code in out.index]
    return out


def _roll(table: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """score (weighted mean), n and dont_know per group of a question table."""
    parts = table.assign(ws=table["weight"] * table["total"], wn=table["weight"] * table["n"])
    g = parts.groupby(by)
    out = pd.DataFrame({"ws": g["ws"].sum(), "wn": g["wn"].sum(), "n": g["n"].sum(), "dont_know": g["dont_know"].sum()})
    out["score"] = out["ws"] / out["wn"].where(out["wn"] > 0)
    return out[["score", "n", "dont_know"]]


def _linked(table: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The question table with one row per (question, principle) link."""
    return table.merge(links_frame(fw), left_index=True, right_on="question")


def _finish(out: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    out["n"] = out["n"].fillna(0).astype(int)
    out["dont_know"] = out["dont_know"].fillna(0).astype(int)
    out["score"] = out["score"].astype(float).where(out["n"] > 0)
    out["thin"] = out["n"] < fw.thin_threshold
    return out


# -- scores ------------------------------------------------------------------------------------------------
# Each function takes the answers table, its `prepare`d form or its `question_table`.
def agreement(answers: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per question (index: code): `levels` (sorted list of levels given) and `spread`.

    `spread` is the population standard deviation of the levels (ddof=0); NaN with fewer than two levels.
    """
    out = question_table(answers, fw)[["levels"]].copy()
    out["spread"] = [float(np.std(v)) if len(v) >= 2 else math.nan for v in out["levels"]]
    return out


def question_scores(answers: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """One row per framework question (index: code): area, text, core, weight, score, n, thin, dont_know, na,
    spread and levels. The score is the plain mean of the respondents' level scores."""
    table = question_table(answers, fw)
    out = table.assign(score=table["total"] / table["n"].where(table["n"] > 0))
    out = _finish(out.drop(columns="total"), fw)
    return out.assign(spread=agreement(table, fw)["spread"])


def area_scores(answers: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """One row per area (index: code): title, score (weighted by question weight), n, thin, dont_know."""
    out = pd.DataFrame({"title": [a.title for a in fw.areas]}, index=pd.Index([a.code for a in fw.areas], name="code"))
    return _finish(out.join(_roll(question_table(answers, fw), "area")), fw)


def principle_scores(answers: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """One row per principle (index: code): title, score over the answers to its linked questions, n, thin,
    dont_know. An answer to a question linked to two principles counts in both."""
    out = pd.DataFrame({"title": [p.title for p in fw.principles]},
                       index=pd.Index([p.code for p in fw.principles], name="code"))
    return _finish(out.join(_roll(_linked(question_table(answers, fw), fw), "principle")), fw)


def overall_score(answers: pd.DataFrame, fw: Framework) -> dict:
    """{score, n, thin, dont_know} over every scored answer (weighted by question weight)."""
    table = question_table(answers, fw)
    wn = float((table["weight"] * table["n"]).sum())
    n = int(table["n"].sum())
    score = float((table["weight"] * table["total"]).sum()) / wn if wn > 0 else None
    return {"score": score, "n": n, "thin": n < fw.thin_threshold, "dont_know": int(table["dont_know"].sum())}


def matrix(answers: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Every principle x area cell: principle, area, questions (how many of the area's questions are linked to
    the principle), score, n, thin. A cell with no linked questions has questions 0 and a null score."""
    linked = _linked(question_table(answers, fw), fw)
    grid = pd.MultiIndex.from_product([[p.code for p in fw.principles], [a.code for a in fw.areas]],
                                      names=["principle", "area"])
    out = pd.DataFrame(index=grid)
    out["questions"] = linked.groupby(["principle", "area"]).size()
    out["questions"] = out["questions"].fillna(0).astype(int)
    out = _finish(out.join(_roll(linked, ["principle", "area"])), fw)
    return out.drop(columns="dont_know").reset_index()


def disagreements(answers: pd.DataFrame, fw: Framework, top: int = 5) -> pd.DataFrame:
    """The `top` questions with the widest spread of levels (at least two levels, spread > 0), widest first."""
    a = agreement(answers, fw)
    a = a[a["spread"].notna() & (a["spread"] > 0)].assign(n=lambda d: d["levels"].map(len))
    a = a.reset_index().sort_values(["spread", "code"], ascending=[False, True]).head(top)
    texts = {q.code: q.text for q in fw.questions}
    return a.assign(text=a["code"].map(texts))[["code", "text", "spread", "levels", "n"]].reset_index(drop=True)


# -- coverage ----------------------------------------------------------------------------------------------
def sector_coverage(answers: pd.DataFrame, fw: Framework, expected: list[str] | tuple[str, ...]) -> dict:
    """Which sectors answered, against the sectors the city's taskforce should have.

    answered: answers given (any response) per sector, expected sectors first (0 when silent), then others;
    respondents: respondents per sector; missing: expected sectors with no answer; thin: sectors that answered
    fewer than half of the framework's questions (counting distinct questions across their respondents).
    """
    df = prepare(answers, fw)
    df = df[df["answered"]]
    counts = df.groupby("sector").size()
    people = df.groupby("sector")["respondent_id"].nunique()
    covered = df.groupby("sector")["question"].nunique()
    sectors = list(expected) + sorted(s for s in counts.index if s not in expected)
    half = len(fw.questions) / 2
    return {
        "expected": list(expected),
        "answered": {s: int(counts.get(s, 0)) for s in sectors},
        "respondents": {s: int(people.get(s, 0)) for s in sectors},
        "missing": [s for s in expected if counts.get(s, 0) == 0],
        "thin": [s for s in sectors if 0 < covered.get(s, 0) < half],
    }


def evidence_coverage(answers: pd.DataFrame, fw: Framework) -> dict:
    """Share of scored answers backed by evidence or links: overall and per area (share null when n is 0)."""
    df = prepare(answers, fw)
    s = df[df["scored"]]
    per = s.groupby("area")["backed"].agg(["sum", "size"])
    areas = []
    for a in fw.areas:
        n = int(per["size"].get(a.code, 0))
        areas.append({"code": a.code, "share": share(per["sum"].get(a.code, 0), n), "n": n})
    return {"share": share(s["backed"].sum(), len(s)), "n": int(len(s)), "areas": areas}


# -- change, strengths, tiers, core --------------------------------------------------------------------------
def compare(current: pd.DataFrame, previous: pd.DataFrame | None, same_within: float = SAME_WITHIN) -> pd.DataFrame:
    """Add `previous`, `change` and `direction` to a score table (index: code, column: score).

    direction: "new" when there is no previous score, "same" when |change| <= `same_within` points, else "up" or
    "down"; null when this round has no score to compare.
    """
    out = current.copy()
    prev = previous["score"] if previous is not None else pd.Series(dtype=float)
    scores = [as_float(s) for s in out["score"]]
    before = [as_float(prev.get(code)) for code in out.index]
    change = [None if s is None or p is None else s - p for s, p in zip(scores, before, strict=True)]
    out["previous"] = pd.Series(before, index=out.index, dtype=object)
    out["change"] = pd.Series(change, index=out.index, dtype=object)
    direction = [_direction(s, p, c, same_within) for s, p, c in zip(scores, before, change, strict=True)]
    out["direction"] = pd.Series(direction, index=out.index, dtype=object)
    return out


def _direction(score, previous, change, same_within) -> str | None:
    if score is None:
        return None
    if previous is None:
        return "new"
    if abs(change) <= same_within + 1e-9:
        return "same"
    return "up" if change > 0 else "down"


def strengths_and_gaps(areas: pd.DataFrame, questions: pd.DataFrame, n_areas: int = 2,
                       n_questions: int = 3) -> tuple[list[dict], list[dict]]:
    """The best and worst areas and questions, ignoring thin and null scores.

    strengths: the `n_areas` highest areas, then the `n_questions` highest questions; gaps: the lowest, lowest
    first, leaving out anything already named a strength (so a short list never names one item both ways).
    """
    def pick(table: pd.DataFrame, kind: str, k: int) -> tuple[list[dict], list[dict]]:
        ok = table[table["score"].notna() & ~table["thin"]].reset_index()
        title = "title" if "title" in ok.columns else "text"
        items = [{"kind": kind, "code": r["code"], "title": r[title], "score": float(r["score"]), "n": int(r["n"])}
                 for _, r in ok.iterrows()]
        best = sorted(items, key=lambda i: (-i["score"], i["code"]))[:k]
        named = {i["code"] for i in best}
        worst = [i for i in sorted(items, key=lambda i: (i["score"], i["code"])) if i["code"] not in named][:k]
        return best, worst

    best_a, worst_a = pick(areas, "area", n_areas)
    best_q, worst_q = pick(questions, "question", n_questions)
    return best_a + best_q, worst_a + worst_q


def tier(fw: Framework, score: float | None) -> dict:
    """{tier, tier_description} for an overall score (both null when there is no score)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return {"tier": None, "tier_description": None}
    t = fw.tier(score)
    return {"tier": t.label, "tier_description": t.description}


def core_completeness(questions: pd.DataFrame, fw: Framework, level: int = 2) -> dict:
    """Share of the framework's core questions whose score reaches `level` (as a 0-100 score).

    Core questions without a score count as not met; `n_scored` says how many had one.
    """
    threshold = level / fw.scale.max_level * 100
    core = questions[questions["core"]]
    met = int((core["score"] >= threshold - 1e-9).sum())
    return {"level": level, "threshold": threshold, "share": share(met, len(core)), "n_core": int(len(core)),
            "n_met": met, "n_scored": int(core["score"].notna().sum())}


def as_float(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def share(part, whole) -> float | None:
    return float(part) / whole if whole else None


def _lists(df: pd.DataFrame, *columns: str) -> list[list]:
    """Columns as Python lists (iterating a pandas column boxes each value: ten times slower)."""
    return [df[c].tolist() for c in columns]


# -- many cities and rounds in one pass ----------------------------------------------------------------------
class RoundTables:
    """The tables every report is assembled from, for every (city, round) of `answers` at once: one `prepare`,
    then one grouped pass per kind of figure over all the answers (not a filter per city).

    The figures are the ones the per-city functions above give for that city and round alone (same sums in the
    same order, so the same floating-point values): `question_rows`, `rolled` (area, principle and
    principle x area scores), `people`, `sectors`, `evidence`, `counts`, `quote_rows` and `who`. A (city, round)
    with no usable answer gets the empty figures those functions give for an empty frame.
    """

    def __init__(self, answers: pd.DataFrame, fw: Framework):
        self.fw = fw
        raw = answers
        self.rounds_of: dict[str, set] = {c: set(g) for c, g in raw.groupby("city", sort=False)["round"]} \
            if len(raw) else {}
        keys = list(dict.fromkeys(zip(raw["city"], raw["round"], strict=True)))
        self.keys = keys
        self.slot = {k: i for i, k in enumerate(keys)}
        df = prepare(raw, fw)
        self.prepared = df
        qf = questions_frame(fw)
        nq = len(qf)
        self.nq = nq
        self.codes = list(qf["question"])
        kc = np.array([k[0] for k in keys], dtype=object)
        kr = np.array([k[1] for k in keys], dtype=object)
        grid = pd.DataFrame({"city": np.repeat(kc, nq), "round": np.repeat(kr, nq),
                             "question": np.tile(np.array(self.codes, dtype=object), len(keys))})
        grid["area"] = np.tile(qf["area"].to_numpy(dtype=object), len(keys))
        grid["weight"] = np.tile(qf["weight"].to_numpy(dtype=float), len(keys))
        gkeys = ["city", "round", "question"]
        scored = df[df["scored"]].sort_values("level")
        if len(df):
            by_q = scored.groupby(gkeys, sort=False)
            all_q = df.groupby(gkeys, sort=False)
            idx = pd.MultiIndex.from_frame(grid[gkeys])
            grid["total"] = by_q["score"].sum().reindex(idx).fillna(0.0).to_numpy()
            grid["n"] = by_q.size().reindex(idx).fillna(0).astype(int).to_numpy()
            grid["dont_know"] = all_q["dont_know"].sum().reindex(idx).fillna(0).astype(int).to_numpy()
            grid["na"] = all_q["na"].sum().reindex(idx).fillna(0).astype(int).to_numpy()
        else:
            grid["total"], grid["n"], grid["dont_know"], grid["na"] = 0.0, 0, 0, 0
        self.grid = grid
        self._total = grid["total"].to_numpy(dtype=float)
        self._n = grid["n"].to_numpy(dtype=int)
        self._dk = grid["dont_know"].to_numpy(dtype=int)
        self._na = grid["na"].to_numpy(dtype=int)
        # levels of each (city, round, question), sorted
        levels: dict[tuple, list[int]] = {}
        s = scored.sort_values(gkeys + ["level"], kind="stable")
        for c, r, q, lv in zip(*_lists(s, "city", "round", "question"), s["level"].to_numpy(dtype=int).tolist(),
                               strict=True):
            levels.setdefault((c, r, q), []).append(int(lv))
        self.levels = levels
        # weighted sums: the same per-group sequences as `_roll` on one city's question table
        parts = grid.assign(ws=grid["weight"] * grid["total"], wn=grid["weight"] * grid["n"])
        self.ws = parts["ws"].to_numpy()
        self.wn = parts["wn"].to_numpy()
        links = links_frame(fw)
        per_q = links.groupby("question", sort=False)["principle"].agg(list).to_dict()
        reps = np.array([len(per_q.get(q, [])) for q in self.codes])
        linked = parts.loc[parts.index.repeat(np.tile(reps, len(keys)))].reset_index(drop=True)
        linked["principle"] = np.tile(np.array([p for q in self.codes for p in per_q.get(q, [])], dtype=object),
                                      len(keys))
        self.rolled = {
            "area": self._roll(parts, ["city", "round", "area"]),
            "principle": self._roll(linked, ["city", "round", "principle"]),
            "cell": self._roll(linked, ["city", "round", "principle", "area"]),
        }
        self.cell_questions = links.merge(qf[["question", "area"]], on="question").groupby(
            ["principle", "area"]).size().to_dict()
        # people who gave a level, per area and per principle
        sc = df[df["scored"]]
        scl = sc.merge(links, on="question")
        self.people = {
            "area": sc.groupby(["city", "round", "area"])["respondent_id"].nunique().to_dict(),
            "principle": scl.groupby(["city", "round", "principle"])["respondent_id"].nunique().to_dict(),
        }
        answered = df[df["answered"]]
        by_sector = answered.groupby(["city", "round", "sector"])
        self.sectors: dict[tuple, dict] = {}
        for (c, r, sector), count, people, covered in zip(
                by_sector.size().index, by_sector.size(), by_sector["respondent_id"].nunique(),
                by_sector["question"].nunique(), strict=True):
            self.sectors.setdefault((c, r), {})[sector] = (int(count), int(people), int(covered))
        ev = sc.groupby(["city", "round", "area"])["backed"].agg(["sum", "size"])
        self.evidence = {k: (int(s_), int(n_)) for k, s_, n_ in zip(ev.index, ev["sum"], ev["size"], strict=True)}
        ev_all = sc.groupby(["city", "round"])["backed"].agg(["sum", "size"])
        self.evidence_all = {k: (int(s_), int(n_))
                             for k, s_, n_ in zip(ev_all.index, ev_all["sum"], ev_all["size"], strict=True)}
        g = df.assign(synthetic=df["synthetic"].astype(bool)).groupby(["city", "round"])
        counts = pd.DataFrame({"respondents": g["respondent_id"].nunique(), "answers": g["answered"].sum(),
                               "scored": g["scored"].sum(), "dont_know": g["dont_know"].sum(),
                               "na": g["na"].sum(), "synthetic": g["synthetic"].any()})
        self.counts = {k: {c: (bool(v) if c == "synthetic" else int(v)) for c, v in row.items()}
                       for k, row in counts.to_dict(orient="index").items()}
        self.who: dict[tuple, set] = {}
        for c, r, label, sector in zip(*_lists(answered, "city", "round", "respondent", "sector"), strict=True):
            self.who.setdefault((c, r), set()).add((str(label), str(sector)))
        self.quote_rows = self._quotes(df)

    @staticmethod
    def _roll(parts: pd.DataFrame, by: list[str]) -> dict[tuple, tuple]:
        g = parts.groupby(by, sort=False)
        ws, wn, n, dk = g["ws"].sum(), g["wn"].sum(), g["n"].sum(), g["dont_know"].sum()
        return {k: (a, b, int(c), int(d)) for k, a, b, c, d in zip(ws.index, ws, wn, n, dk, strict=True)}

    @staticmethod
    def _quotes(df: pd.DataFrame) -> dict[tuple, list]:
        """Per (city, round): the scored answers with an evidence note, newest first (as `evidence_quotes` sorts
        them), as (area, question, sector, note, date or None, respondent_id)."""
        if not len(df) or "evidence" not in df.columns:
            return {}
        d = df[df["scored"]]
        d = d.assign(note=d["evidence"].fillna("").astype(str).str.split().str.join(" "))
        d = d[d["note"] != ""]
        stamp = pd.to_datetime(d["updated_at"], errors="coerce", utc=True) if "updated_at" in d.columns else None
        d = d.assign(stamp=stamp if stamp is not None else pd.NaT)
        d = d.sort_values(["city", "round", "stamp", "question", "respondent_id"],
                          ascending=[True, True, False, True, True], na_position="last")
        d = d.assign(date=d["stamp"].dt.strftime("%Y-%m-%d").astype(object).where(d["stamp"].notna(), None))
        out: dict[tuple, list] = {}
        for row in zip(*_lists(d, "city", "round", "area", "question", "sector", "note", "date", "respondent_id"),
                       strict=True):
            out.setdefault(row[:2], []).append(row[2:])
        return out

    # -- per (city, round) ---------------------------------------------------------------------------------
    def question_rows(self, key: tuple) -> list[dict]:
        """`question_scores` of one (city, round), as rows in framework order (score unrounded)."""
        fw, i = self.fw, self.slot.get(key)
        out = []
        for j, q in enumerate(fw.questions):
            if i is None:
                total, n, dk, na = 0.0, 0, 0, 0
            else:
                row = i * self.nq + j
                total, n, dk, na = self._total[row], int(self._n[row]), int(self._dk[row]), int(self._na[row])
            levels = self.levels.get((*key, q.code), [])
            out.append({"code": q.code, "area": q.area, "text": q.text, "core": q.core, "weight": float(q.weight),
                        "principles": list(q.principles), "score": float(total / n) if n > 0 else None, "n": n,
                        "thin": n < fw.thin_threshold, "dont_know": dk, "na": na,
                        "spread": float(np.std(levels)) if len(levels) >= 2 else None, "levels": levels})
        return out

    def scores(self, key: tuple | None, kind: str) -> dict[str, dict]:
        """`area_scores` (kind "area") or `principle_scores` ("principle") of one (city, round): code -> {title,
        score, n, thin, dont_know}. None (no such round) gives None."""
        if key is None:
            return None
        items = self.fw.areas if kind == "area" else self.fw.principles
        rolled = self.rolled[kind]
        out = {}
        for item in items:
            ws, wn, n, dk = rolled.get((*key, item.code), (0.0, 0.0, 0, 0))
            out[item.code] = {"title": item.title, "score": float(ws / wn) if wn > 0 and n > 0 else None, "n": n,
                              "thin": n < self.fw.thin_threshold, "dont_know": dk}
        return out

    def matrix(self, key: tuple) -> list[dict]:
        """`matrix` of one (city, round)."""
        fw, out = self.fw, []
        for p in fw.principles:
            for a in fw.areas:
                ws, wn, n, _ = self.rolled["cell"].get((*key, p.code, a.code), (0.0, 0.0, 0, 0))
                out.append({"principle": p.code, "area": a.code,
                            "questions": int(self.cell_questions.get((p.code, a.code), 0)),
                            "score": float(ws / wn) if wn > 0 and n > 0 else None, "n": n,
                            "thin": n < fw.thin_threshold})
        return out

    def overall(self, key: tuple) -> dict:
        """`overall_score` of one (city, round)."""
        i = self.slot.get(key)
        if i is None:
            n = dk = 0
            ws = wn = 0.0
        else:
            sl = slice(i * self.nq, (i + 1) * self.nq)
            ws, wn = float(self.ws[sl].sum()), float(self.wn[sl].sum())
            n, dk = int(self._n[sl].sum()), int(self._dk[sl].sum())
        return {"score": ws / wn if wn > 0 else None, "n": n, "thin": n < self.fw.thin_threshold, "dont_know": dk}

    def count(self, key: tuple | None) -> dict:
        empty = {"respondents": 0, "answers": 0, "scored": 0, "dont_know": 0, "na": 0, "synthetic": False}
        return self.counts.get(key, empty) if key is not None else empty

    def sector_coverage(self, key: tuple, expected) -> dict:
        """`sector_coverage` of one (city, round)."""
        found = self.sectors.get(key, {})
        sectors = list(expected) + sorted(s for s in found if s not in expected)
        half = len(self.fw.questions) / 2
        get = lambda s, i: found[s][i] if s in found else 0  # noqa: E731
        return {"expected": list(expected), "answered": {s: get(s, 0) for s in sectors},
                "respondents": {s: get(s, 1) for s in sectors},
                "missing": [s for s in expected if get(s, 0) == 0],
                "thin": [s for s in sectors if 0 < get(s, 2) < half]}

    def evidence_coverage(self, key: tuple) -> dict:
        """`evidence_coverage` of one (city, round)."""
        areas = []
        for a in self.fw.areas:
            s_, n = self.evidence.get((*key, a.code), (0, 0))
            areas.append({"code": a.code, "share": share(s_, n), "n": n})
        s_, n = self.evidence_all.get(key, (0, 0))
        return {"share": share(s_, n), "n": n, "areas": areas}
