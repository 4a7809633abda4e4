"""`icf app --pool-size auto`: how many forms are preheated, from the people who can come and the memory."""

from __future__ import annotations

from types import SimpleNamespace

import psutil
import pytest
from click.testing import CliRunner

from icframework.app.server import auto_pool_line, auto_pool_size
from icframework.cli import app as app_cli
from icframework.cli import main
from icframework.store import Store

MIB = 2**20
GIB = 2**30


@pytest.mark.parametrize(("people", "available", "expected"), [
    (0, 8 * GIB, 2),        # nobody yet: the floor
    (1, 8 * GIB, 2),        # fewer than the floor: the floor
    (7, 8 * GIB, 7),        # one each
    (20, 8 * GIB, 20),
    (34, 8 * GIB, 20),      # the cap
    (34, 1 * GIB, 6),       # half of 1 GiB is 512 MiB: 6 kernels of 80 MiB (480 MiB), not 7 (560)
    (34, 1600 * MIB, 10),   # 800 MiB: exactly 10
    (34, 1599 * MIB, 9),    # just under: 9
    (5, 1 * GIB, 5),        # memory allows 6: the people decide
    (0, 200 * MIB, 1),      # memory wins over the floor: 100 MiB holds one
    (3, 100 * MIB, 0),      # not even one: no pool, each form starts when its person comes
    (3, 0, 0),
])
def test_auto_pool_size_is_one_per_person_within_floor_cap_and_memory(people, available, expected):
    assert auto_pool_size(people, available) == expected


def test_auto_pool_size_takes_other_limits():
    assert auto_pool_size(50, 64 * GIB, cap=40) == 40
    assert auto_pool_size(0, 64 * GIB, floor=0) == 0
    assert auto_pool_size(30, 1 * GIB, kernel_bytes=100 * MIB) == 5  # 512 MiB // 100 MiB
    assert auto_pool_size(0, 64 * GIB, cap=1) == 1  # a cap below the floor (--max-forms 1) wins


@pytest.mark.parametrize(("people", "available", "cap", "line"), [
    (34, 8 * GIB, 20, "Preheating 20 forms: 34 people have links to open rounds (at most 20; about 1.6 GB of "
                      "memory). Change it with --pool-size."),
    (12, 8 * GIB, 20, "Preheating 12 forms: 12 people have links to open rounds (one each; about 0.9 GB of "
                      "memory). Change it with --pool-size."),
    (0, 8 * GIB, 20, "Preheating 2 forms: no one has a link to an open round yet (at least 2; about 0.2 GB of "
                     "memory). Change it with --pool-size."),
    (1, 8 * GIB, 20, "Preheating 2 forms: 1 person has a link to an open round (at least 2; about 0.2 GB of "
                     "memory). Change it with --pool-size."),
    (34, 1 * GIB, 20, "Preheating 6 forms: 34 people have links to open rounds, but half of the 1.0 GB of memory "
                      "available holds only 6 at about 80 MiB each. Change it with --pool-size."),
    (3, 100 * MIB, 20, "Preheating no forms: 3 people have links to open rounds, but half of the 0.1 GB of memory "
                       "available holds only 0 at about 80 MiB each. Change it with --pool-size."),
    (34, 8 * GIB, 1, "Preheating 1 form: 34 people have links to open rounds (at most 1; about 0.1 GB of memory). "
                     "Change it with --pool-size."),
])
def test_the_line_says_how_many_forms_and_why(people, available, cap, line):
    assert auto_pool_line(people, available, cap=cap) == (auto_pool_size(people, available, cap=cap), line)


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'icf.sqlite3'}")
    s.create_round("spring", "inclusive-cities")
    s.create_round("autumn", "inclusive-cities")
    s.create_round("last-year", "inclusive-cities")
    return s


def test_people_with_live_links_in_open_rounds_are_counted(store):
    assert store.people_with_live_links() == 0
    spring = [store.add_respondent("spring", city, "employer")[0] for city in ("bristol", "bristol", "cardiff")]
    autumn = [store.add_respondent("autumn", "leeds", "education")[0] for _ in range(2)]
    store.add_respondent("autumn", "leeds", "education", with_code=False)  # no link: cannot open a form
    for _ in range(4):
        store.add_respondent("last-year", "bristol", "employer")
    store.set_round_closed("last-year", True)  # its 4 links open only a closed form
    assert store.people_with_live_links() == 5  # every open round's people, all cities together

    store.set_status(spring[0].id, "submitted", actor="test")  # may still come back to their answers
    assert store.people_with_live_links() == 5
    store.set_status(spring[1].id, "revoked", actor="facilitator")
    store.erase_respondent(autumn[0].id)
    assert store.people_with_live_links() == 3
    store.set_status(spring[1].id, "open", actor="facilitator")  # reopened
    store.set_round_closed("last-year", False)
    assert store.people_with_live_links() == 8


@pytest.fixture
def exec_args(monkeypatch):
    """What `icf app` would exec (Voilà's command line), instead of exec'ing it."""
    seen: list[list[str]] = []

    def fake_execve(path, argv, env):
        seen.append(argv)

    monkeypatch.setattr(app_cli.os, "execve", fake_execve)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=8 * GIB))
    return seen


def pool_flag(argv: list[str]) -> str:
    return next(a for a in argv if a.startswith("--pool_size="))


def test_icf_app_preheats_one_form_per_person_by_default(store, exec_args):
    for _ in range(3):
        store.add_respondent("spring", "bristol", "employer")
    run = CliRunner().invoke
    res = run(main, ["app", "--store", store.url, "--no-browser"])
    assert res.exit_code == 0, res.output
    assert pool_flag(exec_args[-1]) == "--pool_size=3"
    assert "Preheating 3 forms: 3 people have links to open rounds (one each; about 0.2 GB of memory). Change it " \
           "with --pool-size." in res.output

    res = run(main, ["app", "--store", store.url, "--no-browser", "--pool-size", "auto", "--max-forms", "2"])
    assert res.exit_code == 0 and pool_flag(exec_args[-1]) == "--pool_size=2"
    assert "(at most 2;" in res.output  # never more preheated than can be open at once

    res = run(main, ["app", "--store", store.url, "--no-browser", "--pool-size", "7"])
    assert res.exit_code == 0 and pool_flag(exec_args[-1]) == "--pool_size=7"
    assert "Preheating" not in res.output  # a number is used as given
    res = run(main, ["app", "--store", store.url, "--no-browser", "--pool-size", "0"])
    assert res.exit_code == 0 and pool_flag(exec_args[-1]) == "--pool_size=0"


def test_icf_app_with_nobody_yet_preheats_the_floor_and_says_so(tmp_path, exec_args):
    empty = Store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    res = CliRunner().invoke(main, ["app", "--store", empty.url, "--no-browser"])
    assert res.exit_code == 0, res.output
    assert pool_flag(exec_args[-1]) == "--pool_size=2"
    assert "Preheating" in res.output and "no one has a link to an open round yet" in res.output


@pytest.mark.parametrize("bad", ["-1", "many", "2.5", ""])
def test_a_bad_pool_size_says_what_to_give(store, exec_args, bad):
    res = CliRunner().invoke(main, ["app", "--store", store.url, "--no-browser", "--pool-size", bad])
    assert res.exit_code == 2 and not exec_args
    assert "is neither auto nor a number of forms (0 or more), e.g. --pool-size auto or --pool-size 20" in res.output


def test_app_help_explains_auto():
    res = CliRunner().invoke(main, ["app", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert "--pool-size [auto|N]" in text and "[default: auto]" in text
    assert "one for each person with a live link (not revoked) to an open round" in text


def test_serving_waits_for_the_pool_icf_app_chose():
    """serving(pool_size="auto") (tests, benchmarks) waits for as many ready kernels as the line says."""
    from icframework.app.voila import KERNEL_READY
    from icframework.cli.app import _started

    ready = KERNEL_READY.encode() + b"\n"
    chose_two = b"Preheating 2 forms: 2 people have links to open rounds (one each). Change it with --pool-size.\n"
    assert not _started(b"running at http://x\n" + ready * 5, "auto")  # no line yet: not started
    assert not _started(chose_two + b"running at http://x\n" + ready, "auto")
    assert _started(chose_two + b"running at http://x\n" + ready * 2, "auto")
    assert _started(b"Preheating no forms: no one has a link to an open round yet (at least 2; about 0.0 GB of "
                    b"memory).\nrunning at http://x\n", "auto")
    assert _started(b"Preheating 1 form: 1 person\nrunning at\n" + ready, "auto")
