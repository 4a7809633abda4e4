"""`icf store backup`: a consistent copy of a live store, taken while the app keeps saving.

SQLite: the online backup API copies the database page by page under its own locks (a plain file copy of a
WAL database in use can miss the last commits). PostgreSQL: `pg_dump --format=custom`, one consistent snapshot,
restored with `pg_restore --clean --if-exists --dbname URL FILE`. Either way the file appears whole or not at
all: it is written beside its destination and renamed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa

from ..errors import ICFError


def backup(url: str, dest: Path) -> Path:
    """Copy the store at `url` into the new file `dest`; returns its absolute path."""
    dest = Path(dest).resolve()
    if dest.exists():
        raise ICFError(f"{dest} exists already: give a new file name (backups are never overwritten)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial")
    parsed = sa.engine.make_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite(Path(parsed.database or ""), partial)
        elif parsed.get_backend_name() == "postgresql":
            _pg_dump(parsed, partial)
        else:
            raise ICFError(f"no backup for {parsed.get_backend_name()} stores: use that database's own tools")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def _sqlite(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise ICFError(f"no answer store at {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def pg_dump_program() -> str:
    """pg_dump from PATH, else Debian's newest (/usr/lib/postgresql/N/bin): it must be as new as the server."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), key=lambda p: int(p.parts[-3]))
    program = str(found[-1]) if found else shutil.which("pg_dump")
    if not program:
        raise ICFError("pg_dump is missing: install PostgreSQL's client programs (Debian: `apt-get install "
                       "postgresql-client`)")
    return program


def _pg_dump(parsed: sa.URL, partial: Path) -> None:
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password  # not on the command line, where `ps` would show it
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run([pg_dump_program(), "--format=custom", "--no-owner", f"--file={partial}",
                           f"--dbname={conninfo}"], capture_output=True, text=True, env=env)
    if done.returncode:
        raise ICFError(f"pg_dump failed: {done.stderr.strip()}")
