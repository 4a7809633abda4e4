"""Incremental `icf run` with the real workbooks and a real store: a change in one city's answers re-runs that
city, the cities whose peer pairs it changes and the convening, and nothing else; the outputs then equal those
of a full `--force` run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from icframework.analysis.exchange import city_peers, round_pairs
from icframework.cli import main
from icframework.store import Store
from icframework.store.demo import generate

ROOT = Path(__file__).resolve().parent.parent
ROUND = "virtual-2020"
pytestmark = pytest.mark.slow


def run(url, out, *extra):
    result = CliRunner().invoke(main, ["run", "--round", ROUND, "--store", url, "--out", str(out), "--jobs", "2",
                                       "--no-progress", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def content(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("generated_at")
    return data


def ran(output: str) -> dict[str, set[str]]:
    """city -> reasons, from the summary's "  ran, REASON: a, b" lines."""
    out: dict[str, set[str]] = {}
    for why, names in re.findall(r"^  ran, (.+?): (.+)$", output, re.M):
        for name in names.split(", "):
            out.setdefault(name, set()).add(why)
    return out


def test_one_city_changes_only_it_its_peers_and_the_convening_run_again(tmp_path, monkeypatch):
    monkeypatch.setenv("ICF_CITIES", str(ROOT / "cities"))
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    store = Store(url)
    generate(store, seed=7)
    out = tmp_path / "build"
    first = run(url, out)
    assert "12 ran, 0 skipped" in first and "ran convening: no earlier outputs" in first
    again = run(url, out)
    assert "0 ran, 12 skipped (unchanged), 0 failed; convening skipped" in again
    assert "  ran" not in again

    # A city that learns from a mentor now answers the top level everywhere: it learns from no one any more,
    # so its mentor's brief loses a pair (and whoever mentors or learns instead changes too).
    before = round_pairs(store, ROUND, root=ROOT / "cities")
    learner, mentor = before["pairs"][0]["learner"], before["pairs"][0]["mentor"]
    fw = store.framework_for(ROUND)
    for person in store.list_respondents(ROUND, learner):
        for q in fw.questions:
            store.save_answer(person, q.code, actor="test", level=fw.scale.max_level)
    after = round_pairs(store, ROUND, root=ROOT / "cities")
    cities = sorted(p.parent.name for p in (out / ROUND).glob("*/diagnostics.json"))
    peers_changed = {c for c in cities if city_peers(before, c) != city_peers(after, c)}
    assert {learner, mentor} <= peers_changed and len(peers_changed) < len(cities) - 1
    stamps = {c: (out / ROUND / c / "brief.pdf").stat().st_mtime_ns for c in cities}

    changed = run(url, out)
    expected = {c: {"its peers changed"} for c in peers_changed}
    expected[learner] = {"its answers changed", "its peers changed"}
    assert ran(changed) == expected
    assert f"{len(expected)} ran, {len(cities) - len(expected)} skipped (unchanged), 0 failed; convening ok" in changed
    assert f"  ran convening: {learner}'s answers changed\n" in changed
    for c in cities:  # the others' briefs were left as they were
        assert ((out / ROUND / c / "brief.pdf").stat().st_mtime_ns == stamps[c]) == (c not in expected), c

    # the same outputs as a full run made from scratch
    forced = tmp_path / "forced"
    assert "12 ran" in run(url, forced, "--force")
    for c in cities:
        assert content(out / ROUND / c / "diagnostics.json") == content(forced / ROUND / c / "diagnostics.json"), c
    assert content(out / ROUND / "convening" / "convening.json") == \
        content(forced / ROUND / "convening" / "convening.json")
    store.close()
