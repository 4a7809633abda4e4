"""A per-city summary of what the store holds, and a round's progress."""

from __future__ import annotations

import pandas as pd

from ..i18n import N_, Translator
from ..store.store import Store

# The tables' columns as people read them (`headed`); the tables themselves keep these English names (JSON, code).
HEADINGS = {"city": N_("city"), "answers": N_("answers"), "respondents": N_("respondents"), "sectors": N_("sectors"),
            "rounds": N_("rounds"), "synthetic": N_("synthetic"), "sector": N_("sector"), "people": N_("people"),
            "submitted": N_("submitted"), "answered": N_("answered"), "of": N_("of"), "share": N_("share")}


def headed(table: pd.DataFrame, tr: Translator) -> pd.DataFrame:
    """`table` with its column names in `tr`'s language, for printing (the same table in English)."""
    return table.rename(columns={c: tr._(HEADINGS[c]) for c in table.columns if c in HEADINGS})


def city_summary(store: Store, round_id: str | None = None) -> pd.DataFrame:
    """One row per city: answers, respondents, sectors, rounds and whether the data is synthetic."""
    df = store.answers_frame(round_id)
    if df.empty:
        return pd.DataFrame(columns=["city", "answers", "respondents", "sectors", "rounds", "synthetic"])
    out = (
        df.groupby("city")
        .agg(
            answers=("question", "size"),
            respondents=("respondent_id", "nunique"),
            sectors=("sector", "nunique"),
            rounds=("round", "nunique"),
            synthetic=("synthetic", "any"),
        )
        .reset_index()
    )
    return out


def round_progress(store: Store, round_id: str) -> pd.DataFrame:
    """Response progress of a round, one row per city and sector: people (links not withdrawn), submitted,
    answered (questions with an answer) and the share of the questions those people could answer."""
    questions = len(store.framework_for(round_id).questions)
    people = store.respondents_frame(round_id)
    people = people[people["status"] != "revoked"]
    columns = ["city", "sector", "people", "submitted", "answered", "of", "share"]
    if people.empty:
        return pd.DataFrame(columns=columns)
    answers = store.answers_frame(round_id)
    answered = answers[answers["response"].notna()].groupby("respondent_id").size()
    people = people.assign(answered=people["respondent_id"].map(answered).fillna(0).astype(int),
                           submitted=people["status"] == "submitted")
    out = people.groupby(["city", "sector"]).agg(people=("respondent_id", "size"), submitted=("submitted", "sum"),
                                                 answered=("answered", "sum")).reset_index()
    out["of"] = out["people"] * questions
    out["share"] = (out["answered"] / out["of"]).map("{:.0%}".format)
    return out[columns]
