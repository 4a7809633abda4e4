"""Synthetic demo data is reproducible, flagged and has something to show."""

from __future__ import annotations

from click.testing import CliRunner

from icframework.cli import main
from icframework.store import Store
from icframework.store.demo import DEMO_ROUNDS, generate
from icframework.store.transfer import answers_table


def _fill(path, seed=7):
    store = Store(f"sqlite:///{path}")
    generate(store, seed=seed)
    return store


def test_same_seed_same_answers_and_flagged_synthetic(tmp_path):
    a, b = _fill(tmp_path / "a.sqlite3"), _fill(tmp_path / "b.sqlite3")
    ta, tb = answers_table(a), answers_table(b)
    cols = ["round", "city", "respondent", "sector", "question", "value", "evidence", "comment"]
    assert ta[cols].equals(tb[cols])
    assert ta["synthetic"].all()
    assert all(r.synthetic for r in a.list_rounds())
    assert a.is_synthetic()
    c = _fill(tmp_path / "c.sqlite3", seed=8)
    assert not answers_table(c)[cols].equals(ta[cols])


def test_demo_data_has_rounds_gaps_disagreement_and_change(tmp_path):
    store = _fill(tmp_path / "a.sqlite3")
    df = store.answers_frame()
    assert sorted(df["round"].unique()) == sorted(r.id for r in DEMO_ROUNDS)
    assert df["city"].nunique() == 12
    latest = df[df["round"] == "virtual-2020"]
    assert latest.groupby("city")["respondent_id"].nunique().min() >= 3
    assert latest.groupby("city")["sector"].nunique().min() >= 2
    assert {"dont_know", "na", "level"} <= set(df["response"].dropna())
    # gaps: not every respondent answers every question
    per_resp = latest.groupby("respondent_id").size()
    assert (per_resp < 35).any()
    # disagreement: some question has levels at least 2 apart within one city
    spread = (
        latest.dropna(subset=["level"])
        .groupby(["city", "question"])["level"]
        .agg(lambda s: s.max() - s.min())
    )
    assert (spread >= 2).any()
    # change between rounds for a founder city
    mean = df[df.city == "bristol"].groupby("round")["level"].mean()
    assert mean["virtual-2020"] != mean["bristol-2019"]
    # phase-two cities start in the second round
    assert "belfast" not in set(df[df["round"] == "bristol-2019"].city)


def test_extra_cities(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "demo-data",
            "--store",
            f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "--extra-cities",
            "5",
            "--cities-dir",
            str(tmp_path / "cities"),
        ],
    )
    assert res.exit_code == 0, res.output
    store = Store(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert store.answers_frame()["city"].nunique() == 17
    assert (tmp_path / "cities" / "synthetic-0005" / "city.yaml").exists()
    assert (tmp_path / "cities" / "bristol" / "city.yaml").exists()
    no_dir = runner.invoke(
        main, ["demo-data", "--store", f"sqlite:///{tmp_path / 'y.sqlite3'}", "--extra-cities", "5"]
    )
    assert no_dir.exit_code != 0 and "--cities-dir" in no_dir.output
