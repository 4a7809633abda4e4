"""The answer store with many processes at once, on SQLite and on a throwaway PostgreSQL (Debian's).

The four cases of tests/test_store_concurrency.py, with their figures printed: answers lost, saves or opens
failed, audit rows out of chain, duplicate labels. Every figure should read 0 on both backends.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the scenarios and the throwaway cluster live with the tests

from _common import machine  # noqa: E402
from conftest import postgres_database, throwaway_postgres  # noqa: E402
from test_store_concurrency import (  # noqa: E402
    eight_processes_issue_links,
    eight_processes_open_an_empty_database,
    eight_writers_on_one_respondent,
    same_answer_different_fields,
)

SHOWN = ("trials", "saves", "opens", "links", "lost", "failed", "audit_breaks", "duplicate_labels")


def measure(backend: str, new_url) -> None:
    cases = [
        ("same answer, different fields (3 processes)", lambda: same_answer_different_fields(new_url("a"))),
        ("8 writers on one respondent", lambda: eight_writers_on_one_respondent(new_url("b"))),
        ("8 processes opening an empty database x5",
         lambda: eight_processes_open_an_empty_database([new_url(f"c{i}") for i in range(5)])),
        ("8 processes issuing 10 links each", lambda: eight_processes_issue_links(new_url("d"))),
    ]
    for name, run in cases:
        start = time.perf_counter()
        figures = run()
        shown = ", ".join(f"{k} {figures[k]}" for k in SHOWN if k in figures)
        print(f"{backend:10} {name:45} {shown}  ({time.perf_counter() - start:.1f} s)")
        for error in figures.get("errors", [])[:2]:
            print("           ", error.strip().splitlines()[-1])


def main() -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        measure("sqlite", lambda name: f"sqlite:///{tmp}/{name}.sqlite3")
    with throwaway_postgres() as server:
        measure("postgresql", lambda name: postgres_database(server, name))


if __name__ == "__main__":
    main()
