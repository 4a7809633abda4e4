"""Programme folders and the round lifecycle: icf init, cities add, rounds create/show/close/reopen, and the rule
that no command makes an empty store by accident."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from icframework.cli import main
from icframework.config import Settings
from icframework.errors import ICFError, NotFoundError, ValidationError
from icframework.model.framework import BUNDLED
from icframework.model.programme import init_programme, load_programme
from icframework.store import Store


def icf(folder: Path, *args: str, code: int = 0) -> str:
    """Run `icf ARGS` as if typed inside `folder` (the programme is found from there)."""
    res = CliRunner().invoke(main, ["--programme", str(folder), *args])
    assert res.exit_code == code, res.output
    return res.output


@pytest.fixture
def programme(tmp_path) -> Path:
    folder = tmp_path / "north"
    res = CliRunner().invoke(main, ["init", str(folder), "--name", "North: a test programme"])
    assert res.exit_code == 0, res.output
    icf(folder, "cities", "add", "exton", "--name", "Exton", "--sectors", "local-authority,employer,housing")
    icf(folder, "cities", "add", "wyford", "--name", "Wyford", "--local-name", "Y Rhyd", "--nation", "Wales",
        "--sectors", "local-authority,education")
    return folder


def test_init_makes_a_programme_folder_with_an_empty_store(programme):
    found = load_programme(programme / "programme.yaml")
    assert found.name == "North: a test programme" and found.framework == "inclusive-cities"
    for part in ("cities/convenings.yaml", "practices", "README.md", "icf.sqlite3", ".gitignore"):
        assert (programme / part).exists()
    assert Store(f"sqlite:///{programme / 'icf.sqlite3'}").list_rounds() == []
    assert "icf rounds create" in (programme / "README.md").read_text()
    again = CliRunner().invoke(main, ["init", str(programme)])
    assert again.exit_code == 1 and "is a programme already" in again.output


def test_settings_are_found_from_any_folder_below_the_programme(programme):
    below = programme / "cities" / "exton"
    run = Settings.from_environment({}, below)
    assert run.programme == programme and run.cities == programme / "cities"
    assert run.store_url == f"sqlite:///{programme / 'icf.sqlite3'}" and run.build == programme / "build"
    assert Settings.from_environment({"ICF_PROGRAMME": str(programme)}, "/").programme == programme
    env = {"ICF_STORE_URL": "postgresql://db/icf"}
    assert Settings.from_environment(env, below).store_url == "postgresql://db/icf"  # the environment overrides
    with pytest.raises(NotFoundError, match="no programme at"):
        Settings.from_environment({}, programme, programme=programme / "nowhere")


def test_no_command_makes_a_store_by_accident(tmp_path, programme, monkeypatch):
    (programme / "icf.sqlite3").unlink()
    out = icf(programme, "rounds", code=1)
    assert f"no answer store at {programme / 'icf.sqlite3'}" in out and "icf store create" in out
    assert not (programme / "icf.sqlite3").exists()
    monkeypatch.chdir(tmp_path)  # no programme.yaml here or above
    monkeypatch.delenv("ICF_PROGRAMME", raising=False)
    monkeypatch.delenv("ICF_STORE_URL", raising=False)
    bare = CliRunner().invoke(main, ["respondents", "list"])
    assert bare.exit_code == 1 and f"no programme.yaml in {tmp_path}" in bare.output and "icf init" in bare.output
    assert list(tmp_path.glob("*.sqlite3")) == []
    icf(programme, "store", "create")
    assert "No rounds yet" in icf(programme, "rounds")


def test_a_round_from_creation_to_closing(programme):
    out = icf(programme, "rounds", "create", "spring-2027", "--title", "Spring 2027 self-assessment",
              "--opens", "2027-03-01", "--closes", "2027-04-30")
    assert "Spring 2027 self-assessment (open, 2027-03-01 to 2027-04-30)" in out
    links = icf(programme, "respondents", "add", "--round", "spring-2027", "--city", "exton", "--sector",
                "employer", "--count", "2")
    codes = re.findall(r"code=([\w-]+)", links)
    store = Store(f"sqlite:///{programme / 'icf.sqlite3'}")
    person = store.authenticate("exton", codes[0])
    for q in ("A1.Q1", "A1.Q2"):
        store.save_answer(person, q, level=3)
    store.set_status(person.id, "submitted", actor="test")
    shown = icf(programme, "rounds", "show", "spring-2027")
    # 2 people from employers, 1 submitted, 2 of 70 questions answered (2 x 35) -> 3%
    assert re.search(r"exton\s+employer\s+2\s+1\s+2\s+70\s+3%", shown), shown
    assert "Closed spring-2027" in icf(programme, "rounds", "close", "spring-2027")
    other = store.authenticate("exton", codes[1])
    with pytest.raises(ICFError, match="this round is closed"):
        store.save_answer(other, "A1.Q1", level=1)
    refused = icf(programme, "respondents", "add", "--round", "spring-2027", "--city", "exton", "--sector",
                  "employer", code=1)
    assert "is closed" in refused
    icf(programme, "rounds", "reopen", "spring-2027")
    store.save_answer(other, "A1.Q1", level=1)
    audit = store.audit_frame()
    assert list(audit[audit.action.isin(["close_round", "reopen_round"])]["action"]) == ["close_round",
                                                                                          "reopen_round"]


def test_a_round_keeps_its_framework_whatever_the_file_becomes(programme, tmp_path):
    own = tmp_path / "own.yaml"
    own.write_bytes((BUNDLED / "inclusive-cities.yaml").read_bytes())
    icf(programme, "rounds", "create", "r1", "--title", "First", "--framework", str(own))
    store = Store(f"sqlite:///{programme / 'icf.sqlite3'}")
    first = store.framework_for("r1")
    assert len(first.questions) == 35
    edited = own.read_text().replace('version: "1.1.0"', 'version: "2.0.0"', 1)
    edited = edited.replace(first.question("A1.Q1").text, "A reworded first question?", 1)
    own.write_text(edited)
    kept = Store(store.url).framework_for("r1")  # a new store object: nothing cached
    assert kept.version == first.version and kept.question("A1.Q1").text == first.question("A1.Q1").text
    icf(programme, "rounds", "create", "r2", "--title", "Second", "--framework", str(own))
    newer = Store(store.url).framework_for("r2")  # new rounds take the new version
    assert newer.version == "2.0.0" and newer.question("A1.Q1").text == "A reworded first question?"
    own.unlink()  # even without the file, the rounds keep theirs
    assert Store(store.url).framework_for("r1").version == first.version


def test_cities_add_validates_before_writing(programme):
    assert yaml.safe_load((programme / "cities" / "wyford" / "city.yaml").read_text())["local_name"] == "Y Rhyd"
    bad = icf(programme, "cities", "add", "zed", "--name", "Zed", "--sectors", "bakers", code=1)
    assert "taskforce_sectors" in bad and not (programme / "cities" / "zed").exists()
    twice = icf(programme, "cities", "add", "exton", "--name", "Exton", "--sectors", "employer", code=1)
    assert "exists already" in twice
    assert "2 cities" in icf(programme, "validate")


def test_init_with_a_framework_file_and_the_example(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("code: x\n")
    with pytest.raises(ValidationError):
        init_programme(tmp_path / "p1", framework=str(broken))
    assert not (tmp_path / "p1" / "programme.yaml").exists()
    own = tmp_path / "learning.yaml"
    own.write_bytes((BUNDLED / "learning-cities.yaml").read_bytes())
    init_programme(tmp_path / "p2", framework=str(own), example=True)
    run = Settings.from_environment({}, tmp_path / "p2")
    assert run.framework == str(tmp_path / "p2" / "frameworks" / "learning.yaml")
    assert len(list((tmp_path / "p2" / "cities").glob("*/city.yaml"))) == 12


def test_a_person_who_asks_not_to_be_quoted_is_recorded_by_command(programme):
    icf(programme, "rounds", "create", "r1", "--title", "First")
    icf(programme, "respondents", "add", "--round", "r1", "--city", "exton", "--sector", "employer", "--no-quotes")
    icf(programme, "respondents", "add", "--round", "r1", "--city", "exton", "--sector", "housing")
    store = Store(f"sqlite:///{programme / 'icf.sqlite3'}")
    first, second = store.list_respondents("r1")
    assert (first.no_quotes, second.no_quotes) == (True, False)
    assert "never quoted in briefs" in icf(programme, "respondents", "set", str(second.id), "--no-quotes")
    assert "may be quoted" in icf(programme, "respondents", "set", str(first.id), "--quotes")
    assert [p.no_quotes for p in store.list_respondents("r1")] == [False, True]
