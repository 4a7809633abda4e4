"""Read-only access codes for the Voilà apps beside the form: a city's dashboard and the facilitator console.

A **taskforce** code opens one city's dashboard (the city it was issued for, and no other); a **facilitator**
code opens the console and any city's dashboard. A taskforce code never opens the console. Codes are shown once,
when issued, and only their SHA-256 hash is kept (the same hash as the form's links, `store.hash_code`); a
revoked code opens nothing. Issuing and revoking are audited like every other change to the store.

    code = issue_code(store, "taskforce", city="bristol", label="Bristol taskforce")   # -> (AccessCode, code)
    check_code(store, code, "taskforce", city="bristol")                                 # AccessDenied if not
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import AccessDenied, ICFError, NotFoundError
from ..model.types import check_slug
from .schema import access_codes, audit_log
from .store import Store, bump_revision, hash_code, now

ROLES = ("taskforce", "facilitator")
DENIED = "This link is not valid. Please check it, or ask your facilitator for a new one."
WITHDRAWN = "This link has been withdrawn. Please ask your facilitator for a new one."
INCOMPLETE = "This link is incomplete: it needs your access code."


@dataclass(frozen=True)
class AccessCode:
    id: int
    role: str
    city: str | None
    label: str
    status: str
    created_at: dt.datetime

    @property
    def active(self) -> bool:
        return self.status == "active"


def issue_code(store: Store, role: str, *, city: str | None = None, label: str = "",
               actor: str = "facilitator") -> tuple[AccessCode, str]:
    """A new access code (returned once, with its record; only the hash is stored). A taskforce code needs its
    city; a facilitator code has none."""
    if role not in ROLES:
        raise ICFError(f"unknown role {role!r}: use {' or '.join(ROLES)}")
    if role == "taskforce":
        if not city:
            raise ICFError("a taskforce code is for one city: give --city")
        check_slug(city, "city")
    elif city:
        raise ICFError("a facilitator code is for every city: leave out --city")
    code = secrets.token_urlsafe(16)
    label = label or (f"{city} taskforce" if role == "taskforce" else "facilitator")
    with store.engine.begin() as conn:
        cid = conn.execute(access_codes.insert().values(
            role=role, city=city, label=label, code_hash=hash_code(code), status="active",
            created_at=now())).inserted_primary_key[0]
        _audit(conn, actor, "issue_access_code", city, f"{role} code {cid} ({label})")
    return code_record(store, cid), code


def code_record(store: Store, code_id: int) -> AccessCode:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(access_codes).where(access_codes.c.id == code_id)).mappings().first()
    if not row:
        raise NotFoundError(f"no access code with id {code_id} (`icf dashboard codes list` shows them)")
    return _record(row)


def list_codes(store: Store, *, role: str | None = None, city: str | None = None) -> list[AccessCode]:
    """The codes issued (never the codes themselves), by role, city and id."""
    q = sa.select(access_codes).order_by(access_codes.c.role, access_codes.c.city, access_codes.c.id)
    if role:
        q = q.where(access_codes.c.role == role)
    if city:
        q = q.where(access_codes.c.city == city)
    with store.engine.connect() as conn:
        return [_record(r) for r in conn.execute(q).mappings()]


def revoke_code(store: Store, code_id: int, actor: str = "facilitator") -> AccessCode:
    """Withdraw a code: its links open nothing any more (issue a new one to let the person back in)."""
    record = code_record(store, code_id)
    with store.engine.begin() as conn:
        conn.execute(access_codes.update().where(access_codes.c.id == code_id)
                     .values(status="revoked", revoked_at=now()))
        _audit(conn, actor, "revoke_access_code", record.city, f"{record.role} code {code_id} ({record.label})",
               old=record.status)
    return code_record(store, code_id)


def check_code(store: Store, code: str | None, role: str, city: str | None = None) -> AccessCode:
    """The active code `code` if it opens `role`'s app (for `city`, on a dashboard); AccessDenied otherwise,
    with the same message whether the code is unknown, for another city or for another app, so that a link
    reveals nothing about codes or cities it does not open."""
    if role not in ROLES:
        raise ICFError(f"unknown role {role!r}: use {' or '.join(ROLES)}")
    if not code or (role == "taskforce" and not city):
        raise AccessDenied(INCOMPLETE if not code else "This link is incomplete: it needs the city and your "
                           "access code.")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(access_codes).where(access_codes.c.code_hash == hash_code(code))) \
            .mappings().first()
    if not row:
        raise AccessDenied(DENIED)
    record = _record(row)
    opens = record.role == "facilitator" or (role == "taskforce" and record.city == city)
    if not opens:
        raise AccessDenied(DENIED)
    if not record.active:
        raise AccessDenied(WITHDRAWN)
    return record


def _audit(conn: sa.Connection, actor: str, action: str, city: str | None, new: str, old: str | None = None) -> None:
    conn.execute(audit_log.insert().values(at=now(), actor=actor, action=action, city=city, field="access_code",
                                           old=old, new=new))
    bump_revision(conn)


def _record(row) -> AccessCode:
    return AccessCode(row["id"], row["role"], row["city"], row["label"], row["status"], row["created_at"])
