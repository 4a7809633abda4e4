# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: title
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   title: City dashboard
# ---

# %%
# A city's diagnostics for its taskforce, served by Voilà with `icf dashboard` (sources stripped, so nothing
# here is shown). Each taskforce opens it from its link (?city=...&code=..., issued with
# `icf dashboard codes add --city CITY`; add &lang=cy for another language). All logic is in
# `icframework.app.dashboard`; viewing writes nothing.
from icframework.app.dashboard import preload
from icframework.app.voila import page_setup, query_string

app = preload()  # runs in a preheated kernel, before anyone connects: the store, and the charts warmed up
page_setup()  # the stylesheet and the page script the form uses (main landmark, the tab's title)

# %%
app.open(query_string())  # waits for the person's request, then shows their city (or a clear message)
