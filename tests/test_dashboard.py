"""The city dashboard without a browser: access codes, the numbers it adds to the city report, and its page."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from icframework.analysis.dashboard import OVERALL, benchmark, city_rounds, drilldown, short_titles, trend
from icframework.app.dashboard import CityDashboard, city_view, dashboard_html, open_dashboard
from icframework.cli import main
from icframework.config import Settings
from icframework.errors import AccessDenied, ICFError
from icframework.store import Store
from icframework.store.access import check_code, issue_code, list_codes, revoke_code
from icframework.store.demo import generate
from icframework.store.schema import access_codes

MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A store with the synthetic demo data: three rounds, twelve cities."""
    root = tmp_path_factory.mktemp("dash")
    store = Store(f"sqlite:///{root / 'icf.sqlite3'}")
    generate(store)
    settings = Settings.from_environment({}, cwd=root, store_url=store.url, build=root / "build")
    return store, settings


@pytest.fixture
def store(tmp_path):
    return Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")


def text_of(widget) -> str:
    out = [getattr(widget, "value", "") if isinstance(getattr(widget, "value", ""), str) else ""]
    for child in getattr(widget, "children", ()):
        out.append(text_of(child))
    return "\n".join(out)


# -- codes ---------------------------------------------------------------------------------------------------------

def test_a_taskforce_code_opens_its_own_city_only(store):
    record, code = issue_code(store, "taskforce", city="bristol")
    assert check_code(store, code, "taskforce", "bristol") == record
    for city, role in (("cardiff", "taskforce"), (None, "facilitator")):
        with pytest.raises(AccessDenied, match="not valid"):
            check_code(store, code, role, city)


def test_a_facilitator_code_opens_the_console_and_every_city(store):
    _, code = issue_code(store, "facilitator")
    check_code(store, code, "facilitator")
    check_code(store, code, "taskforce", "cardiff")


def test_a_revoked_code_opens_nothing_and_only_hashes_are_kept(store):
    record, code = issue_code(store, "taskforce", city="bristol", label="Bristol taskforce")
    revoke_code(store, record.id)
    with pytest.raises(AccessDenied, match="withdrawn"):
        check_code(store, code, "taskforce", "bristol")
    with store.engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(access_codes.select())]
    assert code not in repr(stored)
    assert [c.status for c in list_codes(store)] == ["revoked"]
    audit = store.audit_frame()
    assert list(audit["action"][-2:]) == ["issue_access_code", "revoke_access_code"]


def test_codes_need_the_right_city(store):
    with pytest.raises(ICFError, match="one city"):
        issue_code(store, "taskforce")
    with pytest.raises(ICFError, match="every city"):
        issue_code(store, "facilitator", city="bristol")
    with pytest.raises(AccessDenied, match="incomplete"):
        check_code(store, None, "facilitator")


def test_icf_dashboard_codes_add_list_revoke(store):
    runner = CliRunner()
    added = runner.invoke(main, ["dashboard", "codes", "add", "--store", store.url, "--city", "cardiff"])
    assert added.exit_code == 0, added.output
    cid, role, label, link = added.stdout.strip().split("\t")
    assert role == "taskforce" and link.startswith("http://127.0.0.1:8867/?city=cardiff&code=")
    fac = runner.invoke(main, ["dashboard", "codes", "add", "--store", store.url, "--role", "facilitator"])
    assert "http://127.0.0.1:8868/?code=" in fac.stdout
    assert "cardiff" in runner.invoke(main, ["dashboard", "codes", "list", "--store", store.url]).output
    done = runner.invoke(main, ["dashboard", "codes", "revoke", "--store", store.url, cid])
    assert done.exit_code == 0 and "Revoked" in done.output
    unknown = runner.invoke(main, ["dashboard", "codes", "add", "--store", store.url, "--city", "atlantis"])
    assert unknown.exit_code == 1 and "unknown city" in unknown.output


# -- the numbers ---------------------------------------------------------------------------------------------------

def scores(n_cities: int, thin_city: str | None = None) -> pd.DataFrame:
    rows = []
    for i in range(n_cities):
        city = f"c{i}"
        rows.append({"city": city, "area": "A1", "title": "One", "score": 10.0 * (i + 1), "n": 9,
                     "thin": city == thin_city})
    return pd.DataFrame(rows)


def test_the_programme_comparison_needs_five_cities_with_enough_answers():
    few = benchmark("c0", scores(5, thin_city="c4"))
    assert few.rows[0]["compared"] is False and few.rows[0]["median"] is None
    assert "at least 5 cities" in few.notice
    enough = benchmark("c0", scores(5))
    row = enough.rows[0]
    assert row["compared"] and (row["median"], row["low"], row["high"], row["score"]) == (30.0, 10.0, 50.0, 10.0)
    assert enough.notice is None


def test_change_across_every_round_of_the_same_framework(demo):
    store, _ = demo
    answers = store.answers_frame(None, "bristol")
    rounds = city_rounds(store.list_rounds(), answers)
    fw = store.framework_for(rounds[-1].id)
    codes = {r.id: fw.code for r in rounds}
    table = trend(rounds, answers, fw, codes)
    assert list(dict.fromkeys(table["round"])) == [r.id for r in rounds]
    assert set(table["area"]) == {OVERALL, *(a.code for a in fw.areas)}
    assert trend(rounds, answers, fw, {r.id: "another-framework" for r in rounds}).empty


def test_short_titles_drop_the_words_every_round_starts_with():
    assert short_titles(["Self-assessment before Cardiff", "Self-assessment before Bristol"]) == {
        "Self-assessment before Cardiff": "Cardiff", "Self-assessment before Bristol": "Bristol"}
    assert short_titles(["Spring", "Spring again"]) == {"Spring": "Spring", "Spring again": "Spring again"}


def test_the_drilldown_shows_sectors_and_evidence_not_who(demo):
    store, settings = demo
    view = city_view(store, "bristol", "virtual-2020", settings)
    answers = store.answers_frame("virtual-2020", "bristol")
    drill = drilldown(answers, store.framework_for("virtual-2020"), view.report)
    assert [a["code"] for a in drill] == [a.code for a in view.report.areas]
    given = [x for a in drill for q in a["questions"] for x in q["answers"]]
    assert given and set(given[0]) == {"sector", "answer", "evidence", "links"}
    assert {x["sector"] for x in given} <= set(answers["sector"])


# -- the page ------------------------------------------------------------------------------------------------------

def test_a_link_without_a_valid_code_shows_a_message_and_no_data(demo):
    store, settings = demo
    _, code = issue_code(store, "taskforce", city="bristol")
    for query in ("", "city=bristol", f"city=cardiff&code={code}", "city=bristol&code=nope",
                  f"city=../etc&code={code}"):
        text = text_of(open_dashboard(store, query, settings))
        assert "does not open a dashboard" in text and "icf-chart" not in text, query


def test_the_dashboard_shows_its_city_with_filters_and_writes_nothing(demo, tmp_path, monkeypatch):
    store, settings = demo
    monkeypatch.chdir(tmp_path)
    _, code = issue_code(store, "taskforce", city="bristol")
    page = open_dashboard(store, f"city=bristol&code={code}", settings)
    text = text_of(page)
    assert "Bristol: diagnostics dashboard" in text and text.count('class="icf-chart"') == 4
    for heading in ("Change across every round", "Beside the programme", "Questions, answers and evidence",
                    "Practices to learn from", "Peer learning pairs", "Action plan", "The brief"):
        assert heading in text
    dash = CityDashboard(store, "bristol", "Bristol", settings)
    sector = dash.sector.options[1][1]
    dash.sector.value = sector
    assert f"answers from the {sector} sector" in dash.body.value
    dash.round.value = dash.round.options[0][1]
    assert dash.sector.value == "" and "answers from all sectors" in dash.body.value
    assert list(tmp_path.iterdir()) == [] and not settings.build.exists()


def test_the_brief_is_offered_when_it_has_been_made(demo):
    store, settings = demo
    folder = settings.build / "virtual-2020" / "cardiff"
    folder.mkdir(parents=True)
    (folder / "brief.pdf").write_bytes(b"%PDF-1.7 test")
    try:
        html = dashboard_html(city_view(store, "cardiff", "virtual-2020", settings))
        assert 'download="cardiff-virtual-2020-brief.pdf" href="data:application/pdf;base64,' in html
    finally:
        (folder / "brief.pdf").unlink()


def test_text_people_typed_is_never_markup(demo):
    store, settings = demo
    resp = store.list_respondents("virtual-2020", "glasgow")[0]
    store.save_answer(resp, "A1.Q1", level=2, evidence=MARKUP, links="javascript:alert(3)")
    html = dashboard_html(city_view(store, "glasgow", "virtual-2020", settings))
    assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
