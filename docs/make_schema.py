"""Write the JSON Schemas of diagnostics.json and convening.json from their models.

    .venv/bin/python docs/make_schema.py           # rewrite docs/{city,convening}-report.schema.json
    .venv/bin/python docs/make_schema.py --check   # exit 1 if a committed schema differs from the models

The models in icframework/analysis/models.py are the source of truth; tests/test_models.py fails when the committed
files drift from them.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from icframework.analysis.models import json_schemas, schema_text  # noqa: E402


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, schema in json_schemas().items():
        path, text = HERE / name, schema_text(schema)
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        if check:
            stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python docs/make_schema.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
