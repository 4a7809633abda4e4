"""The CLI explains itself and runs the foundation demo."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from icframework.cli import main


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_command_has_help(path):
    cmd = main
    for name in path:
        cmd = cmd.commands[name]
    assert cmd.help and cmd.help.strip()
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert param.help, f"{' '.join(path)} {param.opts} has no help"
    res = CliRunner().invoke(main, [*path, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output


def test_frameworks_list_and_show():
    runner = CliRunner()
    out = runner.invoke(main, ["frameworks", "list"]).output
    assert "inclusive-cities" in out and "educating-cities" in out and "learning-cities" in out
    show = runner.invoke(main, ["frameworks", "show", "inclusive-cities", "--questions"]).output
    assert "A3.Q2" in show and "Don't know" in show


def test_unknown_round_is_a_clear_error(tmp_path):
    from icframework.store import Store

    args = ["export", "--store", f"sqlite:///{tmp_path / 's.sqlite3'}", "--round", "nope", str(tmp_path / "x.csv")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1 and f"no answer store at {tmp_path / 's.sqlite3'}" in res.output
    assert not (tmp_path / "s.sqlite3").exists()  # never created by accident
    Store(f"sqlite:///{tmp_path / 's.sqlite3'}").close()
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0  # exporting an empty selection is fine
    res = CliRunner().invoke(main, ["cities", "show", "../x"])
    assert res.exit_code == 1 and "not valid" in res.output and "Traceback" not in res.output


def test_summary_counts_match_the_store(tmp_path):
    from icframework.store import Store
    from icframework.store.demo import generate

    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    store = Store(url)
    generate(store, seed=3)
    res = CliRunner().invoke(main, ["summary", "--store", url, "--json"])
    assert res.exit_code == 0
    import json

    rows = {r["city"]: r for r in json.loads(res.output)}
    df = store.answers_frame()
    assert len(rows) == 12
    for city, row in rows.items():
        sub = df[df.city == city]
        assert row["answers"] == len(sub)
        assert row["respondents"] == sub.respondent_id.nunique()
        assert row["rounds"] == sub["round"].nunique()
        assert row["synthetic"] is True
