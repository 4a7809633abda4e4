"""Action plans in the store: the validated plan files loaded into the `actions` table for queries."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from ..model.actions import ActionPlan
from ..model.types import check_slug
from .schema import actions as actions_table
from .store import Store


def load_into_store(store: Store, plans: list[ActionPlan], actor: str = "icf actions load") -> int:
    """Replace each plan's city's actions in the store with the plan's (one transaction). Returns the count."""
    stamp = dt.datetime.now(dt.UTC)
    with store.engine.begin() as conn:
        for plan in plans:
            conn.execute(actions_table.delete().where(actions_table.c.city == plan.city))
            conn.execute(actions_table.insert(), [{
                "city": plan.city, "action_id": a.id, "title": a.title, "areas": ",".join(a.areas),
                "principles": ",".join(a.principles), "owner": a.owner, "start": a.start, "due": a.due,
                "status": a.status, "note": a.note, "synthetic": plan.synthetic, "loaded_at": stamp,
            } for a in plan.actions])
            store._audit(conn, actor, "load_actions", city=plan.city, new=f"{len(plan.actions)} actions")
    return sum(len(p.actions) for p in plans)


def actions_frame(store: Store, city: str | None = None) -> pd.DataFrame:
    """The actions loaded into the store, one row each (areas and principles as comma-separated codes)."""
    q = sa.select(actions_table).order_by(actions_table.c.city, actions_table.c.action_id)
    if city:
        q = q.where(actions_table.c.city == check_slug(city, "city"))
    with store.engine.connect() as conn:
        return pd.read_sql(q, conn)
