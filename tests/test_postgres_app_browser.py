"""Two app servers, one store: two people of one city answer at once on two `icf app` servers that share a
PostgreSQL store (as behind a reverse proxy), and the facilitator sees every answer of both."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import free_port, postgres_database
from test_app_browser import card, open_form, saved

from icframework.cli import main
from icframework.cli.app import link, serving
from icframework.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTIONS = [("A1.Q1", "Developing (2)", "Developing"), ("A1.Q2", "Established (3)", "Established"),
             ("A1.Q3", "Emerging (1)", "Emerging")]


def test_two_people_of_one_city_on_two_app_servers_sharing_postgresql(chromium, postgres_server, tmp_path):
    url = postgres_database(postgres_server, "two_servers")
    store = Store(url)
    store.create_round("spring", "inclusive-cities", title="Spring round", synthetic=True)
    ana, ana_code = store.add_respondent("spring", "bristol", "employer", synthetic=True)
    ben, ben_code = store.add_respondent("spring", "bristol", "housing", synthetic=True)
    with serving(url, free_port(), pool_size=1, log_path=tmp_path / "one.log") as one, \
            serving(url, free_port(), pool_size=1, log_path=tmp_path / "two.log") as two:
        pages = {ana.id: open_form(chromium, link(one, "bristol", ana_code)),
                 ben.id: open_form(chromium, link(two, "bristol", ben_code))}
        for code, choice, shown in QUESTIONS:  # in turn on both servers, each save made while the other's page is live
            for page in pages.values():
                card(page, code).get_by_label(choice).check()
            for page in pages.values():
                saved(page, code, shown)
        for page in pages.values():
            page.close()

    frame = store.answers_frame("spring", "bristol")
    got = sorted(zip(frame.respondent_id, frame.question, frame.level.astype(int), strict=True))
    expected = sorted((rid, code, level) for rid in (ana.id, ben.id)
                      for (code, _, _), level in zip(QUESTIONS, (2, 3, 1), strict=True))
    assert got == expected
    summary = CliRunner().invoke(main, ["respondents", "list", "--store", url, "--round", "spring"])
    assert summary.exit_code == 0 and summary.output.count("3/35") == 2, summary.output
    store.close()
