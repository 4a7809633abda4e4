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
# # City diagnostic
#
# Where one city stands in one self-assessment round: scores by area of action and by principle, where the
# taskforce disagrees, which sectors answered, how much evidence backs the answers and what changed since the
# city's previous round. Every number is computed by `icframework.analysis` (documented and unit-tested
# there); this workbook shows them and writes `diagnostics.json`, which the briefs are made from.
#
# Run it for another city or round with papermill, for example
# `papermill workbooks/city_diagnostic.ipynb out.ipynb -p city cardiff -p round_id virtual-2020`,
# or for every city at once with `icf run`.

# %% tags=["parameters"]
city = "bristol"  # city slug: a folder of the cities folder
round_id = "virtual-2020"  # a round in the answer store
framework = None  # None: the round's own framework; or a bundled framework name or a YAML path
programme_dir = None  # None: $ICF_PROGRAMME, else the nearest programme.yaml from this folder upwards
store_url = None  # None: $ICF_STORE_URL, else the programme's store
cities_dir = None  # None: $ICF_CITIES, else the programme's cities, else the example programme icframework carries
output_dir = None  # None: the programme's build folder /<round_id>/<city>
reference_date = None  # action-plan progress on this date ("YYYY-MM-DD"); None: the round's convening date

# %%
# Checks the parameters (an unknown city or round, or a slug with '/' or '..', stops here with a clear error),
# reads the answers once, writes diagnostics.json atomically and keeps the report in this notebook's outputs,
# so `jupyter nbconvert --to icf-pdf` makes the brief from any executed copy.
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
    report = reports.city_report(store, city, round_id, framework=framework, cities=settings.cities)
    report = exchange.enrich_report(report, store=store, reference=reference_date,  # practices, peers, actions
                                    cities_root=settings.cities, extra_practices=settings.extra_practices)
finally:
    store.close()
written = reports.write_json(report, Path(output_dir or settings.build / round_id / city) / "diagnostics.json")
display(charts.summary(report))
Embedded(report)  # the report rides in this notebook: nbconvert --to icf-pdf works on any copy

# %% [markdown]
# ## Scores by area of action
#
# Scores run from 0 to 100 and are weighted by question weight. *n* is the number of scored answers behind a
# score; a *thin* score rests on too few answers to say much. *Don't know* answers are counted on their own and
# *not applicable* answers lower the maximum: neither counts as zero.

# %%
display(charts.area_chart(report))
frame(report.areas).set_index("code")

# %% [markdown]
# ## Principles, and principles by area

# %%
display(frame(report.principles).set_index("code"))
charts.matrix_chart(report)

# %% [markdown]
# ## Where the taskforce disagrees
#
# The questions with the widest spread of levels (population standard deviation) among the respondents.

# %%
frame(report.disagreements, columns=["code", "text", "spread", "levels", "n"])

# %% [markdown]
# ## Strengths and gaps
#
# The best and weakest areas and questions, leaving out thin scores. The overall tier and the share of core
# questions at *Developing* or above follow.

# %%
display(frame(report.strengths + report.gaps, columns=["kind", "code", "title", "score", "n"]).assign(
    side=["strength"] * len(report.strengths) + ["gap"] * len(report.gaps)))
pd.Series({**report.overall.model_dump(), **{f"core_{k}": v for k, v in report.core.model_dump().items()}},
          name=report.city.name)

# %% [markdown]
# ## Who answered, and with what evidence

# %%
sectors = report.sectors
display(pd.DataFrame({"answers": sectors.answered, "respondents": sectors.respondents}).assign(
    expected=lambda d: d.index.isin(sectors.expected), missing=lambda d: d.index.isin(sectors.missing),
    thin=lambda d: d.index.isin(sectors.thin)))
frame(report.evidence.areas).set_index("code").assign(overall=report.evidence.share)

# %% [markdown]
# ## Every question

# %%
frame(report.questions).set_index("code").drop(columns=["text"])

# %% [markdown]
# ## Knowledge exchange: practices, peers and the action plan
#
# Practices from other cities that fit this city's weakest areas and principles (`icframework.model.practices`),
# the city's pairs in the round's peer-learning plan (`icframework.analysis.matching`) and the progress of its action
# plan (`cities/<slug>/actions.yaml`, `icframework.model.actions`) on the reference date.

# %%
display(frame(report.practices or [], columns=["id", "city", "title", "matched", "why"]))
display(frame(report.peers or [], columns=["role", "area", "learner", "mentor", "potential", "why"]))
actions = report.actions
print(report.peers_notice or "", (actions.notice or "") if actions else "No action plan for this city yet.",
      sep="\n")
frame(actions.items if actions else [], columns=["id", "title", "owner", "due", "status", "state", "flags"])
