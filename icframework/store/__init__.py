"""The answer store and what moves data in and out of it.

`Store` (store.py) over the tables of schema.py; exports and the all-or-nothing import (transfer.py); action
plans loaded for queries (plans.py); the synthetic demo data (demo.py).
"""

from .store import Respondent, Round, Store, bulk_answers

__all__ = ["Respondent", "Round", "Store", "bulk_answers"]
