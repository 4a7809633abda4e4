"""Progress bars for long work (tqdm on a terminal, quiet lines otherwise)."""

from __future__ import annotations

import contextlib
import sys

from tqdm.auto import tqdm


@contextlib.contextmanager
def progress_bar(total: int, unit: str, desc: str = ""):
    """Yield a function to call once per finished item."""
    bar = tqdm(total=total, unit=f" {unit}", desc=desc, file=sys.stderr, leave=True, dynamic_ncols=True)
    try:
        yield lambda n=1: bar.update(n)
    finally:
        bar.close()
