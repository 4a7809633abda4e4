"""The self-assessment form's logic, without a browser: widgets are changed as a click would change them."""

from __future__ import annotations

import re
from textwrap import dedent

import ipywidgets as W
import pytest
from click.testing import CliRunner

from icframework import style
from icframework.app import AssessmentForm, open_form, page_setup, parse_link
from icframework.cli import main
from icframework.cli.app import FORM_CHECK, voila_argv
from icframework.config import Settings, bundled
from icframework.errors import AccessDenied
from icframework.store import Store

MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round("r1", "inclusive-cities", title="Round one")
    return s


@pytest.fixture
def ana(store):
    return store.add_respondent("r1", "bristol", "employer", role="HR lead")


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def html_of(widget) -> str:
    return "\n".join(w.value for w in walk(widget) if isinstance(w, W.HTML))


def inputs_of(widget) -> list:
    return [w for w in walk(widget) if isinstance(w, W.RadioButtons | W.Textarea | W.Text)]


@pytest.mark.parametrize(("query", "expected"), [
    ("city=bristol&code=abc", ("bristol", "abc")),
    ("?city=Bristol%20&code=%20abc", ("bristol", "abc")),
    ("code=abc", (None, "abc")),
    ("", (None, None)),
])
def test_parse_link(query, expected):
    assert parse_link(query) == expected


@pytest.mark.parametrize("case", ["wrong code", "other city", "revoked", "no code", "no store"])
def test_a_bad_link_shows_a_clear_message_and_no_data(store, ana, case):
    resp, code = ana
    store.save_answer(resp, "A1.Q1", level=3, evidence="Secret Bristol minutes")
    _, cardiff_code = store.add_respondent("r1", "cardiff", "employer")
    if case == "revoked":
        store.set_status(resp.id, "revoked", actor="facilitator")
    query = {"wrong code": "city=bristol&code=nope", "other city": f"city=bristol&code={cardiff_code}",
             "revoked": f"city=bristol&code={code}", "no code": "city=bristol", "no store": f"city=bristol&code={code}"}
    page = open_form(None if case == "no store" else store, query[case])
    expected = {"wrong code": "This link is not valid", "other city": "This link is not valid",
                "revoked": "This link has been withdrawn", "no code": "This link is incomplete",
                "no store": "started without an answer store"}[case]
    assert expected in html_of(page)
    assert inputs_of(page) == []
    assert "Secret" not in html_of(page)


def test_a_good_link_opens_that_respondents_form(store, ana):
    resp, code = ana
    page = open_form(store, f"city=bristol&code={code}")
    text = html_of(page)
    assert "Bristol: self-assessment" in text and "answering as HR lead" in text
    assert len([w for w in inputs_of(page) if isinstance(w, W.RadioButtons)]) == 7  # the first section, A1


def test_every_change_is_saved_at_once_with_an_audit_row(store, ana):
    resp, _ = ana
    form = AssessmentForm(store, resp)
    card = form.cards["A1.Q1"]
    card.choice.value = "2"
    assert store.answers_for(resp)["A1.Q1"]["response"] == "level"
    assert store.answers_for(resp)["A1.Q1"]["level"] == 2
    assert "Saved: Developing" in card.status.value
    card.evidence.value = "Min"
    card.evidence.value = "Minutes of May"
    card.choice.value = "na"
    got = store.answers_for(resp)["A1.Q1"]
    assert (got["response"], got["level"], got["evidence"]) == ("na", None, "Minutes of May")
    assert "Saved: Not applicable" in card.status.value
    audit = store.audit_frame(resp.id)
    rows = audit[audit.action == "answer"][["field", "old", "new"]].values.tolist()
    assert rows == [
        ["response", None, "level"], ["level", None, "2"],
        ["evidence", "", "Min"], ["evidence", "Min", "Minutes of May"],
        ["response", "level", "na"], ["level", "2", None],
    ]
    assert set(audit[audit.action == "answer"].actor) == {f"respondent:{resp.id}"}


def test_coming_back_shows_every_answer_where_it_was_left(store, ana):
    resp, _ = ana
    form = AssessmentForm(store, resp)
    form.show_area("A3")
    form.cards["A3.Q2"].choice.value = "dont_know"
    form.cards["A3.Q2"].links.value = "https://example.org/report"
    form.show_area("A1")
    form.cards["A1.Q4"].choice.value = "4"
    form.cards["A1.Q4"].comment.value = "Agreed at the May meeting"

    again = AssessmentForm(store, resp)
    assert (again.cards["A1.Q4"].choice.value, again.cards["A1.Q4"].comment.value) == ("4", "Agreed at the May meeting")
    assert "A3.Q2" not in again.cards  # built when its section is first shown
    again.show_area("A3")
    assert again.cards["A3.Q2"].choice.value == "dont_know"
    assert again.cards["A3.Q2"].links.value == "https://example.org/report"
    assert again.cards["A3.Q1"].choice.value is None
    # five changes were audited (response; links; response and level; comment); restoring the form saved nothing
    assert (store.audit_frame(resp.id).action == "answer").sum() == 5


def test_progress_counts_answers_not_text(store, ana):
    resp, _ = ana
    form = AssessmentForm(store, resp)
    form.cards["A1.Q1"].choice.value = "1"
    form.cards["A1.Q2"].choice.value = "dont_know"
    form.cards["A1.Q3"].evidence.value = "Only evidence, no answer yet"
    form.show_area("A2")
    form.cards["A2.Q1"].choice.value = "na"
    n_a2 = len(form.fw.area("A2").questions)
    prog = form.progress()
    assert prog["A1"] == (2, 7)
    assert prog["A2"] == (1, n_a2)
    assert prog["A3"][0] == 0
    assert prog["all"] == (3, 35)
    assert form.nav["A1"].description == "A1 · 2/7"
    assert "3 of 35 questions answered" in form.progress_html.value


def test_review_lists_unanswered_and_evidence_less_questions(store, ana):
    resp, _ = ana
    form = AssessmentForm(store, resp)
    form.cards["A1.Q1"].choice.value = "3"  # a level, no evidence
    form.cards["A1.Q2"].choice.value = "2"
    form.cards["A1.Q2"].evidence.value = "Council minutes"
    form.cards["A1.Q3"].choice.value = "1"
    form.cards["A1.Q3"].links.value = "https://example.org"  # links count as evidence
    form.cards["A1.Q4"].choice.value = "dont_know"  # no level: nothing to evidence
    review = form.review()
    assert review.without_evidence == ("A1.Q1",)
    assert len(review.unanswered) == 35 - 4
    assert {"A1.Q1", "A1.Q2", "A1.Q3", "A1.Q4"}.isdisjoint(review.unanswered)
    assert review.unanswered[:3] == ("A1.Q5", "A1.Q6", "A1.Q7")
    form.show_review()
    goto = [w.description for w in walk(form.body) if isinstance(w, W.Button) and "icf-goto" in w._dom_classes]
    assert goto[0].startswith("A1.Q5 ") and goto[-1].startswith("A1.Q1 ") and len(goto) == 31 + 1


def test_submitting_closes_the_answers_until_reopened(store, ana):
    resp, code = ana
    form = AssessmentForm(store, resp)
    form.cards["A1.Q1"].choice.value = "2"
    assert form.submit()
    assert store.respondent(resp.id).status == "submitted"
    assert all(w.disabled for w in inputs_of(form.cards["A1.Q1"].widget))
    assert "your answers are submitted" in html_of(form.widget)
    assert not form.save("A1.Q1", level=4)  # even a change sent by hand is refused
    assert store.answers_for(resp)["A1.Q1"]["level"] == 2
    again = AssessmentForm(store, store.authenticate("bristol", code))
    assert not again.editable and again.cards["A1.Q1"].choice.disabled
    store.set_status(resp.id, "open", actor="facilitator")
    reopened = AssessmentForm(store, store.authenticate("bristol", code))
    reopened.cards["A1.Q1"].choice.value = "4"
    assert store.answers_for(resp)["A1.Q1"]["level"] == 4


def test_a_closed_round_shows_the_answers_and_takes_no_changes(store, ana):
    resp, code = ana
    form = AssessmentForm(store, resp)
    form.cards["A1.Q1"].choice.value = "3"
    store.set_round_closed("r1", True)
    assert not form.save("A1.Q1", level=1)  # a page left open when the round closed cannot change it
    closed = AssessmentForm(store, store.authenticate("bristol", code))
    assert not closed.editable and closed.cards["A1.Q1"].choice.disabled
    assert "This self-assessment has closed" in html_of(closed.widget)
    assert store.answers_for(resp)["A1.Q1"]["level"] == 3
    store.set_round_closed("r1", False)
    assert AssessmentForm(store, store.authenticate("bristol", code)).editable


def test_a_failed_save_says_so_keeps_the_text_and_is_retried(store, ana):
    resp, _ = ana
    form = AssessmentForm(store, resp)
    store.set_status(resp.id, "revoked", actor="facilitator")  # the save will be refused
    form.cards["A1.Q2"].evidence.value = "Typed while the store refused"
    assert form.cards["A1.Q2"].evidence.value == "Typed while the store refused"
    assert "Not saved" in form.cards["A1.Q2"].status.value
    assert "1 answer not saved yet" in form.save_status.value
    assert form.retry.layout.display == ""
    assert form.unsaved == {"A1.Q2": {"evidence": "Typed while the store refused"}}
    assert "A1.Q2" not in store.answers_for(resp)
    store.set_status(resp.id, "open", actor="facilitator")
    form.retry.click()
    assert form.unsaved == {}
    assert store.answers_for(resp)["A1.Q2"]["evidence"] == "Typed while the store refused"
    assert style.ALL_SAVED in form.save_status.value and form.retry.layout.display == "none"


def test_synthetic_rounds_carry_a_visible_notice(store, ana):
    resp, _ = ana
    assert "Synthetic demo data" not in html_of(AssessmentForm(store, resp).widget)
    store.create_round("demo", "inclusive-cities", synthetic=True)
    demo, _ = store.add_respondent("demo", "bristol", "employer")
    assert "Synthetic demo data" in html_of(AssessmentForm(store, demo).widget)


def test_user_text_is_shown_as_text(store, ana):
    resp, code = ana
    store.save_answer(resp, "A1.Q1", evidence=MARKUP, comment=MARKUP, links=MARKUP)
    form = AssessmentForm(store, store.authenticate("bristol", code))
    card = form.cards["A1.Q1"]
    assert card.evidence.value == card.comment.value == card.links.value == MARKUP
    assert "<script" not in html_of(form.widget) and "<img" not in html_of(form.widget)


def test_a_users_own_framework_shapes_the_form(tmp_path, store):
    path = tmp_path / "my-framework.yaml"
    path.write_text(dedent("""\
        code: my-framework
        title: Our <b>own</b> framework
        version: "0.1"
        source: Written for this test
        description: A small framework of our own.
        labels: {principle: Value, area: Theme}
        scale: maturity
        tiers: [{min: 0, label: Early, description: Just starting.}]
        principles: [{code: P1, title: Openness, description: Being open.}]
        areas:
          - code: A1
            title: Welcome <i>first</i>
            description: How people are welcomed.
            questions:
              - {code: A1.Q1, text: "Is there a <b>welcome</b> pack?",
                 guidance: {0: "No pack.", 4: "A pack in ten languages."},
                 evidence_prompt: The pack itself., core: true, weight: 1, principles: [P1]}
          - code: A2
            title: Work
            description: Finding work.
            questions:
              - {code: A2.Q1, text: Do employers take part?, guidance: {2: Some do.},
                 evidence_prompt: A list of employers., core: false, weight: 1, principles: [P1]}
        """))
    store.create_round("own", str(path))
    resp, _ = store.add_respondent("own", "cardiff", "employer")
    form = AssessmentForm(store, resp)
    text = html_of(form.widget)
    assert "Theme A1: Welcome &lt;i&gt;first&lt;/i&gt;" in text
    assert "Is there a &lt;b&gt;welcome&lt;/b&gt; pack?" in text and "<b>" not in text
    labels = [label for label, _ in form.cards["A1.Q1"].choice.options]
    assert labels[0] == "Not started (0): No pack."
    assert labels[2].startswith("Developing (2): Planned work")  # no guidance for 2: the scale's description
    assert labels[-2:] == [f"Don't know: {style.DONT_KNOW_HELP}", f"Not applicable: {style.NOT_APPLICABLE_HELP}"]
    assert [b.description for b in form.nav.values()] == ["A1 · 0/1", "A2 · 0/1", "Review and submit"]


def test_the_form_speaks_plainly_to_the_people_answering(store, ana):
    resp, _ = ana
    form = AssessmentForm(store, resp)
    for card in form.cards.values():
        card.choice.value = "dont_know"
        card.links.value = "https://example.org"
    words = html_of(form.widget) + " ".join(label for c in form.cards.values() for label, _ in c.choice.options)
    for jargon in ("never as zero", "lowers the maximum", "counted on its own", "Saved: links", "[synthetic]"):
        assert jargon not in words
    assert "Saved: your links" in form.cards["A1.Q1"].status.value
    assert "Saved: your links (A1.7" not in form.save_status.value and "(A1.Q7)" in form.save_status.value


def test_evidence_guidance_is_visible_help_not_a_placeholder(store, ana):
    resp, _ = ana
    form = AssessmentForm(store, resp)
    card = form.cards["A1.Q1"]
    assert all(w.placeholder.strip("\u200b") == "" for w in (card.evidence, card.links, card.comment))
    assert f'id="icf-help-A1-Q1">{card.q.evidence_prompt.replace(chr(39), "&#x27;")}</p>' in html_of(card.widget)
    assert 'id="icf-qtext-A1-Q1"' in card.head.value  # the radio group's name in the page (assets/form.js)
    assert "icf-live" in form.save_status._dom_classes  # the live region that announces saves


@pytest.mark.parametrize(("n", "expected"), [(35, (25, 40)), (7, (5, 10)), (1, (5, 10)), (60, (40, 70))])
def test_time_estimate_from_the_number_of_questions(n, expected):
    from icframework.app.form import time_estimate

    assert time_estimate(n) == expected


def test_the_deadline_time_and_contact_are_shown(tmp_path):
    import datetime as dt

    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round("r1", "inclusive-cities", title="Round one", closes=dt.date(2027, 3, 26))
    resp, _ = s.add_respondent("r1", "bristol", "employer")
    text = html_of(AssessmentForm(s, resp, contact="Sam <Patel>, sam@example.org", today=dt.date(2027, 3, 1)).widget)
    assert "About 25 to 40 minutes" in text and "35 questions" in text
    assert "Please answer by Friday 26 March 2027" in text
    assert 'Sam &lt;Patel&gt;, <a href="mailto:sam@example.org">sam@example.org</a>' in text
    late = html_of(AssessmentForm(s, resp, today=dt.date(2027, 4, 1)).widget)
    assert "The deadline was Friday 26 March 2027" in late and "Questions?" not in late


def test_download_my_answers_is_a_standalone_receipt_with_text_escaped(store, ana):
    import base64

    resp, _ = ana
    form = AssessmentForm(store, resp)
    form.cards["A1.Q1"].choice.value = "3"
    form.cards["A1.Q1"].evidence.value = MARKUP
    form.show_review()
    link = next(w.value for w in walk(form.widget) if isinstance(w, W.HTML) and "icf-download" in w.value)
    assert 'download="bristol-r1-my-answers.html"' in link
    page = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", link).group(1)).decode()
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page  # nothing runs or loads even if something slipped through
    assert "Established" in page and "1 of 35 questions answered" in page and "A5.Q7" in page


def test_the_programme_contact_reaches_the_kernel(tmp_path):
    from icframework.model.programme import init_programme, load_programme

    path = init_programme(tmp_path / "p", name="P")
    assert load_programme(path).contact is None
    path.write_text(path.read_text() + 'contact: "Sam Patel, sam@example.org"\n')
    settings = Settings.from_environment({}, tmp_path / "p")
    assert settings.contact == "Sam Patel, sam@example.org"
    assert settings.as_environment()["ICF_CONTACT"] == "Sam Patel, sam@example.org"
    assert Settings.from_environment(settings.as_environment(), tmp_path).contact == settings.contact


def test_page_setup_brings_the_stylesheet_and_the_close_script():
    html = page_setup().data
    assert style.PRIMARY in html
    assert re.search(r"<style>.*\.icf-app .*</style>", html, re.S)
    assert "beforeunload" in html and "send_sync_message" in html


def test_palette_has_readable_contrast():
    assert style.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert style.contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    pairs = [(style.TEXT, style.BACKGROUND), (style.PRIMARY, style.BACKGROUND), (style.BACKGROUND, style.PRIMARY),
             (style.MUTED, style.SURFACE), (style.TEXT, style.ACCENT_TINT), (style.ERROR, style.BACKGROUND),
             (style.SUCCESS, style.BACKGROUND), (style.ACCENT, style.BACKGROUND), (style.PRIMARY, style.PRIMARY_TINT)]
    for fg, bg in pairs:
        assert style.contrast_ratio(fg, bg) >= 4.5, (fg, bg)


def test_voila_command_strips_sources_preheats_and_culls(tmp_path):
    nb = tmp_path / "self_assessment.ipynb"
    argv = voila_argv(nb, port=9000, host="0.0.0.0", open_browser=False, pool_size=3, cull_idle=600,
                      check=FORM_CHECK, max_kernels=25, failed_links=7, orphan_timeout=15)
    assert argv[1:4] == ["-c", "from icframework.app.server import serve; "
                         "serve(check='icframework.app.server:form_check')", str(nb)]
    for flag in ("--template=icf", "--port=9000", "--Voila.ip=0.0.0.0", "--strip_sources=True", "--preheat_kernel=True",
                 "--pool_size=3", "--MappingKernelManager.cull_idle_timeout=600", "--no-browser",
                 "--VoilaConfiguration.multi_kernel_manager_class=icframework.app.server.GraceKernelManager",
                 "--GuardedVoila.max_kernels=25", "--GuardedVoila.failed_links_per_minute=7",
                 "--GraceKernelManager.orphan_timeout=15", "--VoilaExecutor.iopub_timeout=120"):
        assert flag in argv
    assert "--no-browser" not in voila_argv(nb, port=1, host="h", open_browser=True, pool_size=1, cull_idle=60)


def test_store_urls_become_absolute_for_the_kernels(tmp_path):
    def url(given):
        return Settings.from_environment({}, tmp_path, store_url=given).store_url

    assert url("sqlite:///data/icf.sqlite3") == f"sqlite:///{tmp_path / 'data' / 'icf.sqlite3'}"
    assert url("sqlite:////srv/icf.sqlite3") == "sqlite:////srv/icf.sqlite3"
    assert url("postgresql://db/icf") == "postgresql://db/icf"
    assert url(None) is None  # no programme here: no store is made up
    (tmp_path / "programme.yaml").write_text("name: Test\nstore: data/answers.sqlite3\n")
    (tmp_path / "sub").mkdir()
    found = Settings.from_environment({}, tmp_path / "sub")  # found from a folder below the programme
    assert found.store_url == f"sqlite:///{tmp_path / 'data' / 'answers.sqlite3'}" and found.programme == tmp_path


def test_respondents_commands_issue_list_revoke_and_reopen(tmp_path, store):
    url = store.url
    run = CliRunner().invoke
    res = run(main, ["respondents", "add", "--store", url, "--round", "r1", "--city", "bristol",
                     "--sector", "employer", "--role", "HR lead", "--count", "2", "--base-url", "https://forms.example"])
    assert res.exit_code == 0, res.output
    links = re.findall(r"https://forms\.example/\?city=bristol&code=([\w-]+)", res.output)
    assert len(links) == 2 and links[0] != links[1]
    people = [store.authenticate("bristol", code) for code in links]
    assert [p.role for p in people] == ["HR lead", "HR lead"]
    with pytest.raises(AccessDenied):
        store.authenticate("cardiff", links[0])
    store.save_answer(people[0], "A1.Q1", level=2)
    listing = run(main, ["respondents", "list", "--store", url]).output
    assert re.search(rf"{people[0].id}\s+r1\s+bristol\s+employer-1\s+employer\s+open\s+1/35", listing)
    assert run(main, ["respondents", "revoke", "--store", url, str(people[0].id)]).exit_code == 0
    with pytest.raises(AccessDenied, match="withdrawn"):
        store.authenticate("bristol", links[0])
    assert run(main, ["respondents", "reopen", "--store", url, str(people[0].id)]).exit_code == 0
    assert store.authenticate("bristol", links[0]).status == "open"
    bad = run(main, ["respondents", "add", "--store", url, "--round", "r1", "--city", "atlantis", "--sector",
                     "employer"])
    assert bad.exit_code == 1 and "unknown city 'atlantis'" in bad.output


def test_app_help_says_how_to_issue_links():
    res = CliRunner().invoke(main, ["app", "--help"])
    assert res.exit_code == 0
    assert "icf respondents add" in res.output and "--no-browser" in res.output


def test_the_workbook_is_thin_without_outputs_and_paired():
    import jupytext
    import nbformat

    path = bundled("workbooks") / "self_assessment.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert [c.cell_type for c in nb.cells] == ["code", "code"]  # markdown would be shown to respondents
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells)
    assert "from icframework.app import" in nb.cells[0].source
    assert "app.open(query_string())" in nb.cells[1].source
    assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    twin = jupytext.read(path.with_suffix(".py"))
    assert [c.source for c in nb.cells] == [c.source for c in twin.cells]


# -- the server: no kernel before a valid link (icframework/app/server.py) -----------------------------------------
def test_failed_links_are_limited_per_address_in_a_sliding_minute():
    from icframework.app.server import FailureLimiter

    now = [1000.0]
    limiter = FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait("10.0.0.1") == 0
        limiter.fail("10.0.0.1")
        now[0] += 10
    assert limiter.wait("10.0.0.1") == 30  # the first failure leaves the window 60 s after it happened
    assert limiter.wait("10.0.0.2") == 0  # another address is not held back
    now[0] += 30
    assert limiter.wait("10.0.0.1") == 0
    now[0] += 200
    limiter.wait("10.0.0.3")
    assert len(limiter) == 0  # nothing kept for addresses whose failures are old


def test_the_client_address_comes_from_the_proxy_only_behind_a_local_proxy():
    from icframework.app.server import client_address

    assert client_address("203.0.113.5", {"X-Forwarded-For": "1.2.3.4"}) == "203.0.113.5"
    assert client_address("127.0.0.1", {"X-Forwarded-For": "1.2.3.4, 198.51.100.7"}) == "198.51.100.7"
    assert client_address("::1", {"X-Real-IP": "198.51.100.8"}) == "198.51.100.8"
    assert client_address("127.0.0.1", {}) == "127.0.0.1"


def test_a_refused_link_gets_a_static_page_with_the_forms_words(store, ana):
    from icframework.app.server import Refusal, form_check, static_page

    resp, code = ana
    check = form_check({"ICF_STORE_URL": store.url})
    assert check(f"city={resp.city}&code={code}") is None
    wrong = check(f"city={resp.city}&code=nope")
    assert wrong.status == 403 and wrong.text.startswith("This link is not valid")
    assert check("city=bristol").status == 400 and "incomplete" in check("city=bristol").text
    store.set_status(resp.id, "revoked", actor="facilitator")
    assert "withdrawn" in check(f"city={resp.city}&code={code}").text
    assert form_check({})("").status == 503
    page = static_page(Refusal(403, "A <b>title</b>", 'Text & "quotes"'))
    assert "<script" not in page and "A &lt;b&gt;title&lt;/b&gt;" in page and "Text &amp; &quot;quotes&quot;" in page
    assert 'role="alert"' in page and '<html lang="en">' in page


def test_pool_refills_wait_until_people_stop_arriving_and_start_one_at_a_time():
    """Voilà refills its pool as soon as a kernel is taken: with a room arriving, that is a kernel starting for
    nobody beside every page. A refill waits until no page is being rendered and none was for `refill_quiet`
    seconds, then starts alone; a refill a page has already taken from the pool (it ran out) starts at once."""
    import asyncio

    from icframework.app.server import GraceKernelManager, open_pages

    async def scenario():
        km = GraceKernelManager(refill_quiet=0.3)
        loop = asyncio.get_running_loop()
        gate = loop.create_future()
        km._pools = {"form.ipynb": []}
        taken: list[str] = []

        async def refill(name):
            await gate  # so that the task is in the pool before it asks for its turn
            slot = object()
            await km._refill_turn(asyncio.current_task(), slot)
            taken.append(name)
            return slot

        tasks = {name: loop.create_task(refill(name)) for name in ("a", "b", "c")}
        km._pools["form.ipynb"].extend(tasks.values())
        km.page_started()
        gate.set_result(None)
        await asyncio.sleep(0.1)
        assert taken == []  # a page is being rendered
        km._pools["form.ipynb"].remove(tasks["c"])  # a page took this one from the pool: it must not wait
        await asyncio.sleep(0.1)
        assert taken == ["c"]
        km.page_finished()
        await asyncio.sleep(0.5)
        assert taken == ["c"]  # quiet now, but one at a time: the next waits until "c" is preheated
        km._warming.discard(await tasks["c"])
        await asyncio.sleep(0.3)
        assert len(taken) == 2
        km._warming.discard(await tasks[taken[1]])
        await asyncio.wait_for(asyncio.gather(*tasks.values()), 5)
        assert sorted(taken) == ["a", "b", "c"]

        # pages open: every kernel but the preheated ones waiting in the pool (a pending refill has no kernel)
        done = loop.create_future()
        done.set_result({"kernel_id": "k2"})
        km._pools = {"form.ipynb": [done, loop.create_future()]}
        km.list_kernel_ids = lambda: ["k1", "k2", "k3"]
        assert open_pages(km, "form.ipynb") == 2

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # its own thread: Playwright's sync API may run a loop in this one
        pool.submit(asyncio.run, scenario()).result()


def test_form_kernels_start_without_the_debugger(monkeypatch):
    """`icf app` puts the package's Jupyter folder first on JUPYTER_PATH, so the notebooks' `python3` kernel is the
    package's: ipykernel without debugpy (about 8 MiB less per open form; Voilà never debugs)."""
    import subprocess
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    from icframework.app.voila import jupyter_data

    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_data()))
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] == "python" and spec.argv[-2:] == ["-f", "{connection_file}"]  # "python": this interpreter
    code = spec.argv[spec.argv.index("-c") + 1].replace("kernelapp.launch_new_instance()", "")
    check = ("import ipykernel.debugger as d; "
             "print(d._is_debugpy_available, 'debugpy' in sys.modules and sys.modules['debugpy'])")
    out = subprocess.run([sys.executable, "-c", f"{code}\n{check}"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "None"]


def test_a_check_is_named_on_the_command_line_as_module_and_factory():
    from icframework.app.server import resolve_check

    assert resolve_check("") is None
    assert callable(resolve_check(FORM_CHECK))


# -- honest save messages (issue 17, item 9) ----------------------------------------------------------------------
def test_a_too_long_answer_says_how_long_it_may_be_and_never_spoils_later_saves(store, ana):
    from icframework.app.form import MAX_TEXT

    resp, _ = ana
    form = AssessmentForm(store, resp)
    c = form.cards["A1.Q2"]
    c.evidence.value = "x" * (MAX_TEXT + 5)
    assert "20,005 characters long; it can be at most 20,000" in c.status.value
    assert "Try saving again" not in c.status.value and form.retry.layout.display == "none"
    assert "longer than 20,000 characters" in form.save_status.value
    assert form.unsaved == {} and "A1.Q2" not in store.answers_for(resp)
    c.choice.value = "2"  # another change of the same question is saved, without the too-long text
    assert store.answers_for(resp)["A1.Q2"]["level"] == 2
    assert "Saved: Developing" in c.status.value and "at most 20,000" in c.status.value  # still said
    assert not form.submit() and "Not submitted" in form.save_status.value
    c.evidence.value = "x" * MAX_TEXT
    assert store.answers_for(resp)["A1.Q2"]["evidence"] == "x" * MAX_TEXT
    assert "Not saved" not in c.status.value and style.ALL_SAVED in form.save_status.value
    assert form.too_long == {} and form.unsaved == {}


def test_a_save_waiting_on_a_busy_store_says_saving(store, ana, monkeypatch):
    import time

    from icframework.app import form as form_module

    resp, _ = ana
    form = AssessmentForm(store, resp)
    seen = []
    form.save_status.observe(lambda ch: seen.append(ch["new"]), names="value")
    real = store.save_answer

    def slow(*args, **kwargs):
        time.sleep(0.8)  # as a store locked by another writer
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "save_answer", slow)
    form.cards["A1.Q1"].choice.value = "3"
    assert any(form_module.SAVING in v for v in seen)
    assert "Saved" in form.save_status.value and form_module.SAVING not in form.cards["A1.Q1"].status.value
    monkeypatch.setattr(store, "save_answer", real)
    seen.clear()
    form.cards["A1.Q1"].choice.value = "1"  # a quick save shows no "Saving…" flicker
    time.sleep(form_module.SAVING_AFTER + 0.2)
    assert not any(form_module.SAVING in v for v in seen)
