"""Frameworks load, validate and report every problem with its line."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from icframework.cli import main
from icframework.errors import NotFoundError, ValidationError
from icframework.model.framework import BUNDLED, bundled_names, load_framework, parse_framework, validate_path

# The seeds' titles (seed 003), typed here independently of the YAML files.
PRINCIPLES = [
    "Provide local leadership to create change",
    "Inclusion is a shared responsibility, delivered in partnership",
    "Work with newcomers and longer standing residents",
    "Use available data and evidence to set goals, monitor impact and update strategies",
    "Take action at the local level, provide advocacy at the national level, learn from best practice internationally",
]
AREAS = [
    "Leading in the development of a shared local story of inclusion",
    "Supporting and driving inclusive economic growth",
    "Connecting communities",
    "Mainstreaming and building inclusive public services",
    "Encouraging civic participation and representation",
]


def test_three_bundled_frameworks_load():
    assert bundled_names() == ["educating-cities", "inclusive-cities", "learning-cities"]
    for name in bundled_names():
        fw = load_framework(name)
        assert fw.code == name
        assert len(fw.questions) >= 25
        assert fw.scale.max_level == 4


def test_inclusive_cities_has_exactly_the_seeds_principles_and_areas():
    fw = load_framework("inclusive-cities")
    assert [p.code for p in fw.principles] == ["P1", "P2", "P3", "P4", "P5"]
    assert [p.title for p in fw.principles] == PRINCIPLES
    assert [a.code for a in fw.areas] == ["A1", "A2", "A3", "A4", "A5"]
    assert [a.title for a in fw.areas] == AREAS
    assert all(len(a.questions) >= 6 for a in fw.areas)
    assert len(fw.questions) >= 30
    # Every principle is reached from several areas, so the principle x area matrix is populated.
    for p in fw.principles:
        areas = {q.area for q in fw.questions if p.code in q.principles}
        assert len(areas) >= 3, p.code


def test_educating_cities_has_five_challenges_and_eleven_recommendations():
    fw = load_framework("educating-cities")
    assert len(fw.principles) == 5
    assert len(fw.areas) == 11
    assert fw.labels.principle == "Challenge"


def test_scale_counts_dont_know_and_na_apart():
    fw = load_framework("inclusive-cities")
    assert [lv.label for lv in fw.scale.levels][0] == "Not started"
    assert fw.scale.dont_know.label == "Don't know"
    assert fw.scale.not_applicable.label == "Not applicable"


def test_tiers_follow_thresholds():
    fw = load_framework("inclusive-cities")
    mins = [t.min for t in fw.tiers]
    assert fw.tier(0).label == fw.tiers[0].label
    assert fw.tier(100).label == fw.tiers[-1].label
    assert fw.tier(mins[1]).label == fw.tiers[1].label
    assert fw.tier(mins[1] - 0.01).label == fw.tiers[0].label


GOOD = """\
code: tiny
title: Tiny framework
version: "0.1"
source: test
description: A framework for tests.
scale: maturity
tiers:
  - {min: 0, label: Low, description: low}
  - {min: 50, label: High, description: high}
principles:
  - {code: P1, title: One, description: first}
  - {code: P2, title: Two, description: second}
areas:
  - code: A1
    title: Area one
    description: the first area
    questions:
      - code: A1.Q1
        text: Is there a plan?
        guidance: {0: none, 4: full}
        evidence_prompt: Show the plan.
        core: true
        weight: 1
        principles: [P1]
"""

BROKEN = """\
code: tiny
title: Tiny framework
version: "0.1"
source: test
description: A framework for tests.
scale: maturity
tiers:
  - {min: 0, label: Low, description: low}
principles:
  - {code: P1, title: One, description: first}
  - {code: P1, title: Again, description: duplicate}
areas:
  - code: A1
    title: Area one
    description: the first area
    questions:
      - code: A1.Q1
        text: ""
        guidance: {0: none, 7: off the scale}
        evidence_prompt: Show the plan.
        core: maybe
        weight: -1
        principles: [P9]
      - code: A1.Q1
        text: Same code twice
        guidance: {0: none}
        evidence_prompt: x
        core: false
        weight: 1
        principles: [P1]
        colour: red
"""


def test_valid_file_parses(tmp_path):
    f = tmp_path / "tiny.yaml"
    f.write_text(GOOD)
    fw = parse_framework(f)
    assert fw.question("A1.Q1").area == "A1"
    assert validate_path(f) == []


def test_broken_file_reports_every_problem_with_its_line(tmp_path):
    f = tmp_path / "tiny.yaml"
    f.write_text(BROKEN)
    problems = validate_path(f)
    found = {(p.line, p.where) for p in problems}
    # Lines counted by hand in BROKEN above.
    assert (11, "principles[1].code") in found  # duplicate principle code
    assert (18, "areas[0].questions[0].text") in found  # empty question
    assert (19, "areas[0].questions[0].guidance") in found  # level 7 not on the scale
    assert (21, "areas[0].questions[0].core") in found  # not a boolean
    assert (22, "areas[0].questions[0].weight") in found  # negative weight
    assert (23, "areas[0].questions[0].principles[0]") in found  # unknown principle P9
    assert (24, "areas[0].questions[1].code") in found  # duplicate question code
    assert (31, "areas[0].questions[1].colour") in found  # unknown key
    assert all(p.file == str(f) for p in problems)
    with pytest.raises(ValidationError) as exc:
        parse_framework(f)
    assert len(exc.value.problems) == len(problems) >= 8


def test_bad_scale_and_syntax_error_have_lines(tmp_path):
    f = tmp_path / "a.yaml"
    f.write_text(GOOD.replace("scale: maturity", "scale: stars"))
    [p] = validate_path(f)
    assert p.line == 6 and "unknown scale 'stars'" in p.message
    g = tmp_path / "b.yaml"
    g.write_text(GOOD.replace("title: Area one", "title: [unclosed"))
    problems = validate_path(g)
    assert len(problems) == 1 and "syntax" in problems[0].message and problems[0].line >= 16


def test_inline_scale_must_be_ordered(tmp_path):
    inline = textwrap.dedent("""\
        scale:
          code: two
          levels:
            - {value: 1, label: a, description: a}
            - {value: 0, label: b, description: b}
          dont_know: {label: dk, description: dk}
          not_applicable: {label: na, description: na}
        """)
    f = tmp_path / "c.yaml"
    f.write_text(GOOD.replace("scale: maturity\n", inline).replace("{0: none, 4: full}", "{0: none}"))
    problems = validate_path(f)
    assert any("0, 1, 2" in p.message and p.where == "scale" for p in problems)


def test_folder_validation_and_cli_exit_codes(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    runner = CliRunner()
    ok = runner.invoke(main, ["frameworks", "validate", str(tmp_path / "good.yaml")])
    assert ok.exit_code == 0 and "valid" in ok.output
    (tmp_path / "broken.yaml").write_text(BROKEN)
    bad = runner.invoke(main, ["frameworks", "validate", str(tmp_path)])
    assert bad.exit_code == 1
    assert f"{tmp_path / 'broken.yaml'}:11" in bad.output
    assert "good.yaml" not in bad.output
    assert runner.invoke(main, ["frameworks", "validate", str(BUNDLED)]).exit_code == 0


def test_unknown_framework_names_the_bundled_ones():
    with pytest.raises(NotFoundError, match="inclusive-cities"):
        load_framework("no-such-framework")


def test_frameworks_are_immutable():
    fw = load_framework("inclusive-cities")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        fw.areas[0].questions[0].weight = 5  # type: ignore[misc]
