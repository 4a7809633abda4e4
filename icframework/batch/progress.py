"""Progress bars for long work (tqdm on a terminal, quiet lines otherwise)."""

from __future__ import annotations

import contextlib
import sys

from tqdm.auto import tqdm


class _Tick:
    """Call once per finished item; `grow(n)` when n more items join."""

    def __init__(self, bar):
        self.bar = bar

    def __call__(self, n: int = 1) -> None:
        self.bar.update(n)

    def grow(self, n: int) -> None:
        self.bar.total += n
        self.bar.refresh()


@contextlib.contextmanager
def progress_bar(total: int, unit: str, desc: str = ""):
    """Yield a function to call once per finished item (with `grow(n)` for items that join later)."""
    bar = tqdm(total=total, unit=f" {unit}", desc=desc, file=sys.stderr, leave=True, dynamic_ncols=True)
    try:
        yield _Tick(bar)
    finally:
        bar.close()
