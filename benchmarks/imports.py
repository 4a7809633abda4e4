"""`icf import`: 100,000 rows in one all-or-nothing transaction, against the earlier row-by-row import (one
`save_answer` transaction per row) on the same rows, in the same run. Prints rows per second and the ratio."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine  # noqa: E402

from icframework.model.cities import city_slugs  # noqa: E402
from icframework.store import Store  # noqa: E402
from icframework.store.transfer import import_answers  # noqa: E402

ROWS = 100_000
BASELINE_ROWS = 5_000  # the row-by-row import takes minutes at 100,000 rows


def write_csv(path: Path, rows: int, questions: list[str]) -> None:
    cities = city_slugs()
    with open(path, "w") as fh:
        fh.write("round,city,respondent,sector,question,value,evidence,comment\n")
        for i in range(rows):
            p, q = divmod(i, len(questions))
            fh.write(f"r1,{cities[p % len(cities)]},p{p},employer,{questions[q]},{i % 5},evidence {i},\n")


def fresh(folder: Path, name: str) -> Store:
    store = Store(f"sqlite:///{folder / name}")
    store.create_round("r1", "inclusive-cities")
    return store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = fresh(folder, "new.sqlite3")
        questions = [q.code for q in store.framework_for("r1").questions]
        big, small = folder / "big.csv", folder / "small.csv"
        write_csv(big, ROWS, questions)
        write_csv(small, BASELINE_ROWS, questions)
        start = time.perf_counter()
        assert import_answers(store, big, cities=city_slugs()) == ROWS
        one = time.perf_counter() - start

        old = fresh(folder, "old.sqlite3")
        people = {}
        import csv

        start = time.perf_counter()
        with open(small, newline="") as fh:
            for row in csv.DictReader(fh):  # the earlier import: a respondent lookup and a transaction per row
                key = (row["city"], row["respondent"])
                if key not in people:
                    people[key], _ = old.add_respondent("r1", row["city"], row["sector"], label=row["respondent"],
                                                        with_code=False)
                old.save_answer(people[key], row["question"], actor="import", level=int(row["value"]),
                                evidence=row["evidence"])
        per_row_old = (time.perf_counter() - start) / BASELINE_ROWS
    per_row_new = one / ROWS
    print(f"machine: {machine()}, load {os.getloadavg()[0]:.1f}")
    print(f"one transaction: {ROWS:,} rows in {one:.1f} s ({ROWS / one:,.0f} rows/s)")
    print(f"row by row (baseline, {BASELINE_ROWS:,} rows): {1 / per_row_old:,.0f} rows/s, so "
          f"{per_row_old * ROWS:.0f} s for {ROWS:,}")
    print(f"ratio: {per_row_old / per_row_new:.1f}x faster per row")


if __name__ == "__main__":
    main()
