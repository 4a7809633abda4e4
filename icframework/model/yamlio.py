"""Read YAML, and point every problem at its line.

`load_data` reads a file into plain data with libyaml (ruamel.yaml.clib; about ten times faster than the pure
Python parser: a batch reads every city's files); `Lines` finds the line of a node, parsing the file again with
ruamel's round-trip parser only when a problem needs a line. Both read YAML 1.2 (`no` is a string, not false).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ..errors import Problem, ValidationError


def load_yaml(path: Path, data: bytes | None = None) -> Any:
    """Parse `path` (or `data`, named `path` in messages); a syntax error becomes a ValidationError with its line.

    Parsed documents are cached by content (a batch reads the same files for every city): treat the result as
    read-only and take `plain(doc)` to get data to change.
    """
    return _parse(str(path), _read(path, data))


def load_data(path: Path, data: bytes | None = None) -> Any:
    """What `plain(load_yaml(path, data))` gives, with the same checks and errors, parsed by libyaml: fresh
    dicts and lists, the caller's to change. Take `Lines(path, data)` for the line of a problem."""
    data = _read(path, data)
    try:
        text, fast = data.decode("utf-8"), _fast()
        if len(data) <= MAX_BYTES and not _out_of_bounds(text, fast):
            return plain(fast.load(text))
    except (YAMLError, UnicodeDecodeError):
        pass
    return plain(_parse(str(path), data))  # the round-trip parser's answer, or its error with the line


class Lines:
    """The 1-based line of a node of a YAML file by its location (keys and indexes), or of its nearest parent.
    The file is parsed with line numbers on the first question only."""

    def __init__(self, path: Path, data: bytes | None = None, doc: Any = None):
        self.path, self.data, self._doc = path, data, doc

    @property
    def doc(self) -> Any:
        if self._doc is None:
            self._doc = load_yaml(self.path, self.data)
        return self._doc

    def __call__(self, loc: tuple) -> int | None:
        return line_of(self.doc, loc)


def _read(path: Path, data: bytes | None) -> bytes:
    if data is not None:
        return data
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError([Problem(str(path), None, f"cannot read file: {exc}")]) from None


def _fast() -> YAML:
    """A safe loader in C when ruamel.yaml.clib is installed (ruamel falls back to Python when it is not)."""
    return YAML(typ="safe", pure=False)


MAX_BYTES = 4 * 2**20  # the largest bundled file is about 100 KB
MAX_DEPTH = 30  # frameworks nest five levels deep
MAX_TEXT = 20_000  # characters in one value: a question or a description is a paragraph, not a book


@lru_cache(maxsize=256)  # the files read for every city stay; per-city files pass through
def _parse(path: str, data: bytes) -> Any:
    if len(data) > MAX_BYTES:
        raise ValidationError([Problem(path, None, f"the file is {len(data) / 2**20:.1f} MB; icframework reads YAML "
                                                   f"files of at most {MAX_BYTES // 2**20} MB")])
    try:
        text = data.decode("utf-8")
        yaml = YAML(typ="rt")
        refused = _out_of_bounds(text, yaml)
        if refused:
            raise ValidationError([Problem(path, *refused)])
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ValidationError([Problem(path, line, f"YAML syntax error: {exc.problem}")]) from None
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(path, None, f"cannot read file: {exc}")]) from None


def _out_of_bounds(text: str, yaml: YAML) -> tuple[int | None, str] | None:
    """The line and the message of the first thing icframework refuses to read, before anything is built: an
    alias (a few lines of `*a` can stand for gigabytes), nesting deeper than MAX_DEPTH, a value longer than
    MAX_TEXT. Reads `yaml`'s parser events, which costs memory in proportion to the file only."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

    depth = 0
    for event in yaml.parse(text):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, AliasEvent):
            return line, (f"YAML aliases (*{event.anchor}) are not allowed in icframework files: write the value "
                          "out in full")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return line, f"nested more than {MAX_DEPTH} levels deep"
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif isinstance(event, ScalarEvent) and len(event.value) > MAX_TEXT:
            return line, f"a value of {len(event.value):,} characters; at most {MAX_TEXT:,} are allowed"
    return None


def line_of(doc: Any, loc: tuple) -> int | None:
    """The 1-based line of the node at `loc` (keys and indexes), or of its nearest parent."""
    node, line = doc, 1
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


def dotted(loc: tuple) -> str:
    """('areas', 0, 'questions', 2, 'text') -> 'areas[0].questions[2].text'."""
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, int) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def pydantic_problems(path: Path, lines: Callable[[tuple], int | None], exc) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems with lines (`lines`: a Lines, or a location's line)."""
    problems = []
    for err in exc.errors():
        loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
        problems.append(Problem(str(path), lines(loc), err["msg"], dotted(loc)))
    return problems
