"""The Welsh form as a Cardiff respondent uses it: a real `icf app` (Voilà) server, driven by Chromium."""

from __future__ import annotations

import pytest
from conftest import free_port
from test_app_browser import axe_violations, card, open_form

from icframework.cli.app import link, serving
from icframework.i18n import translator
from icframework.model.framework import load_framework
from icframework.store import Store

pytestmark = pytest.mark.browser

CY = load_framework("inclusive-cities").localized("cy")
TR = translator("cy")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("welsh")
    url = f"sqlite:///{root / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("gwanwyn", "inclusive-cities", title="Spring round", synthetic=True)
    people = {name: store.add_respondent("gwanwyn", "cardiff", "employer", role=f"{name} role", synthetic=True,
                                         lang=lang)
              for name, lang in (("cai", "cy"), ("dai", None))}
    with serving(url, free_port(), pool_size=2, log_path=root / "voila.log") as base:
        yield store, {k: (r, link(base, r.city, code, r.lang)) for k, (r, code) in people.items()}


def test_the_welsh_form_shows_welsh_and_saves(chromium, app):
    from playwright.sync_api import expect

    store, people = app
    cai, url = people["cai"]
    page = open_form(chromium, url)
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    first = CY.areas[0].questions[0]
    expect(card(page, first.code).locator(".icf-qtext")).to_have_text(first.text)
    level = f"{CY.scale.label(3)} (3)"
    card(page, first.code).get_by_label(level, exact=False).first.check()
    expect(card(page, first.code).locator(".icf-status")).to_contain_text(f"{TR._('Saved')}: {CY.scale.label(3)}",
                                                                          timeout=15_000)
    assert store.answers_for(cai)[first.code]["level"] == 3
    assert axe_violations(page) == []
    page.close()


def test_the_switch_changes_the_language_and_keeps_the_answers(chromium, app):
    from playwright.sync_api import expect

    store, people = app
    dai, url = people["dai"]
    page = open_form(chromium, url)  # no language chosen: the framework's own (English)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    q = load_framework("inclusive-cities").areas[0].questions[1]
    card(page, q.code).get_by_label("Emerging (1)", exact=False).first.check()
    expect(card(page, q.code).locator(".icf-status")).to_contain_text("Saved: Emerging", timeout=15_000)
    switch = page.get_by_role("button", name="Cymraeg")
    expect(switch).to_have_attribute("lang", "cy")  # named in its own language, and marked so
    switch.click()
    expect(page.locator("html")).to_have_attribute("lang", "cy", timeout=15_000)
    welsh = CY.areas[0].questions[1]
    expect(card(page, q.code).locator(".icf-qtext")).to_have_text(welsh.text)
    expect(card(page, q.code).get_by_label(f"{CY.scale.label(1)} (1)", exact=False).first).to_be_checked()
    assert store.respondent(dai.id).lang == "cy"  # the next visit opens in Welsh
    assert store.answers_for(dai)[q.code]["level"] == 1
    page.close()
