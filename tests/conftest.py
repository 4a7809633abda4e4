"""Fixtures shared by several test modules."""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def need_chromium() -> None:
    """Skip when Debian's Chromium is missing, except in CI (CI=true), where that is a failure."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install Debian's chromium (`make system-deps`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium():
    """A headless Debian Chromium driven by Playwright (sync API); never a downloaded browser build."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# -- PostgreSQL ---------------------------------------------------------------------------------------------------

def _pg_bin(name: str) -> Path | None:
    """A PostgreSQL server program: from PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    import shutil

    found = shutil.which(name)
    if found:
        return Path(found)
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return versions[-1] if versions else None


def need_postgres() -> tuple[Path, Path]:
    """initdb and pg_ctl; skip when Debian's postgresql is missing, except in CI, where that is a failure."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    message = "PostgreSQL's initdb/pg_ctl are missing: install Debian's postgresql (`make system-deps`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def throwaway_postgres():
    """A throwaway PostgreSQL cluster on a free loopback port, in a temporary folder, removed afterwards.

    initdb and pg_ctl refuse to run as root: as root they run as the `postgres` user Debian's package makes, in
    a folder that user owns. Yields the server's base URL (trust authentication, user postgres); make databases
    on it with `postgres_database`. Also used by benchmarks/store_concurrency.py.
    """
    import shutil
    import subprocess
    import tempfile

    initdb, pg_ctl = need_postgres()
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:
        import pwd

        owner = pwd.getpwnam("postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="icf-pg-"))
    if owner:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data, port = base / "data", free_port()
    env = dict(os.environ, LC_ALL="C.UTF-8")
    try:
        subprocess.run([*as_user, str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"], check=True, capture_output=True, env=env)
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} -c fsync=off "
                   "-c max_connections=200")
        subprocess.run([*as_user, str(pg_ctl), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w",
                        "start"], check=True, capture_output=True, env=env)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, env=env)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """The session's throwaway PostgreSQL server (see `throwaway_postgres`): its base URL."""
    with throwaway_postgres() as url:
        yield url


def postgres_database(server: str, name: str) -> str:
    """A new, empty database on the throwaway server; returns its URL."""
    import psycopg

    with psycopg.connect(server.replace("+psycopg", "") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The URL of a new, empty answer store, on each backend in turn (SQLite file; PostgreSQL database)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'icf.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    return postgres_database(server, f"t{abs(hash(request.node.nodeid)) % 10**12}")
