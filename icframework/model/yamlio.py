"""Read YAML keeping line numbers, so that every problem can point at its line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ..errors import Problem, ValidationError


def load_yaml(path: Path, data: bytes | None = None) -> Any:
    """Parse `path` (or `data`, named `path` in messages); a syntax error becomes a ValidationError with its line.

    Parsed documents are cached by content (a batch reads the same files for every city): treat the result as
    read-only and take `plain(doc)` to get data to change.
    """
    if data is None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ValidationError([Problem(str(path), None, f"cannot read file: {exc}")]) from None
    return _parse(str(path), data)


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
        _check_bounds(path, text)
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ValidationError([Problem(path, line, f"YAML syntax error: {exc.problem}")]) from None
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(path, None, f"cannot read file: {exc}")]) from None


def _check_bounds(path: str, text: str) -> None:
    """Refuse, before building anything, what could take the machine down: aliases (a few lines of `*a` can
    stand for gigabytes), nesting deeper than MAX_DEPTH, and values longer than MAX_TEXT. Reads the parser's
    events, which costs memory in proportion to the file only."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

    depth = 0
    for event in YAML(typ="rt").parse(text):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, AliasEvent):
            raise ValidationError([Problem(path, line, f"YAML aliases (*{event.anchor}) are not allowed in "
                                                       "icframework files: write the value out in full")])
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValidationError([Problem(path, line, f"nested more than {MAX_DEPTH} levels deep")])
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif isinstance(event, ScalarEvent) and len(event.value) > MAX_TEXT:
            raise ValidationError([Problem(path, line, f"a value of {len(event.value):,} characters; at most "
                                                       f"{MAX_TEXT:,} are allowed")])


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


def pydantic_problems(path: Path, doc: Any, exc) -> list[Problem]:
    """Turn a pydantic ValidationError into Problems with lines."""
    problems = []
    for err in exc.errors():
        loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
        problems.append(Problem(str(path), line_of(doc, loc), err["msg"], dotted(loc)))
    return problems
