"""The twelve programme cities and the convenings, validated on load."""

from __future__ import annotations

import shutil

import pytest

from icframework.errors import ICFError, NotFoundError, ValidationError
from icframework.model.cities import example_cities, load_cities, load_city, load_convenings

FOUNDERS = {"bristol", "cardiff", "glasgow", "liverpool", "london", "peterborough"}
PHASE_TWO = {"belfast", "birmingham", "brighton", "newry-mourne-and-down", "newport", "sheffield"}


def test_the_twelve_programme_cities():
    cities = load_cities()
    assert {c.slug for c in cities} == FOUNDERS | PHASE_TWO
    for c in cities:
        assert (c.phase, c.year_joined) == ((1, 2017) if c.slug in FOUNDERS else (2, 2019))
        assert c.leadership.senior_lead and c.leadership.operational_lead
        assert len(c.taskforce_sectors) >= 3
    assert load_city("newry-mourne-and-down").nation == "Northern Ireland"
    assert load_city("cardiff").local_name == "Caerdydd"


def test_convenings_from_the_programme():
    got = [(c.city, c.date.year, c.date.month) for c in load_convenings()]
    assert got == [
        ("glasgow", 2017, 10),
        ("liverpool", 2018, 10),
        ("bristol", 2019, 3),
        ("cardiff", 2019, 10),
        (None, 2020, 3),
    ]
    assert load_convenings()[-1].when == "March 2020"


def test_a_bad_city_file_names_itself_and_the_field(tmp_path):
    shutil.copytree(example_cities() / "bristol", tmp_path / "bristol")
    f = tmp_path / "bristol" / "city.yaml"
    f.write_text(f.read_text().replace("phase: 1", "phase: one"))
    with pytest.raises(ValidationError) as exc:
        load_cities(tmp_path)
    [problem] = exc.value.problems
    assert problem.file == str(f) and problem.where == "phase"
    assert problem.line == next(
        i for i, line in enumerate(f.read_text().splitlines(), 1) if line.startswith("phase")
    )


def test_unsafe_or_unknown_slugs_are_refused():
    with pytest.raises(ICFError, match="not valid"):
        load_city("../etc")
    with pytest.raises(ICFError, match="not valid"):
        load_city("bristol/x")
    with pytest.raises(NotFoundError, match="Known cities"):
        load_city("atlantis")
