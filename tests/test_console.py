"""The facilitator console without a browser: what it does (icframework.app.operations) and its widgets, changed
as a click would change them."""

from __future__ import annotations

import csv
import io
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest

from icframework.app import operations as ops
from icframework.app.console import Console, open_console
from icframework.config import Settings
from icframework.errors import AccessDenied
from icframework.store import Store
from icframework.store.access import issue_code


@pytest.fixture
def setup(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    store.create_round("spring", "inclusive-cities", title="Spring round")
    settings = Settings.from_environment({}, cwd=tmp_path, store_url=store.url, build=tmp_path / "build")
    return store, settings


def code_of(link: str) -> tuple[str, str]:
    q = parse_qs(urlsplit(link).query)
    return q["city"][0], q["code"][0]


def test_progress_names_the_sectors_with_no_one_and_those_not_started(setup):
    store, settings = setup
    ana, _ = store.add_respondent("spring", "bristol", "employer")
    store.add_respondent("spring", "bristol", "education")
    store.save_answer(ana, "A1.Q1", level=3)
    table = ops.progress_table(store, "spring", settings.cities)
    rows = {r.sector: r for r in table[table["city"] == "bristol"].itertuples()}
    assert (rows["employer"].people, rows["employer"].answered, rows["employer"].missing) == (1, 1, "")
    assert rows["education"].missing == "not started"
    assert rows["local-authority"].missing == "no one" and rows["local-authority"].people == 0
    summary = ops.city_summary(table).set_index("city")
    assert "education (not started)" in summary.loc["bristol", "missing"]
    sectors = ops.sector_summary(table).set_index("sector")
    assert (sectors.loc["employer", "with_link"], sectors.loc["employer", "answering"]) == (1, 1)
    assert sectors.loc["education", "answering"] == 0


def test_issued_links_open_the_form_and_replacing_one_revokes_the_old(setup):
    store, _ = setup
    rows = ops.issue_links(store, "spring", "cardiff", "employer", form_url="https://forms.example.org", role="HR",
                           count=2)
    assert [r["label"] for r in rows] == ["employer-1", "employer-2"]
    assert rows[0]["link"].startswith("https://forms.example.org/?city=cardiff&code=")
    assert store.authenticate(*code_of(rows[0]["link"])).id == rows[0]["respondent"]
    new = ops.replace_link(store, rows[0]["respondent"], form_url="https://forms.example.org")
    with pytest.raises(AccessDenied, match="withdrawn"):
        store.authenticate(*code_of(rows[0]["link"]))
    assert store.authenticate(*code_of(new["link"])).role == "HR"


def test_the_links_csv_is_ready_for_a_mail_merge_and_runs_no_formula():
    rows = [{"round": "spring", "city": "bristol", "sector": "employer", "role": "=HYPERLINK(\"x\")",
             "label": "employer-1", "respondent": 7, "link": "https://f.example.org/?city=bristol&code=-abc"}]
    data = ops.links_csv(rows)
    assert data.startswith("\ufeff".encode())
    read = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert read[0]["role"] == "'=HYPERLINK(\"x\")" and read[0]["link"].startswith("https://")
    assert list(read[0]) == ops.LINK_COLUMNS


def test_briefs_are_found_and_zipped(tmp_path):
    for city in ("bristol", "cardiff", "convening"):
        (tmp_path / "spring" / city).mkdir(parents=True)
        (tmp_path / "spring" / city / "brief.pdf").write_bytes(f"%PDF {city}".encode())
    files = ops.brief_files(tmp_path, "spring")
    assert list(files) == ["bristol", "cardiff", "convening"]
    with zipfile.ZipFile(io.BytesIO(ops.briefs_zip(files, "spring"))) as zf:
        assert zf.namelist() == ["spring/bristol.pdf", "spring/cardiff.pdf", "spring/convening.pdf"]
        assert zf.read("spring/cardiff.pdf") == b"%PDF cardiff"
    assert ops.brief_files(tmp_path, "autumn") == {}


def test_only_a_facilitator_code_opens_the_console(setup):
    store, settings = setup
    _, taskforce = issue_code(store, "taskforce", city="bristol")
    _, facilitator = issue_code(store, "facilitator")
    for query in ("", f"code={taskforce}", "code=nope"):
        page = open_console(store, query, settings)
        assert "does not open the console" in page.children[0].value, query
    assert isinstance(open_console(store, f"code={facilitator}", settings).children[0].value, str)


def test_the_console_issues_links_closes_the_round_and_revokes(setup):
    store, settings = setup
    console = Console(store, settings, "https://forms.example.org")
    console.city.value = "newport"
    console.sector.value = "employer"
    console.role.value = "Chamber of commerce"
    console.count.value = 2
    console.issue.click()
    assert len(console.issued) == 2 and "Download these 2 links (CSV" in console.issued_html.value
    assert "Newport" in console.progress.value
    assert len(console.people.options) == 2
    console.people.value = (console.people.options[0][1],)
    console.revoke.click()
    assert store.respondent(console.people.options[0][1]).status == "revoked"
    console.toggle.click()
    assert store.get_round("spring").closed and console.toggle.description == "Reopen the round"
    console.issue.click()  # a closed round takes no new links: said on the page
    assert "is closed" in console.issued_html.value
    console.toggle.click()
    assert not store.get_round("spring").closed
