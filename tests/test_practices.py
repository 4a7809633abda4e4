"""The good-practice library: validation with lines, user extension, search and suggestions for gaps."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from click.testing import CliRunner

from icframework.cli import main
from icframework.errors import ValidationError
from icframework.model.practices import BUNDLED, load_practices, search, suggest


def practice(pid: str, title: str = "A title", description: str = "Some words.", areas=("A1",),
             principles=(), themes=()) -> dict:
    return {"id": pid, "city": "Town", "country": "Land", "title": title, "description": description,
            "areas": list(areas), "principles": list(principles), "themes": list(themes), "source": "Test notes"}


def write(path, practices: list[dict], **top):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({**top, "practices": practices}, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def empty_cities(tmp_path):
    root = tmp_path / "cities"
    root.mkdir()
    return root


def test_the_bundled_library_is_valid_and_complete(empty_cities):
    raw = yaml.safe_load((BUNDLED / "practices.yaml").read_text())["practices"]
    found = load_practices(cities_root=empty_cities)
    assert [p.id for p in found] == [r["id"] for r in raw] and len(found) == 36
    # filters agree with the raw file
    assert [p.id for p in search(found, area="A3")] == sorted(r["id"] for r in raw if "A3" in r["areas"])
    assert {p.id for p in search(found, principle="P4")} == {r["id"] for r in raw if "P4" in r["principles"]}


def test_user_practices_extend_the_library(empty_cities, tmp_path):
    write(empty_cities / "practices.yaml", [practice("our-market", "Night market")])
    write(empty_cities / "practices" / "more.yaml", [practice("our-library", areas=("A3",))])
    extra = write(tmp_path / "mine" / "x.yaml", [practice("their-idea", principles=("P2",))])
    found = load_practices([extra.parent], cities_root=empty_cities)
    ids = [p.id for p in found]
    assert len(found) == 39 and ids[-3:] == ["our-market", "our-library", "their-idea"]
    assert found[-1].origin == f"{extra}:2"
    assert [p.id for p in search(found, text="night market")] == ["our-market"]


def test_an_id_used_twice_is_an_error_with_both_places(empty_cities, tmp_path):
    write(empty_cities / "practices.yaml", [practice("mine"), practice("medellin-good-start")])
    with pytest.raises(ValidationError) as err:
        load_practices(cities_root=empty_cities)
    (problem,) = err.value.problems
    # the second practice of the file starts on line 12 (the first spans lines 2-11)
    assert (problem.file, problem.line) == (str(empty_cities / "practices.yaml"), 12)
    assert "duplicate practice id 'medellin-good-start'" in problem.message
    assert f"{BUNDLED / 'practices.yaml'}:" in problem.message


def test_every_problem_is_reported_with_file_line_and_field(empty_cities):
    path = empty_cities / "practices.yaml"
    path.write_text(textwrap.dedent("""\
        practices:
          - id: good-one
            city: Town
            country: Land
            title: Fine
            description: Fine too.
            areas: [A1]
            source: Notes
          - id: Bad Id
            city: Town
            country: Land
            title: Broken
            description: Several mistakes.
            areas: [A9]
            source: Notes
            link: ftp://example.org/x
          - id: no-title
            city: Town
            country: Land
            description: No title.
            areas: [A2]
            principles: [P7]
            source: Notes
        """))
    with pytest.raises(ValidationError) as err:
        load_practices(cities_root=empty_cities)
    got = sorted((p.line, p.where) for p in err.value.problems)
    assert got == [(9, "practices[1].id"), (14, "practices[1].areas[0]"), (16, "practices[1].link"),
                   (17, "practices[2].title"), (22, "practices[2].principles[0]")]
    assert all(p.file == str(path) for p in err.value.problems)
    assert "unknown code 'A9'; inclusive-cities has A1, A2, A3, A4, A5" in str(err.value)


def test_a_yaml_syntax_error_points_at_its_line(empty_cities):
    (empty_cities / "practices.yaml").write_text("practices:\n  - id: x\n    title: [unclosed\n")
    with pytest.raises(ValidationError) as err:
        load_practices(cities_root=empty_cities)
    assert err.value.problems[0].line in (3, 4) and "YAML syntax error" in err.value.problems[0].message


def test_text_search_ignores_case_and_accents_and_ranks_title_hits_first():
    lib = load_practices()
    assert [p.id for p in search(lib, text="MEDELLIN")] == ["medellin-child-ppe", "medellin-good-start"]
    assert search(lib, text="medellin zebra") == []  # every word must appear
    from icframework.model.practices import Practice

    mine = [Practice.model_validate(practice("b-desc", "Fair", "A market and another market.")),
            Practice.model_validate(practice("a-title", "Market day", "Stalls.")),
            Practice.model_validate(practice("c-none", "Other", "Nothing."))]
    # a-title: 1 hit in the text + 2 for the title = 3; b-desc: 2 hits = 2
    assert [p.id for p in search(mine, text="market")] == ["a-title", "b-desc"]
    assert [p.id for p in search(mine)] == ["a-title", "b-desc", "c-none"]


def test_suggestions_fit_the_weakest_solid_areas_and_principles_best_first():
    from icframework.model.practices import Practice

    lib = [Practice.model_validate(p) for p in [
        practice("fits-a5", areas=("A5",)),                    # weakest area: 2 x 2 = 4
        practice("fits-a2", areas=("A2",)),                    # second weakest area: 2 x 1 = 2
        practice("fits-a2-p3", areas=("A2",), principles=("P3",)),  # 2 + weakest principle 2 = 4
        practice("fits-a3", areas=("A3",)),                    # A3 is lower still, but thin: ignored
        practice("fits-a1", areas=("A1",)),                    # A1 is not a gap
        practice("fits-p1", areas=("A1",), principles=("P1",)),  # second weakest principle: 1
        practice("fits-a2-words", "Inclusive growth through jobs", areas=("A2",)),  # 2, shares 'inclusive'
    ]]
    areas = [{"code": "A1", "title": "Leadership", "score": 80.0, "n": 20, "thin": False},
             {"code": "A2", "title": "Inclusive growth", "score": 40.0, "n": 20, "thin": False},
             {"code": "A3", "title": "Communities", "score": 10.0, "n": 2, "thin": True},
             {"code": "A4", "title": "Services", "score": None, "n": 0, "thin": True},
             {"code": "A5", "title": "Participation", "score": 22.0, "n": 18, "thin": False}]
    principles = [{"code": "P1", "title": "Lead", "score": 45.0, "n": 30, "thin": False},
                  {"code": "P2", "title": "Share", "score": 90.0, "n": 30, "thin": False},
                  {"code": "P3", "title": "Together", "score": 30.0, "n": 30, "thin": False}]
    got = suggest(lib, areas, principles, limit=10)
    assert [s["id"] for s in got] == ["fits-a2-p3", "fits-a5", "fits-a2-words", "fits-a2", "fits-p1"]
    assert got[1]["why"] == "Fits your weak area A5 Participation (score 22/100 from 18 answers)."
    assert got[0]["matched"] == ["A2", "P3"]
    assert [s["id"] for s in suggest(lib, areas, principles, limit=2)] == ["fits-a2-p3", "fits-a5"]
    # a city leading everywhere has no gaps, so nothing is suggested
    leading = [dict(a, score=90.0, thin=False) for a in areas]
    assert suggest(lib, leading, []) == []
    # practices coded for another framework are not matched against this one
    assert suggest(lib, areas, principles, codes="educating-cities") == []


def test_cli_search_show_and_validate(empty_cities, tmp_path, monkeypatch):
    monkeypatch.setenv("ICF_CITIES", str(empty_cities))
    runner = CliRunner()
    res = runner.invoke(main, ["practices", "search", "--area", "A3", "--text", "older"])
    raw = yaml.safe_load((BUNDLED / "practices.yaml").read_text())["practices"]
    expected = {r["id"] for r in raw if "A3" in r["areas"]
                and "older" in " ".join([r["title"], r["description"], *r["themes"]]).lower()}
    assert res.exit_code == 0 and expected
    assert {line.split()[0] for line in res.output.splitlines()[:-1]} == expected
    assert f"{len(expected)} match(es)." in res.output
    show = runner.invoke(main, ["practices", "show", "medellin-good-start"])
    assert "Mainstreaming and building inclusive public services" in show.output and show.exit_code == 0
    bad = write(tmp_path / "bad" / "x.yaml", [practice("x", areas=("A8",))])
    res = runner.invoke(main, ["practices", "validate", "--practices", str(bad)])
    assert res.exit_code == 1 and f"{bad}:" in res.output and "A8" in res.output
    assert runner.invoke(main, ["practices", "show", "nope"]).exit_code == 1
