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
#   title: Facilitator console
# ---

# %%
# The facilitator console, served by Voilà with `icf dashboard` (sources stripped, so nothing here is shown).
# Facilitators open it from their link (?code=..., issued with `icf dashboard codes add --role facilitator`;
# add &lang=cy for another language).
# All logic is in `icframework.app.console` and `icframework.app.operations`.
from icframework.app.console import preload
from icframework.app.voila import page_setup, query_string

app = preload()  # runs in a preheated kernel, before anyone connects: the store and settings
page_setup()  # the stylesheet and the page script the form uses (main landmark, the tab's title)

# %%
app.open(query_string())  # waits for the facilitator's request, then shows the console (or a clear message)
