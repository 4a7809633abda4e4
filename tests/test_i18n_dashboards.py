"""The dashboards and the command line speak the language they are given: a made-up language `xx` whose words are
the catalogue's own msgids in capitals shows on the city dashboard, the facilitator console and in `icf`'s
messages, with the page's `lang`; English stays the default.

The words are taken from the extracted catalogue (`icframework/locale/icframework.pot`), so a text that is not
marked for translation, or is marked but missing from the catalogue, fails here."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner

from icframework import i18n
from icframework.app import console as console_mod
from icframework.app import dashboard as dashboard_mod
from icframework.app.console import Console, open_console
from icframework.app.dashboard import CityDashboard, open_dashboard
from icframework.cli import main
from icframework.config import Settings
from icframework.i18n import Translator
from icframework.store import Store
from icframework.store.access import issue_code
from icframework.store.demo import generate

POT = i18n.LOCALE / "icframework.pot"
MINE = ("icframework/app/dashboard.py", "icframework/app/console.py", "icframework/app/operations.py",
        "icframework/app/pages.py", "icframework/analysis/dashboard.py", "icframework/analysis/summary.py",
        "icframework/cli/")
# Words the pages and commands below must show, as the catalogue has them.
USED = ["{city}: diagnostics dashboard", "Change across every round", "Beside the programme", "Round", "Sector",
        "All sectors", "Questions, answers and evidence", "{label}: the chart as text", "Overall",
        "This link does not open a dashboard", "Facilitator console", "Close the round", "Reopen the round",
        "Issue links", "Who has answered", "By city", ("Download this link (CSV, for a mail merge)",
                                                      "Download these {n} links (CSV, for a mail merge)"),
        "No rounds yet. Create one with `icf rounds create ID --title \"...\"`.", "error: {message}",
        "{n} problem(s) found."]


def shout(text: str) -> str:
    """`text` in capitals, its {placeholders} kept as they are."""
    return re.sub(r"\{[^{}]*\}|[^{]+", lambda m: m.group() if m.group().startswith("{") else m.group().upper(),
                  text)


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with POT.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def xx(catalogue) -> Translator:
    """The made-up language: every msgid of the dashboards' and the command line's files, in capitals."""
    messages = {}
    for m in catalogue:
        if m.id and any(path.startswith(MINE) for path, _ in m.locations):
            messages[m.id] = tuple(map(shout, m.id)) if isinstance(m.id, tuple) else shout(m.id)
    return Translator(lang="xx", messages=messages, plural_rule=lambda n: 0 if n == 1 else 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("i18n-dash")
    store = Store(f"sqlite:///{root / 'icf.sqlite3'}")
    generate(store)
    settings = Settings.from_environment({}, cwd=root, store_url=store.url, build=root / "build")
    return store, settings


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def text_of(widget) -> str:
    out = []
    for w in walk(widget):
        for attr in ("value", "description"):
            value = getattr(w, attr, None)
            if isinstance(value, str):
                out.append(value)
        options = getattr(w, "options", None)
        if options and isinstance(options[0], tuple):
            out += [str(label) for label, _ in options]
    return "\n".join(out)


def test_the_words_used_here_are_in_the_catalogue(catalogue):
    ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue if m.id}
    assert [w for w in USED if w not in ids] == []


def test_the_city_dashboard_speaks_its_language_and_sets_lang(demo, xx):
    store, settings = demo
    dash = CityDashboard(store, "bristol", "Bristol", settings, tr=xx)
    text = text_of(dash.widget)
    assert "icf-lang-xx" in dash.widget._dom_classes and "icf-lang-en" not in dash.widget._dom_classes
    assert "Bristol: DIAGNOSTICS DASHBOARD" in text
    for words in ("CHANGE ACROSS EVERY ROUND", "BESIDE THE PROGRAMME", "QUESTIONS, ANSWERS AND EVIDENCE",
                  "PRACTICES TO LEARN FROM", "PEER LEARNING PAIRS", "ACTION PLAN", "THE BRIEF", "ALL SECTORS",
                  ": THE CHART AS TEXT", "LINE CHARTS OF Bristol'S SCORES (0 TO 100) IN 3 ROUNDS", "(CHART)"):
        assert words in text or words.replace("'", "&#x27;") in text, words
    assert (dash.round.description, dash.sector.description) == ("ROUND", "SECTOR")
    for english in ("Change across every round", "Beside the programme", "the chart as text", "All sectors",
                    "Practices to learn from", "Download the brief", "has not been made yet"):
        assert english not in text, english
    dash.sector.value = dash.sector.options[1][1]
    assert f"ANSWERS FROM THE {dash.sector.value} SECTOR" in dash.body.value


def test_the_dashboard_link_carries_its_language(demo, xx, monkeypatch):
    store, settings = demo
    real = dashboard_mod.translator
    monkeypatch.setattr(dashboard_mod, "translator", lambda lang="en", extra=(): xx if lang == "xx" else
                        real(lang, extra))
    _, code = issue_code(store, "taskforce", city="cardiff")
    page = open_dashboard(store, f"city=cardiff&code={code}&lang=xx", settings)
    assert "icf-lang-xx" in page._dom_classes and "Cardiff: DIAGNOSTICS DASHBOARD" in text_of(page)
    refused = open_dashboard(store, "city=cardiff&code=nope&lang=xx", settings)
    assert "icf-lang-xx" in refused._dom_classes and "THIS LINK DOES NOT OPEN A DASHBOARD" in text_of(refused)
    english = open_dashboard(store, f"city=cardiff&code={code}", settings)
    assert "icf-lang-en" in english._dom_classes and "Cardiff: diagnostics dashboard" in text_of(english)
    odd = open_dashboard(store, f"city=cardiff&code={code}&lang=<b>", settings)  # not a language: English
    assert "icf-lang-en" in odd._dom_classes


def test_the_console_speaks_its_language_and_sets_lang(tmp_path, xx, monkeypatch):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    store.create_round("spring", "inclusive-cities", title="Spring round")
    settings = Settings.from_environment({}, cwd=tmp_path, store_url=store.url, build=tmp_path / "build")
    console = Console(store, settings, "https://forms.example.org", tr=xx)
    assert "icf-lang-xx" in console.widget._dom_classes
    text = text_of(console.widget)
    for words in ("FACILITATOR CONSOLE", "WHO HAS ANSWERED", "LINKS TO THE FORM", "ISSUE LINKS", "CLOSE THE ROUND",
                  "NO LINKS ISSUED FOR THIS ROUND YET.", "NO BRIEFS MADE FOR THIS ROUND YET."):
        assert words in text, words
    assert "Facilitator console" not in text and "Close the round" not in text
    console.city.value = "newport"
    console.sector.value = "employer"
    console.count.value = 2
    console.issue.click()
    assert "DOWNLOAD THESE 2 LINKS (CSV, FOR A MAIL MERGE)" in console.issued_html.value
    assert "BY CITY" in console.progress.value and "NOT STARTED" in console.progress.value
    console.toggle.click()
    assert console.toggle.description == "REOPEN THE ROUND"
    real = console_mod.translator
    monkeypatch.setattr(console_mod, "translator", lambda lang="en", extra=(): xx if lang == "xx" else
                        real(lang, extra))
    refused = open_console(store, "code=nope&lang=xx", settings)
    assert "icf-lang-xx" in refused._dom_classes and "THIS LINK DOES NOT OPEN THE CONSOLE" in text_of(refused)


# -- the command line ------------------------------------------------------------------------------------------

@pytest.fixture
def programme(tmp_path, xx):
    """A programme with its own catalogue for `xx` (how a programme adds a language without touching code)."""
    folder = tmp_path / "prog"
    assert CliRunner().invoke(main, ["init", str(folder)]).exit_code == 0
    catalog = Catalog(project="icframework", domain=i18n.DOMAIN, charset="utf-8", fuzzy=False)
    for msgid, text in xx.messages.items():
        catalog.add(msgid, text)
    po = folder / "locale" / "xx" / "LC_MESSAGES" / "icframework.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as f:
        write_po(f, catalog)
    return folder


def test_icf_lang_prints_the_messages_in_that_language(programme, monkeypatch):
    monkeypatch.chdir(programme)
    runner = CliRunner()
    english = runner.invoke(main, ["rounds"])
    assert english.exit_code == 0 and english.output.startswith("No rounds yet.")
    xx = runner.invoke(main, ["--lang", "xx", "rounds"])
    assert xx.exit_code == 0 and xx.output.startswith("NO ROUNDS YET. CREATE ONE WITH `ICF ROUNDS CREATE ID")
    monkeypatch.setenv("ICF_LANG", "xx")
    from_env = runner.invoke(main, ["rounds", "show", "nope"])
    assert from_env.exit_code == 1 and from_env.output.startswith("ERROR: ")
    assert runner.invoke(main, ["--lang", "en", "rounds"]).output.startswith("No rounds yet.")
    (programme / "bad.yaml").write_text("code: [unclosed\n", encoding="utf-8")
    bad = runner.invoke(main, ["validate", str(programme / "bad.yaml")])
    assert bad.exit_code == 1 and bad.output.endswith("1 PROBLEM(S) FOUND.\n"), bad.output


def test_a_language_without_a_catalogue_prints_english_and_a_bad_code_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    plain = runner.invoke(main, ["--lang", "ga", "frameworks", "list"])
    assert plain.exit_code == 0 and " questions  " in plain.output
    bad = runner.invoke(main, ["--lang", "../../etc", "frameworks", "list"])
    assert bad.exit_code == 2 and "not a language code" in bad.output
    assert "--lang CODE" in runner.invoke(main, ["--help"]).output


def test_a_dashboard_code_can_open_the_page_in_a_language(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    runner = CliRunner()
    added = runner.invoke(main, ["dashboard", "codes", "add", "--store", store.url, "--city", "cardiff",
                                 "--lang", "cy"])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip().split("\t")[3].endswith("&lang=cy")
    fac = runner.invoke(main, ["dashboard", "codes", "add", "--store", store.url, "--role", "facilitator"])
    assert "lang=" not in fac.stdout
