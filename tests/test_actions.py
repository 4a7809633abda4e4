"""Action plans: validation with file, line and field; progress on a reference date; the store; the CLI."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from icframework.cli import main
from icframework.errors import ValidationError
from icframework.model.actions import load_plans, parse_plan, progress
from icframework.store import Store
from icframework.store.plans import actions_frame, load_into_store
from icframework.style import SYNTHETIC_PLAN_NOTICE as SYNTHETIC_NOTICE

REPO_CITIES = Path(__file__).resolve().parent.parent / "cities"

PLAN = textwrap.dedent("""\
    synthetic: true
    city: testville
    actions:
      - id: finished
        title: A finished action
        areas: [A1]
        owner: local-authority
        start: 2019-01-01
        due: 2019-06-30
        status: done
      - id: late
        title: Late one
        principles: [P2]
        owner: employer
        start: 2019-01-01
        due: 2020-02-01
        status: in-progress
      - id: fine
        title: On its way
        areas: [A3, A4]
        owner: housing
        start: 2019-09-01
        due: 2020-09-30
        status: planned
      - id: vague
        title: No owner, no dates
        areas: [A5]
        status: planned
      - id: stopped
        title: Given up
        areas: [A2]
        owner: education
        start: 2019-01-01
        due: 2019-03-01
        status: dropped
    """)


@pytest.fixture
def cities(tmp_path, monkeypatch):
    """A cities folder with one city (testville) and its plan; ICF_CITIES points at it."""
    root = tmp_path / "cities"
    shutil.copytree(REPO_CITIES / "cardiff", root / "testville")
    (root / "testville" / "city.yaml").write_text(
        (root / "testville" / "city.yaml").read_text().replace("slug: cardiff", "slug: testville"))
    (root / "testville" / "actions.yaml").write_text(PLAN)
    monkeypatch.setenv("ICF_CITIES", str(root))
    return root


def test_the_demo_plans_are_valid_synthetic_and_sized():
    plans = load_plans(REPO_CITIES)
    assert len(plans) == 12
    for plan in plans:
        assert plan.synthetic and 4 <= len(plan.actions) <= 7
        text = (REPO_CITIES / plan.city / "actions.yaml").read_text()
        assert text.startswith("# SYNTHETIC demo action plan")


def test_progress_on_a_reference_date(cities):
    plan = parse_plan(cities / "testville" / "actions.yaml", "testville")
    got = progress(plan, dt.date(2020, 3, 1))
    states = {i["id"]: i["state"] for i in got["items"]}
    assert states == {"finished": "done", "late": "overdue", "fine": "on_track", "vague": "undated",
                      "stopped": "dropped"}
    assert (got["done"], got["on_track"], got["overdue"], got["dropped"], got["undated"]) == (1, 1, 1, 1, 1)
    late = next(i for i in got["items"] if i["id"] == "late")
    assert late["days_overdue"] == 29  # 1 February to 1 March 2020 (a leap year)
    vague = next(i for i in got["items"] if i["id"] == "vague")
    assert vague["flags"] == ["no owner", "no start date", "no due date"] and got["flagged"] == 1
    assert got["synthetic"] and got["notice"] == SYNTHETIC_NOTICE and got["reference"] == "2020-03-01"
    # a later reference date: 'fine' is now overdue too; an earlier one: 'late' is on track
    assert progress(plan, dt.date(2020, 10, 1))["overdue"] == 2
    assert progress(plan, dt.date(2020, 1, 1))["on_track"] == 2


def test_every_problem_has_file_line_and_field(tmp_path):
    path = tmp_path / "oldtown" / "actions.yaml"
    path.parent.mkdir()
    path.write_text(textwrap.dedent("""\
        city: newtown
        actions:
          - id: one
            title: Backwards dates
            areas: [A1]
            owner: local-authority
            start: 2020-05-01
            due: 2020-01-01
            status: planned
          - id: one
            title: Unknown codes and values
            areas: [A7]
            principles: [P9]
            owner: mayor
            status: started
            colour: red
          - id: three
            title: Linked to nothing
            status: done
        """))
    with pytest.raises(ValidationError) as err:
        parse_plan(path, "oldtown")
    got = [(p.line, p.where) for p in err.value.problems]
    assert got == [(1, "city"), (3, "actions[0]"), (10, "actions[1].id"), (12, "actions[1].areas[0]"),
                   (13, "actions[1].principles[0]"), (14, "actions[1].owner"), (15, "actions[1].status"),
                   (16, "actions[1].colour"), (17, "actions[2]")]
    assert all(p.file == str(path) for p in err.value.problems)
    text = str(err.value)
    assert "due date 2020-01-01 is before start date 2020-05-01" in text
    assert "link the action to at least one area" in text and "does not match its folder" in text


def test_an_impossible_date_is_reported_on_its_line(tmp_path):
    path = tmp_path / "actions.yaml"
    path.write_text("city: x\nactions:\n  - id: a\n    title: T\n    areas: [A1]\n    due: 2020-02-30\n"
                    "    status: planned\n")
    with pytest.raises(ValidationError) as err:
        parse_plan(path)
    (problem,) = err.value.problems
    assert problem.line == 6 and "2020-02-30" in problem.message


def test_plans_load_into_the_store_and_reload_replaces(cities, tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    plans = load_plans(cities)
    assert load_into_store(store, plans) == 5
    df = actions_frame(store, "testville")
    assert list(df["action_id"]) == ["fine", "finished", "late", "stopped", "vague"]
    row = df.set_index("action_id").loc["fine"]
    assert (row["areas"], row["owner"], str(row["due"])[:10], bool(row["synthetic"])) == (
        "A3,A4", "housing", "2020-09-30", True)
    assert pd.isna(df.set_index("action_id").loc["vague", "owner"])
    (cities / "testville" / "actions.yaml").write_text(PLAN.split("  - id: vague")[0])
    assert load_into_store(store, load_plans(cities)) == 3
    assert len(actions_frame(store)) == 3
    audit = store.audit_frame()
    assert list(audit[audit.action == "load_actions"]["new"]) == ["5 actions", "3 actions"]


def test_cli_list_validate_and_load(cities, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["actions", "list", "--city", "testville", "--reference", "2020-03-01"])
    assert res.exit_code == 0 and SYNTHETIC_NOTICE in res.output
    assert "1 done, 1 on track, 1 overdue, 1 flagged" in res.output
    assert "no owner; no start date; no due date" in res.output
    res = runner.invoke(main, ["actions", "list", "--overdue", "--reference", "2020-03-01"])
    listed = [line.split()[1] for line in res.output.splitlines() if line.startswith("  ")]
    assert listed == ["late"] and "29 days late" in res.output
    assert "All valid: 1 plan(s), 5 actions." in runner.invoke(main, ["actions", "validate"]).output
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    missing = runner.invoke(main, ["actions", "load", "--store", url])
    assert missing.exit_code == 1 and f"no answer store at {tmp_path / 's.sqlite3'}" in missing.output
    assert not (tmp_path / "s.sqlite3").exists()  # a mistyped store is reported, never created empty
    Store(url).close()
    res = runner.invoke(main, ["actions", "load", "--store", url])
    assert res.exit_code == 0 and "Loaded 5 actions from 1 plan(s) (synthetic demo plans)" in res.output
    (cities / "testville" / "actions.yaml").write_text(PLAN.replace("status: done", "status: finished"))
    res = runner.invoke(main, ["actions", "validate"])
    assert res.exit_code == 1 and "actions.yaml:10: actions[0].status" in res.output
