"""YAML is read fast (libyaml) and its lines are found only when a problem needs one: both ways of reading give
the same data and the same errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import icframework
from icframework.errors import ValidationError
from icframework.model import yamlio
from icframework.model.cities import load_city
from icframework.model.yamlio import Lines, load_data, load_yaml, plain

ROOT = Path(icframework.__file__).resolve().parent.parent
CARRIED = sorted({*ROOT.glob("icframework/data/**/*.yaml"), *ROOT.glob("cities/**/*.yaml"), ROOT / "programme.yaml",
                  *ROOT.glob("tests/data/**/*.yaml")})


def typed(value):
    """`value` with the type of every node beside it (1 == 1.0 == True in Python; a date is not its text)."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    kind = next(t for t in (bool, int, float, str, dt.datetime, dt.date, type(None)) if isinstance(value, t))
    return kind.__name__, value


def test_every_yaml_file_icframework_carries_reads_the_same_both_ways():
    assert len(CARRIED) > 20
    for path in CARRIED:
        assert typed(load_data(path)) == typed(plain(load_yaml(path))), path


TRICKY = """\
no: no
yes: Yes
on: on
octal: 0o12
leading_zero: 012
underscored: 1_000
exp: 1e3
hex: 0x1F
half: .5
null_word: null
tilde: ~
empty:
date: 2020-01-01
stamp: 2020-01-01 10:30:00
quoted: "2020-01-01"
folded: >
  one
  two
literal: |
  three
2021: a number key
2020-02-02: a date key
true: a boolean key
colon: ":x"
unicode: "Caerdydd \\u00e2 \\U0001F3D9"
nested: {a: [1, 2, {b: c}], d: []}
"""


def test_the_two_readers_agree_on_yaml_1_2_scalars(tmp_path):
    path = tmp_path / "tricky.yaml"
    path.write_text(TRICKY, encoding="utf-8")
    fast = load_data(path)
    assert typed(fast) == typed(plain(load_yaml(path)))
    assert fast["no"] == "no" and fast["on"] == "on" and fast["yes"] == "Yes"  # YAML 1.2: no Norway problem
    assert fast["octal"] == 10 and fast["leading_zero"] == 12 and fast["date"] == dt.date(2020, 1, 1)
    assert fast["quoted"] == "2020-01-01" and fast["folded"] == "one two\n" and fast[2021] == "a number key"


@pytest.mark.parametrize("text, line, message", [
    ("a: 1\na: 2\n", 2, "YAML syntax error: found duplicate key \"a\" with value \"2\" (original value: \"1\")"),
    ("a: [1, 2\nb: 3\n", 2, "YAML syntax error: expected ',' or ']', but got ':'"),
    ("a:\n\t- 1\n", 2, "YAML syntax error: found character '\\t' that cannot start any token"),
])
def test_a_broken_file_gives_the_same_problem_both_ways(tmp_path, text, line, message):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    found = []
    for load in (load_yaml, load_data):
        with pytest.raises(ValidationError) as err:
            load(path)
        (p,) = err.value.problems
        found.append((p.line, p.message.splitlines()[0]))
    assert found[0] == found[1]
    assert found[0] == (line, message)


def test_load_data_gives_fresh_data_to_change(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: [1]\n")
    load_data(path)["a"].append(2)
    assert load_data(path) == {"a": [1]}


def test_lines_are_read_only_when_a_problem_asks(tmp_path, monkeypatch):
    """A valid city file is read once, by libyaml; the slower parser with lines runs only for a problem."""
    parsed = []
    original = yamlio._parse
    monkeypatch.setattr(yamlio, "_parse", lambda path, data: parsed.append(path) or original(path, data))
    root = tmp_path / "cities"
    (root / "newtown").mkdir(parents=True)
    (root / "newtown" / "city.yaml").write_text(
        "slug: newtown\nname: Newtown\nnation: Wales\nphase: 3\nyear_joined: 2024\n"
        "leadership: {senior_lead: A, operational_lead: B}\ntaskforce_sectors: [employer]\ncontext: Small town.\n")
    assert load_city("newtown", root).name == "Newtown" and parsed == []
    (root / "newtown" / "city.yaml").write_text(
        "slug: newtown\nname: Newtown\nnation: Wales\nphase: 30\nyear_joined: 2024\n"
        "leadership: {senior_lead: A, operational_lead: B}\ntaskforce_sectors: [employer]\ncontext: Small town.\n")
    with pytest.raises(ValidationError) as err:
        load_city("newtown", root)
    assert [(p.line, p.where) for p in err.value.problems] == [(4, "phase")]
    assert parsed == [str(root / "newtown" / "city.yaml")]
    assert Lines(root / "newtown" / "city.yaml")(("leadership", "operational_lead")) == 6
