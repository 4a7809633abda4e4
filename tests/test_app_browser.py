"""The self-assessment app as people use it: a real `icf app` (Voilà) server on loopback, driven by Chromium."""

from __future__ import annotations

import datetime as dt
import os
import time
from urllib.parse import urlsplit

import pytest
from conftest import free_port

from icframework.cli.app import link, serving
from icframework.store import Store

pytestmark = pytest.mark.browser

CONTACT = "Sam Patel, sam.patel@example.org"
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                                    "best-practice"]}, "resultTypes": ["violations"]}
SERVER_PID: list[int] = []  # the module server's process id: its kernels are its child processes
MARKUP = '<script>alert("x")</script><img src=nowhere onerror="alert(1)"> & <b>bold</b>'


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One server for the module: a temporary SQLite store with a synthetic round and respondents in two cities."""
    root = tmp_path_factory.mktemp("app")
    url = f"sqlite:///{root / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("spring", "inclusive-cities", title="Spring round", synthetic=True, closes=dt.date(2099, 3, 27))
    people = {}
    for name, city, sector in [("ana", "bristol", "employer"), ("ben", "cardiff", "local-authority"),
                               ("cai", "bristol", "public-health"), ("dee", "bristol", "housing"),
                               ("eve", "cardiff", "education"), ("gone", "bristol", "faith"),
                               ("fay", "bristol", "employer"), ("gus", "cardiff", "employer")]:
        people[name] = store.add_respondent("spring", city, sector, role=f"{name} role", synthetic=True)
    store.set_status(people["gone"][0].id, "revoked", actor="facilitator")
    os.environ["ICF_CONTACT"] = CONTACT  # as programme.yaml's `contact:` would give it
    try:
        # Many bad links come from this one address in this module: the limit on them has its own test.
        with serving(url, free_port(), pool_size=3, log_path=root / "voila.log", pid=SERVER_PID,
                     options=("--failed-links", "1000")) as base:
            os.environ.pop("ICF_CONTACT")
            yield base, store, {k: (r, link(base, r.city, code)) for k, (r, code) in people.items()}
    finally:
        os.environ.pop("ICF_CONTACT", None)


def open_form(chromium, url, width=1000):
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".icf-app", timeout=90_000)
    return page


def card(page, code):
    return page.locator(".icf-q-" + code.replace(".", "-"))


def saved(page, code, text):
    from playwright.sync_api import expect

    expect(card(page, code).locator(".icf-status")).to_contain_text(f"Saved: {text}", timeout=15_000)


def show(page, code):
    """On a phone, open a question's card, and wait until the server has opened it: until then its answers are
    hidden, and focusing a hidden radio button does nothing (a keyboard test once pressed Space into the void)."""
    import re

    from playwright.sync_api import expect

    card(page, code).get_by_role("button", name=f"Show {code}").click()
    expect(card(page, code)).to_have_class(re.compile(r"\bicf-open\b"), timeout=15_000)
    expect(card(page, code).get_by_role("radiogroup")).to_be_visible()


def test_answers_are_saved_at_once_and_shown_again_after_reload(chromium, app):
    from playwright.sync_api import expect

    _, store, people = app
    ana, url = people["ana"]
    page = open_form(chromium, url, width=375)  # a phone
    expect(page.get_by_text("Synthetic demo data")).to_be_visible()
    card(page, "A1.Q1").get_by_label("Developing (2)").check()
    saved(page, "A1.Q1", "Developing")
    show(page, "A1.Q3")
    card(page, "A1.Q3").get_by_label("Don't know").check()
    saved(page, "A1.Q3", "Don't know")
    show(page, "A1.Q2")
    card(page, "A1.Q2").get_by_role("textbox", name="Evidence").fill("Minutes of the June taskforce meeting")
    saved(page, "A1.Q2", "your evidence")
    show(page, "A1.Q5")
    card(page, "A1.Q5").get_by_label("Emerging (1)").focus()  # the keyboard alone
    expect(card(page, "A1.Q5").get_by_label("Emerging (1)")).to_be_focused()
    page.keyboard.press("Space")
    saved(page, "A1.Q5", "Emerging")
    page.keyboard.press("ArrowDown")
    saved(page, "A1.Q5", "Developing")
    right = page.evaluate("Math.max(...[...document.querySelectorAll('.icf-app *')]"
                          ".map(e => e.getBoundingClientRect().right))")
    assert right <= 375  # nothing sticks out of a phone screen
    page.get_by_role("button", name="A3 · 0/").click()  # answer in any order
    show(page, "A3.Q2")
    card(page, "A3.Q2").get_by_label("Leading (4)").check()
    saved(page, "A3.Q2", "Leading")
    card(page, "A3.Q2").get_by_role("textbox", name="Links").fill("https://example.org/plan")
    saved(page, "A3.Q2", "your links")
    expect(page.get_by_text("4 of 35 questions answered")).to_be_visible()

    page.reload()
    page.wait_for_selector(".icf-app", timeout=90_000)
    expect(card(page, "A1.Q1").get_by_label("Developing (2)")).to_be_checked()
    expect(card(page, "A1.Q3").get_by_label("Don't know")).to_be_checked()
    expect(card(page, "A1.Q5").get_by_label("Developing (2)")).to_be_checked()
    evidence = card(page, "A1.Q2").get_by_role("textbox", name="Evidence")
    expect(evidence).to_have_value("Minutes of the June taskforce meeting")
    expect(page.get_by_text("4 of 35 questions answered")).to_be_visible()
    page.get_by_role("button", name="A3 · 1/").click()
    expect(card(page, "A3.Q2")).to_contain_text("Your answer: Leading · links given")  # a closed card says so
    show(page, "A3.Q2")
    expect(card(page, "A3.Q2").get_by_label("Leading (4)")).to_be_checked()
    expect(card(page, "A3.Q2").get_by_role("textbox", name="Links")).to_have_value("https://example.org/plan")
    page.close()

    got = store.answers_for(ana)
    assert {q: (a["response"], a["level"]) for q, a in got.items()} == {
        "A1.Q1": ("level", 2), "A1.Q2": (None, None), "A1.Q3": ("dont_know", None), "A1.Q5": ("level", 2),
        "A3.Q2": ("level", 4)}
    assert got["A1.Q2"]["evidence"] == "Minutes of the June taskforce meeting"
    assert got["A3.Q2"]["links"] == "https://example.org/plan"
    audit = store.audit_frame(ana.id)
    answers = audit[audit.action == "answer"]
    assert set(answers.actor) == {f"respondent:{ana.id}"}
    assert set(zip(answers.question, answers.field, strict=True)) >= {
        ("A1.Q1", "response"), ("A1.Q1", "level"), ("A1.Q3", "response"), ("A1.Q2", "evidence"),
        ("A3.Q2", "level"), ("A3.Q2", "links")}
    assert answers[answers.question == "A1.Q2"].new.iloc[-1] == "Minutes of the June taskforce meeting"


def test_two_cities_at_the_same_time_each_see_only_their_own(chromium, app):
    from playwright.sync_api import expect

    _, store, people = app
    (cai, cai_url), (ben, ben_url) = people["cai"], people["ben"]
    store.save_answer(cai, "A2.Q1", level=1, comment="Bristol note written earlier")
    store.save_answer(ben, "A2.Q1", level=3, comment="Cardiff note written earlier")
    bristol, cardiff = open_form(chromium, cai_url), open_form(chromium, ben_url)
    expect(bristol.locator("h1")).to_have_text("Bristol: self-assessment")
    expect(cardiff.locator("h1")).to_have_text("Cardiff: self-assessment")
    for page in (bristol, cardiff):
        page.get_by_role("button", name="A2 · 1/").click()
    expect(card(bristol, "A2.Q1").get_by_role("textbox", name="Comment")).to_have_value("Bristol note written earlier")
    expect(card(cardiff, "A2.Q1").get_by_role("textbox", name="Comment")).to_have_value("Cardiff note written earlier")
    expect(card(bristol, "A2.Q1").get_by_label("Emerging (1)")).to_be_checked()
    expect(card(cardiff, "A2.Q1").get_by_label("Established (3)")).to_be_checked()
    card(bristol, "A2.Q2").get_by_label("Leading (4)").check()
    card(cardiff, "A2.Q2").get_by_label("Not started (0)").check()
    card(bristol, "A2.Q2").get_by_role("textbox", name="Evidence").fill("Bristol evidence")
    card(cardiff, "A2.Q2").get_by_role("textbox", name="Evidence").fill("Cardiff evidence")
    saved(bristol, "A2.Q2", "your evidence")
    saved(cardiff, "A2.Q2", "your evidence")
    assert "Cardiff" not in bristol.locator(".icf-app").inner_text()
    assert "Bristol" not in cardiff.locator(".icf-app").inner_text()
    bristol.close()
    cardiff.close()
    assert (store.answers_for(cai)["A2.Q2"]["level"], store.answers_for(cai)["A2.Q2"]["evidence"]) == (
        4, "Bristol evidence")
    assert (store.answers_for(ben)["A2.Q2"]["level"], store.answers_for(ben)["A2.Q2"]["evidence"]) == (
        0, "Cardiff evidence")


@pytest.mark.parametrize("case", ["wrong code", "other city", "revoked"])
def test_a_bad_link_gets_a_clear_message_and_no_data(chromium, app, case):
    from playwright.sync_api import expect

    base, _, people = app
    url = {"wrong code": f"{base}/?city=bristol&code=not-a-code",
           "other city": people["ana"][1].replace("city=bristol", "city=cardiff"),
           "revoked": people["gone"][1]}[case]
    expected = "This link has been withdrawn" if case == "revoked" else "This link is not valid"
    before = settled_kernel_ids()
    page = chromium.new_page()
    response = page.goto(url)
    assert response.status == 403 and "no-store" in response.headers["cache-control"]
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not open a form")
    expect(page.get_by_role("alert")).to_contain_text(expected)
    assert page.locator("input, textarea, script").count() == 0
    page.wait_for_timeout(500)
    assert kernel_ids() <= before  # the server answered without taking a kernel from the pool or starting one
    page.close()


def settled_kernel_ids(quiet: float = 5.0, limit: float = 60.0) -> set[str]:
    """The server's kernels once its pool has stopped refilling (no change for `quiet` seconds): the server
    refills the pool a while after the last page of an earlier test (app/server.py), and such a refill is not a
    kernel the request under test started."""
    ids, since, deadline = kernel_ids(), time.monotonic(), time.monotonic() + limit
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.5)
        now = kernel_ids()
        if now != ids:
            ids, since = now, time.monotonic()
    return ids


def kernel_ids(pid: int | None = None) -> set[str]:
    """The kernels a server runs now: its child processes started with a kernel connection file."""
    import psutil

    out = set()
    for child in psutil.Process(pid or SERVER_PID[0]).children(recursive=True):
        try:
            found = [a for a in child.cmdline() if "kernel-" in a and a.endswith(".json")]
        except psutil.Error:
            continue
        out.update(a.rsplit("kernel-", 1)[1][:-5] for a in found)
    return out


def test_a_stream_of_bad_links_starts_no_kernel(app):
    import urllib.error
    import urllib.request

    base, _, people = app
    before = settled_kernel_ids()
    statuses = []
    for i in range(30):
        query = ["", "?city=bristol", f"?city=bristol&code=guess-{i}", "?code=x"][i % 4]
        try:
            urllib.request.urlopen(f"{base}/{query}", timeout=10)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
    assert sorted(set(statuses)) == [400, 403] and len(statuses) == 30
    time.sleep(1)
    assert kernel_ids() <= before


def test_a_closed_tabs_kernel_is_shut_down_within_30_seconds_and_an_open_page_keeps_its_own(chromium, app):
    _, store, people = app
    page = open_form(chromium, people["gus"][1])
    staying = open_form(chromium, people["eve"][1])
    for p in (page, staying):
        p.wait_for_selector(".icf-q-A1-Q1 input[type=radio]", timeout=60_000)
    kernel, kept = (p.evaluate("() => window.jupyterapp.widgetManager.kernel.id") for p in (page, staying))
    assert {kernel, kept} <= kernel_ids()
    page.close(run_before_unload=True)  # as a tab closed: the page's own shutdown request, else its socket closing
    closed = time.monotonic()
    while kernel in kernel_ids() and time.monotonic() < closed + 30:
        time.sleep(0.5)
    assert kernel not in kernel_ids()
    # The page still open (idle all along) keeps its kernel past the time a closed page's kernel is given (20 s),
    # and its answers are saved.
    time.sleep(max(0.0, closed + 25 - time.monotonic()))
    assert kept in kernel_ids()
    card(staying, "A1.Q1").locator("input[type=radio]").nth(3).check()
    saved(staying, "A1.Q1", "Established")
    assert store.answers_for(people["eve"][0])["A1.Q1"]["level"] == 3
    staying.close()


@pytest.fixture(scope="module")
def small_server(tmp_path_factory):
    """A server for one open form at a time, 3 failed links a minute per address, and no shutdown of a kernel
    whose page's connection closed (--closed-after 0): a closed page's kernel goes only by its own request."""
    root = tmp_path_factory.mktemp("small")
    url = f"sqlite:///{root / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("spring", "inclusive-cities", title="Spring round", synthetic=True)
    people = [store.add_respondent("spring", "bristol", "employer", synthetic=True) for _ in range(3)]
    pid: list[int] = []
    with serving(url, free_port(), pool_size=1, log_path=root / "voila.log", pid=pid,
                 options=("--max-forms", "1", "--failed-links", "3", "--closed-after", "0")) as base:
        yield base, [link(base, r.city, code) for r, code in people], pid[0]


def test_a_full_server_asks_politely_to_try_again_in_a_minute(chromium, small_server):
    from playwright.sync_api import expect

    _, links, pid = small_server
    first = open_form(chromium, links[0])
    first.wait_for_selector(".icf-q-A1-Q1 input[type=radio]", timeout=60_000)
    before = kernel_ids(pid)
    second = chromium.new_page()
    response = second.goto(links[1])
    assert response.status == 503 and response.headers["retry-after"] == "60"
    expect(second.get_by_role("heading", level=1)).to_have_text("The form is busy")
    expect(second.get_by_role("alert")).to_contain_text("Please try again in a minute")
    assert kernel_ids(pid) <= before
    second.close()
    first.goto("about:blank")  # the first person leaves: their kernel goes after the grace period
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        context = chromium.new_context()  # its own context, which stays open while the page's closing is sent
        again = context.new_page()
        if again.goto(links[1]).status == 200:
            again.wait_for_selector(".icf-q-A1-Q1 input[type=radio]", timeout=60_000)
            kernel = again.evaluate("() => window.jupyterapp.widgetManager.kernel.id")
            again.close(run_before_unload=True)  # as a tab closed (this server waits for the page's request)
            until = time.monotonic() + 30
            while kernel in kernel_ids(pid) and time.monotonic() < until:
                time.sleep(0.5)
            context.close()
            break
        context.close()
        time.sleep(1)
    else:
        pytest.fail("the form stayed busy after the only open page was closed")
    first.close()


def test_a_closed_page_asks_for_its_kernels_shutdown_and_is_heard(chromium, small_server):
    """The page's own shutdown request (sent as the tab closes) is accepted: on this server nothing else would shut
    the kernel down within the cull's 10 minutes. (Voilà's page sends it with the _xsrf cookie's value; before
    icf app set that cookie, Jupyter Server's XSRF check refused it with a 403.)"""
    _, links, pid = small_server
    context = chromium.new_context()  # a browser stays open when one of its tabs closes
    page = context.new_page()
    page.goto(links[2])
    page.wait_for_selector(".icf-q-A1-Q1 input[type=radio]", timeout=60_000)
    kernel = page.evaluate("() => window.jupyterapp.widgetManager.kernel.id")
    assert kernel in kernel_ids(pid)
    page.close(run_before_unload=True)
    deadline = time.monotonic() + 30
    while kernel in kernel_ids(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert kernel not in kernel_ids(pid)
    context.close()


def test_too_many_bad_links_from_one_address_must_wait(chromium, small_server):
    from playwright.sync_api import expect

    base, links, pid = small_server
    page = chromium.new_page()
    statuses = [page.goto(f"{base}/?city=bristol&code=wrong-{i}").status for i in range(4)]
    assert statuses == [403, 403, 403, 429]
    response = page.goto(links[2])  # now even a good link waits: the address is held back for the minute
    assert response.status == 429 and 0 < int(response.headers["retry-after"]) <= 60
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many links that do not work")
    expect(page.get_by_role("alert")).to_contain_text("wait a minute")
    page.close()


def test_markup_in_answers_stays_text_and_runs_nothing(chromium, app):
    from playwright.sync_api import expect

    _, store, people = app
    dee, url = people["dee"]
    store.save_answer(dee, "A1.Q2", evidence=MARKUP, comment=MARKUP)  # given earlier, shown when the page opens
    page = chromium.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".icf-app", timeout=90_000)
    expect(card(page, "A1.Q2").get_by_role("textbox", name="Evidence")).to_have_value(MARKUP)
    expect(card(page, "A1.Q2").get_by_role("textbox", name="Comment")).to_have_value(MARKUP)
    card(page, "A1.Q1").get_by_role("textbox", name="Evidence").fill(MARKUP)
    saved(page, "A1.Q1", "your evidence")
    page.get_by_role("button", name="Review and submit").first.click()
    expect(page.get_by_text("Answered without evidence")).to_be_visible()
    assert dialogs == []
    assert page.locator(".icf-app script, .icf-app img, .icf-app b").count() == 0
    page.close()
    assert store.answers_for(dee)["A1.Q1"]["evidence"] == MARKUP


def test_text_typed_just_before_the_page_closes_is_in_the_store(chromium, app):
    _, store, people = app
    eve, url = people["eve"]
    page = open_form(chromium, url)
    text = "Typed in a hurry before closing the tab"
    card(page, "A1.Q5").get_by_role("textbox", name="Evidence").press_sequentially(text, delay=15)
    page.close(run_before_unload=True)  # as when a person closes the tab: Voilà asks to shut the kernel down
    deadline = time.monotonic() + 20
    while (store.answers_for(eve).get("A1.Q5") or {}).get("evidence") != text and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.answers_for(eve)["A1.Q5"]["evidence"] == text


# -- a form people can use on a phone, with a keyboard or a screen reader ------------------------------------------

def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.x A/AA and best-practice rules on the page as it is now: the violations, described."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_RULES)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes, e.g. {v['nodes'][0]['target']})"
            for v in results.response["violations"]]


def watch_requests(page) -> list[str]:
    """Every request the page makes to a host other than this machine's loopback (none may happen)."""
    foreign = []

    def check(request):
        host = urlsplit(request.url).hostname
        if request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost", "::1"):
            return
        foreign.append(request.url)

    page.on("request", check)
    return foreign


@pytest.mark.parametrize("state", ["section", "section on a phone", "review", "bad link"])
def test_axe_finds_no_violations_and_nothing_is_fetched_from_elsewhere(chromium, app, state):
    from playwright.sync_api import expect

    base, _, people = app
    url = f"{base}/?city=bristol&code=not-a-code" if state == "bad link" else people["fay"][1]
    page = chromium.new_page(viewport={"width": 375 if "phone" in state else 1280, "height": 900})
    foreign = watch_requests(page)
    page.goto(url, wait_until="commit")
    page.wait_for_selector("main" if state == "bad link" else ".icf-app", timeout=90_000)
    if state == "review":
        page.get_by_role("button", name="Review and submit").first.click()
        expect(page.get_by_role("link", name="Download my answers")).to_be_visible()
    elif state != "bad link":
        level = "Developing" if "phone" in state else "Emerging"
        if "phone" in state:
            show(page, "A1.Q1")
        card(page, "A1.Q1").get_by_label(level).check()
        saved(page, "A1.Q1", level)
    page.wait_for_timeout(300)  # assets/form.js gives roles and names after each change
    assert axe_violations(page) == []
    expect(page.get_by_role("main")).to_have_count(1)
    page.close()
    assert foreign == []  # no CDN, no font, no analytics: offline works and no visit is told to a third party


def test_each_question_is_a_radio_group_named_by_the_question_with_one_tab_stop(chromium, app):
    from playwright.sync_api import expect

    _, store, people = app
    fay, url = people["fay"]
    fw = store.framework_for(fay.round_id)
    page = open_form(chromium, url, width=1280)
    expect(page).to_have_title("Bristol: self-assessment")
    for q in fw.areas[0].questions:
        group = page.get_by_role("radiogroup", name=q.text, exact=True)
        expect(group).to_have_count(1)
        expect(group.get_by_role("radio")).to_have_count(fw.scale.max_level + 3)
        expect(page.get_by_role("textbox", name=f"Evidence: {q.text}", exact=True)).to_have_count(1)
        expect(page.get_by_role("textbox", name=f"Evidence: {q.text}")).to_have_accessible_description(
            q.evidence_prompt)
    # Tab through the first questions: one stop for the choices, then evidence, links and comment.
    page.locator(".icf-nav .icf-navbutton").last.focus()  # the last button before the first question
    stops = []
    for _ in range(8):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => { const e = document.activeElement, c = e.closest('.icf-card');
            return [c ? [...c.classList].find(k => k.startsWith('icf-q-')) : null, e.type || e.tagName,
                    getComputedStyle(e).outlineWidth, getComputedStyle(e).outlineStyle]; }"""))
    per_question = {}
    for code, kind, *_ in stops:
        per_question.setdefault(code, []).append(kind)
    assert per_question["icf-q-A1-Q1"] == ["radio", "textarea", "text", "textarea"]
    assert per_question["icf-q-A1-Q2"] == ["radio", "textarea", "text", "textarea"]
    assert all(width == "3px" and style == "solid" for _, _, width, style in stops)  # a visible ring on each
    # Arrow keys move within the group, and choosing saves.
    for _ in range(3):
        page.keyboard.press("Shift+Tab")  # back from A1.Q2's comment to its choices
    page.keyboard.press("ArrowDown")
    saved(page, "A1.Q2", "Emerging")
    expect(page.get_by_role("status")).to_contain_text("Saved: Emerging (A1.Q2)")
    page.close()


def test_nothing_is_wider_than_a_phone_and_progress_stays_in_view(chromium, app):
    from playwright.sync_api import expect

    _, _, people = app
    page = open_form(chromium, people["gus"][1], width=375)
    widest = ("Math.max(...[...document.querySelectorAll('body *')].filter(e => e.getClientRects().length)"
              ".map(e => e.getBoundingClientRect().right))")
    expect(page.get_by_text("Please answer by")).to_contain_text("2099")
    expect(page.get_by_text("About 25 to 40 minutes")).to_be_visible()
    expect(page.get_by_role("link", name="sam.patel@example.org")).to_have_attribute(
        "href", "mailto:sam.patel@example.org")
    for code in ("A1.Q2", "A1.Q3"):
        show(page, code)
    assert page.evaluate(widest) <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    card(page, "A1.Q3").get_by_label("Leading (4)").check()
    saved(page, "A1.Q3", "Leading")
    page.mouse.wheel(0, 2500)
    page.wait_for_timeout(300)
    box = page.locator(".icf-sticky").bounding_box()
    assert box is not None and 0 <= box["y"] <= 16  # progress and the save status are still at the top
    expect(page.locator(".icf-sticky")).to_contain_text("1 of 35 questions answered")
    expect(page.locator(".icf-sticky")).to_contain_text("Saved")
    page.get_by_role("button", name="Review and submit").first.click()
    expect(page.get_by_role("link", name="Download my answers")).to_be_visible()
    assert page.evaluate(widest) <= 375
    page.close()


def test_download_my_answers_gives_a_page_of_ones_answers_as_text(chromium, app, tmp_path):
    from playwright.sync_api import expect

    _, store, people = app
    gus, url = people["gus"]
    store.save_answer(gus, "A2.Q1", level=2, evidence=MARKUP)
    page = open_form(chromium, url)
    page.get_by_role("button", name="Review and submit").first.click()
    with page.expect_download() as got:
        page.get_by_role("link", name="Download my answers").click()
    assert got.value.suggested_filename == "cardiff-spring-my-answers.html"
    path = tmp_path / "answers.html"
    got.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert "&lt;script&gt;" in text and "<script" not in text and "<img" not in text
    receipt = chromium.new_page()
    dialogs = []
    receipt.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    receipt.goto(path.as_uri())
    expect(receipt.locator("h1")).to_have_text("Cardiff: your self-assessment answers")
    expect(receipt.get_by_text(MARKUP)).to_be_visible()
    assert dialogs == []
    receipt.close()
    page.close()


def test_text_fields_take_at_most_the_length_the_store_keeps(chromium, app):
    from icframework.app.form import MAX_TEXT

    _, _, people = app
    page = open_form(chromium, people["eve"][1])
    box = card(page, "A1.Q1").get_by_role("textbox", name="Evidence")
    box.wait_for()
    page.wait_for_function(f"() => document.querySelector('.icf-q-A1-Q1 textarea').maxLength === {MAX_TEXT}")
    for field in card(page, "A1.Q1").get_by_role("textbox").all():
        assert field.evaluate("el => el.maxLength") == MAX_TEXT
    page.close()
