"""Text in spreadsheet cells: inert (never run as a formula) and lossless (control characters, line breaks,
apostrophes and spaces come back as they were). Every exporter and importer of answers uses these.

CSV: every field is quoted (a line break or carriage return inside a field can never start a new cell), and a
field a spreadsheet would read as a formula, or one that starts with an apostrophe already, gets a leading
apostrophe, which `from_csv` removes again. XLSX: cells are typed as text (never a formula), and control
characters, which XML cannot hold or normalises away (a carriage return becomes a line feed), are written as
OOXML escapes (`_x000D_`), as Excel itself does and reads back; `from_xlsx` undoes them.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_XLSX_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b-\x1f]")  # \t and \n stay as they are
_XLSX_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def to_csv(value):
    """A CSV field that a spreadsheet shows as text, never evaluates (write the file with every field quoted)."""
    if isinstance(value, str) and value.startswith((*FORMULA_START, "'")):
        return "'" + value
    return value


def from_csv(value: str) -> str:
    """The text `to_csv` was given."""
    return value[1:] if value.startswith("'") else value


def unguard(value: str) -> str:
    """A cell another tool's export protected from formula evaluation ('=1+1 for =1+1), as typed; any other
    leading apostrophe is the person's own and stays."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def to_xlsx(value: str) -> str:
    """A string an XLSX cell keeps exactly: control characters (and an underscore that would read as an
    escape) written as `_xHHHH_`."""
    return _XLSX_ESCAPE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


def from_xlsx(value: str) -> str:
    """The text `to_xlsx` (or Excel) escaped."""
    return _XLSX_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value) if "_x" in value else value
