"""A per-city summary of what the store holds."""

from __future__ import annotations

import pandas as pd

from ..store.store import Store


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
