# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Convening brief
#
# The cities of one round side by side, for the facilitators of a convening: scores by area of action per
# city, the change since each city's previous round, which cities are strongest where (candidates to share
# their practice) and the gaps most cities have in common (topics for the whole group). Every number is
# computed by `icframework.analysis.reports`; this workbook shows them and writes `convening.json`.
#
# `papermill workbooks/convening_brief.ipynb out.ipynb -p round_id virtual-2020` (add `-y "cities: [bristol,
# cardiff]"` to choose the cities), or `icf run`, which runs it beside the city workbooks.

# %% tags=["parameters"]
round_id = "virtual-2020"  # a round in the answer store
cities = None  # None: every city with answers in the round; or a list of slugs (or "slug,slug")
programme_dir = None  # None: $ICF_PROGRAMME, else the nearest programme.yaml from this folder upwards
store_url = None  # None: $ICF_STORE_URL, else the programme's store
cities_dir = None  # None: $ICF_CITIES, else the programme's cities, else the example programme icframework carries
output_dir = None  # None: the programme's build folder /<round_id>/convening

# %%
# Checks the parameters (an unknown round or a bad city slug stops here with a clear error), reads the answers
# once, writes convening.json atomically and keeps the report in this notebook's outputs.
from pathlib import Path

import pandas as pd
from IPython.display import display

from icframework.analysis import charts, exchange, reports, tables
from icframework.analysis.models import Embedded, frame
from icframework.config import Settings

tables.register()  # tables are shown as pandas shows them, made several times faster

settings = Settings.from_environment(programme=programme_dir, store_url=store_url, cities=cities_dir)
store = settings.open_store()
try:
    convening = reports.convening_report(store, round_id, cities=cities, root=settings.cities)
    convening = exchange.enrich_convening(convening)  # the peer-learning plan (`icf match` shows the same)
finally:
    store.close()
written = reports.write_json(convening, Path(output_dir or settings.build / round_id / "convening") / "convening.json")
display(charts.summary(convening))
Embedded(convening)  # the report rides in this notebook: nbconvert --to icf-pdf works on any copy

# %% [markdown]
# ## Scores by city and area of action
#
# Each cell shows the score (0-100) and, in brackets, the change since that city's previous round; `*` marks a
# thin score (too few answers to say much).

# %%
display(charts.convening_heatmap(convening))
pd.DataFrame([{"city": c.slug, "name": c.name, "respondents": c.respondents, "answers": c.answers,
               **c.overall.model_dump()} for c in convening.cities]).set_index("city").drop(columns="tier_description")

# %% [markdown]
# ## Change since the previous round

# %%
heat = frame(convening.heatmap, columns=["city", "area", "score", "change", "direction", "n", "thin"])
heat.pivot(index="city", columns="area", values="change")

# %% [markdown]
# ## Who is strongest where, and the gaps most cities share

# %%
display(pd.DataFrame([{"area": s.area, "title": s.title,
                       "strongest": ", ".join(f"{c.city} ({c.score:.0f})" for c in s.cities)}
                      for s in convening.strongest]).set_index("area"))
frame(convening.common_gaps, columns=["area", "title", "low_in", "of", "mean", "cities"])

# %% [markdown]
# ## Peer-learning pairs
#
# Each city's weakest areas matched with cities strong in them (`icframework.analysis.matching`): the rule in plain
# words, then one row per pair with the scores behind it.

# %%
pairs = convening.pairs
print(pairs.notice or pairs.method)
display(frame(pairs.pairs, columns=["learner", "area", "mentor", "learner_score", "mentor_score", "potential",
                                    "why"]))
frame(pairs.unmatched, columns=["city", "reason"])
