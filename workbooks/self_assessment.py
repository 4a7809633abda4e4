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
#   title: Self-assessment
# ---

# %%
# The self-assessment form a taskforce member fills in, served by Voilà with `icf app` (sources stripped, so
# nothing here is shown). Each person opens it from their own link (?city=...&code=..., issued with
# `icf respondents add`). All logic is in `icframework.app`; markdown cells would be shown, so there are none.
from icframework.app import page_setup, preload, query_string

app = preload()  # runs in a preheated kernel, before anyone connects: the store and settings `icf app` passed
page_setup()  # the stylesheet, and a script that sends what is still being typed when the page closes

# %%
app.open(query_string())  # waits for the person's request, then shows their form (or a clear message)
