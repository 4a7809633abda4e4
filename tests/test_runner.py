"""The batch runner (`icf run`) and the warm papermill engine, with real papermill executions.

Most tests run the stand-in workbooks of tests/data (same parameters as the real ones) against a small store whose
answers are written here by hand, so the expected numbers are worked out below, not taken from the code.
"""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

import nbformat
import papermill as pm
import pytest
import zmq
from click.testing import CliRunner

from icframework.batch import plan as planning
from icframework.batch import pool
from icframework.batch.execute import is_kernel_start_race, run_job, with_kernel_retry
from icframework.cli import main
from icframework.config import Settings
from icframework.errors import ICFError, NotFoundError
from icframework.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CITY_NB = DATA / "runner_city.ipynb"
CONVENING_NB = DATA / "runner_convening.ipynb"
pytestmark = pytest.mark.slow

# The answers of round r2 (r1 is the earlier round). glasgow is a real city with no respondents in r2, so the
# stand-in workbook raises "no answers for glasgow" in its cell 4 (markdown 0, parameters 1, injected
# parameters 2, imports 3): In [4], since the markdown cell has no execution count.
ANSWERS = {
    "bristol": [("local-authority", {"A1.Q1": 2, "A1.Q2": 4, "A2.Q1": 3}),
                ("employer", {"A1.Q1": 4, "A2.Q1": "dont_know"})],
    "cardiff": [("education", {"A1.Q1": 1, "A3.Q1": "na"})],
}
# Stand-in diagnostics: number of answers, and the mean level per area over the answers with a level.
EXPECTED = {
    "bristol": {"answers": 5, "areas": {"A1": round((2 + 4 + 4) / 3, 3), "A2": 3.0}},
    "cardiff": {"answers": 2, "areas": {"A1": 1.0}},
}


def answer(store, respondent, question, value):
    if isinstance(value, int):
        store.save_answer(respondent, question, actor="test", level=value)
    else:
        store.save_answer(respondent, question, actor="test", response=value)


@pytest.fixture()
def store_url(tmp_path, monkeypatch):
    monkeypatch.setenv("ICF_CITIES", str(ROOT / "cities"))
    url = f"sqlite:///{tmp_path / 'icf.sqlite3'}"
    store = Store(url)
    store.create_round("r1", "inclusive-cities")
    store.create_round("r2", "inclusive-cities")
    old, _ = store.add_respondent("r1", "bristol", "local-authority", with_code=False)
    answer(store, old, "A1.Q1", 0)
    for city, people in ANSWERS.items():
        for sector, given in people:
            person, _ = store.add_respondent("r2", city, sector, with_code=False)
            for question, value in given.items():
                answer(store, person, question, value)
    store.close()
    return url


def settings(store_url, out="build") -> Settings:
    """The settings a command run in the repository gets: its cities, its workbooks, `out` for the outputs."""
    return Settings(store_url, cities=ROOT / "cities", workbooks=ROOT / "workbooks", build=Path(out).resolve())


def batch(store_url, out, cities=("bristol", "cardiff"), **kw):
    kw = {"notebook": CITY_NB, "convening": False, "render": False, "progress": False, "jobs": 2} | kw
    return pool.run_batch("r2", list(cities), settings=settings(store_url, out), **kw)


def diagnostics(out, city, round_id="r2"):
    return json.loads((Path(out) / round_id / city / "diagnostics.json").read_text())


def leftovers(out) -> list[Path]:
    return [p for p in Path(out).rglob("*") if p.name.startswith(".staging-") or p.name.endswith(".tmp")]


def test_a_failing_city_does_not_stop_the_others(store_url, tmp_path, capsys):
    out = tmp_path / "build"
    result = batch(store_url, out, ("bristol", "cardiff", "glasgow"), convening=True,
                   convening_notebook=CONVENING_NB, progress=True)
    bar = capsys.readouterr().err
    assert "icf run r2: 100%" in bar and "4/4" in bar  # the progress bar: 3 cities and the convening

    assert [(r.name, r.status) for r in result.cities] == [("bristol", "ok"), ("cardiff", "ok"),
                                                           ("glasgow", "failed")]
    for city, expected in EXPECTED.items():
        report = diagnostics(out, city)
        assert (report["city"], report["answers"], report["areas"]) == (city, expected["answers"],
                                                                         expected["areas"])
        executed = nbformat.read(out / "r2" / city / "diagnostic.ipynb", as_version=4)
        nbformat.validate(executed)
        printed = [o["text"] for c in executed.cells for o in c.get("outputs", []) if o["output_type"] == "stream"]
        assert printed == [f"{city}: {expected['answers']} answers\n"]
        manifest = json.loads((out / "r2" / city / ".inputs.json").read_text())
        assert manifest["inputs"]["city"] == city
        assert sorted(manifest["outputs"]) == ["diagnostic.ipynb", "diagnostics.json"]

    failed = result.failed[0]
    assert (failed.name, failed.cell, failed.exec_count) == ("glasgow", 4, 4)
    assert failed.error == "ValueError: no answers for glasgow in round r2"
    kept = nbformat.read(failed.notebook, as_version=4)
    assert Path(failed.notebook) == out / "r2" / "glasgow" / "diagnostic.failed.ipynb"
    assert any(o.get("ename") == "ValueError" for c in kept.cells for o in c.get("outputs", []))
    assert not (out / "r2" / "glasgow" / "diagnostics.json").exists()
    assert "FAILED glasgow: cell 4 (In [4]): ValueError: no answers for glasgow in round r2" in result.summary()

    # the convening workbook ran once, after the cities, for the cities of the batch
    convening = json.loads((out / "r2" / "convening" / "convening.json").read_text())
    assert convening == {"round": "r2", "answers": {"bristol": 5, "cardiff": 2}}
    assert result.convening.status == "ok"
    assert leftovers(out) == []


def test_cli_exit_code_skips_unchanged_cities_and_reruns_on_change_or_force(store_url, tmp_path):
    out = tmp_path / "build"
    cli = CliRunner()
    base = ["run", "--round", "r2", "--store", store_url, "--out", str(out), "--notebook", str(CITY_NB), "-j1",
            "--no-convening", "--no-render", "--no-progress"]

    first = cli.invoke(main, [*base, "--cities", "bristol,cardiff,glasgow"])
    assert first.exit_code == 1
    assert "FAILED glasgow: cell 4 (In [4]): ValueError: no answers for glasgow in round r2" in first.output
    assert "2 ran, 0 skipped (unchanged), 1 failed" in first.output
    stamps = {c: (out / "r2" / c / "diagnostics.json").stat().st_mtime_ns for c in EXPECTED}

    stale = out / "r2" / "bristol" / ".staging-killed"  # what a killed run leaves: a folder with a half-made PDF
    stale.mkdir()
    (stale / ".brief.pdf.x.tmp").write_bytes(b"")
    again = cli.invoke(main, [*base, "--cities", "bristol,cardiff"])
    assert again.exit_code == 0, again.output
    assert "0 ran, 2 skipped (unchanged), 0 failed" in again.output
    assert not stale.exists()  # removed by the next run, though bristol itself was skipped
    assert stamps == {c: (out / "r2" / c / "diagnostics.json").stat().st_mtime_ns for c in EXPECTED}

    store = Store(store_url)  # cardiff's education respondent moves A1.Q1 from level 1 to level 3
    person = next(r for r in store.list_respondents("r2", "cardiff"))
    store.save_answer(person, "A1.Q1", actor="test", level=3)
    store.close()
    changed = cli.invoke(main, [*base, "--cities", "bristol,cardiff"])
    # Only Cardiff runs again: Bristol's brief names its peers, but two cities are too few for peer pairs, so
    # what Bristol's brief shows of the plan (the notice) is unchanged.
    assert "1 ran, 1 skipped (unchanged), 0 failed" in changed.output
    assert "ran, its answers changed: cardiff\n" in changed.output
    assert diagnostics(out, "cardiff")["areas"] == {"A1": 3.0}
    assert (out / "r2" / "bristol" / "diagnostics.json").stat().st_mtime_ns == stamps["bristol"]
    stamps = {c: (out / "r2" / c / "diagnostics.json").stat().st_mtime_ns for c in EXPECTED}

    forced = cli.invoke(main, [*base, "--cities", "bristol", "--force"])
    assert "1 ran, 0 skipped (unchanged), 0 failed" in forced.output
    assert (out / "r2" / "bristol" / "diagnostics.json").stat().st_mtime_ns != stamps["bristol"]
    assert (out / "r2" / "cardiff" / "diagnostics.json").stat().st_mtime_ns == stamps["cardiff"]
    assert leftovers(out) == []


def run_here(store_url, out, city, notebook=CITY_NB):
    """One city's job run in this process (what a worker does), without starting a pool."""
    [job], _ = planning.plan_batch("r2", [city], settings(store_url, out), notebook=notebook, convening=False,
                                 render=False)
    return run_job(job)


def test_a_failing_run_leaves_the_old_outputs_whole(store_url, tmp_path):
    out = tmp_path / "build"
    assert run_here(store_url, out, "bristol").status == "ok"
    before = (out / "r2" / "bristol" / "diagnostics.json").read_bytes()
    half_writer = nbformat.read(CITY_NB, as_version=4)  # writes half a file where the good one will go, then fails
    half_writer.cells.append(nbformat.v4.new_code_cell(
        "(Path(output_dir) / 'diagnostics.json').write_text('{\"half')\nraise RuntimeError('crash mid-write')"))
    broken = tmp_path / "half_writer.ipynb"
    nbformat.write(half_writer, broken)

    result = run_here(store_url, out, "bristol", notebook=broken)

    assert (result.status, result.error) == ("failed", "RuntimeError: crash mid-write")
    assert (out / "r2" / "bristol" / "diagnostics.json").read_bytes() == before
    assert (out / "r2" / "bristol" / "diagnostic.failed.ipynb").exists()
    assert leftovers(out) == []
    assert run_here(store_url, out, "bristol").status == "ok"  # a later success clears the failed notebook
    assert not (out / "r2" / "bristol" / "diagnostic.failed.ipynb").exists()


@pytest.mark.parametrize("cities, round_id, message", [
    (["atlantis"], "r2", "unknown city 'atlantis'"),
    (["../x"], "r2", "city '../x' is not valid"),
    (["bristol/cardiff"], "r2", "city 'bristol/cardiff' is not valid"),
    (["bristol"], "r9", "unknown round 'r9'; rounds in this store: r1, r2"),
    (["bristol"], "../r2", "round '../r2' is not valid"),
])
def test_bad_parameters_fail_before_anything_runs(store_url, tmp_path, cities, round_id, message):
    out = tmp_path / "build"
    with pytest.raises(ICFError, match=re.escape(message)):
        pool.run_batch(round_id, cities, settings=settings(store_url, out), notebook=CITY_NB, progress=False)
    assert not out.exists()
    shown = CliRunner().invoke(main, ["run", "--round", round_id, "--cities", ",".join(cities), "--store",
                                      store_url, "--out", str(out), "--notebook", str(CITY_NB)])
    assert shown.exit_code == 1 and message in shown.output
    assert not out.exists()


def test_unknown_round_is_a_not_found_error_and_dask_needs_a_scheduler(store_url, tmp_path):
    with pytest.raises(NotFoundError):
        planning.plan_batch("r9", ["bristol"], settings(store_url), notebook=CITY_NB, convening=False)
    missing = tmp_path / "typo.sqlite3"
    with pytest.raises(ICFError, match="no answer store at"):
        planning.plan_batch("r2", ["bristol"], settings(f"sqlite:///{missing}"), notebook=CITY_NB)
    assert not missing.exists()  # a mistyped store is reported, not created empty
    jobs, _ = planning.plan_batch("r2", ["cardiff", "bristol", "cardiff"], settings(store_url), notebook=CITY_NB,
                                convening=False)
    assert [j.name for j in jobs] == ["cardiff", "bristol"]
    with pytest.raises(ICFError, match="needs --scheduler"):
        batch(store_url, tmp_path / "build", executor="dask")
    assert not (tmp_path / "build").exists()


def test_the_dask_executor_gives_the_same_outputs(store_url, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        result = batch(store_url, tmp_path / "build", executor="dask", scheduler=cluster.scheduler_address)
    assert result.ok, result.summary()
    for city, expected in EXPECTED.items():
        report = diagnostics(tmp_path / "build", city)
        assert (report["answers"], report["areas"]) == (expected["answers"], expected["areas"])


def _outputs(nb):
    """Outputs per code cell, with Altair's random element ids made equal."""
    text = json.dumps([c.get("outputs") for c in nb.cells if c.cell_type == "code"], sort_keys=True)
    return json.loads(re.sub(r"altair-viz-[0-9a-f]{32}", "altair-viz-ID", text))


def test_warm_engine_captures_outputs_like_a_kernel(tmp_path):
    nb = DATA / "runner_rich.ipynb"
    warm = pm.execute_notebook(nb, tmp_path / "warm.ipynb", parameters={"name": "x"}, engine_name="icf-warm",
                               progress_bar=False)
    kernel = pm.execute_notebook(nb, tmp_path / "kernel.ipynb", parameters={"name": "x"}, progress_bar=False)

    assert _outputs(warm) == _outputs(kernel)
    assert [c.get("execution_count") for c in warm.cells] == [c.get("execution_count") for c in kernel.cells]
    assert warm.metadata.language_info == kernel.metadata.language_info
    cells = {c.source.splitlines()[0]: c.outputs for c in warm.cells if c.cell_type == "code"}
    assert [(o.name, o.text) for o in cells["print('hello', name)"]] == [("stdout", "hello x\nagain\n"),
                                                                        ("stderr", "to stderr\n")]
    table, result = cells["df = pd.DataFrame({'area': ['A1', 'A2'], 'score': [40.0, 75.5]})"]
    assert table.output_type == "display_data" and "<table" in table.data["text/html"]
    assert "75.5" in result.data["text/html"]
    chart = cells["alt.Chart(df).mark_bar().encode(x='area', y='score')"][0].data
    assert any(k.startswith("application/vnd.vegalite") for k in chart) or "vegaEmbed" in chart["text/html"]
    note, kept = cells["display(Markdown('**first**'), display_id='note')"]
    assert note.data["text/markdown"] == "**updated**" and kept.data["text/html"] == "<b>kept</b>"
    assert [o.text for o in cells["update_display(Markdown('**updated**'), display_id='note')"]] == ["stays\n"]
    assert cells["x = 1"][0].data == {"text/plain": "42"} and cells["x = 1"][0].execution_count == 9


def test_each_notebook_gets_a_fresh_namespace(tmp_path):
    python = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    first = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("secret = 41\nsecret + 1")],
                                     metadata=python)
    second = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("'secret' in dir()")],
                                      metadata=first.metadata)
    one = pm.execute_notebook(first, None, engine_name="icf-warm", progress_bar=False)
    two = pm.execute_notebook(second, None, engine_name="icf-warm", progress_bar=False)
    assert one.cells[0].outputs[0].data == {"text/plain": "42"}
    assert two.cells[0].outputs[0].data == {"text/plain": "False"}
    assert two.cells[0].execution_count == 1


def test_failing_cell_is_reported_like_a_kernel_does(tmp_path):
    errors = {}
    for engine in ("icf-warm", None):
        with pytest.raises(pm.PapermillExecutionError) as caught:
            pm.execute_notebook(DATA / "runner_fails.ipynb", tmp_path / f"{engine}.ipynb", parameters={"name": "x"},
                                engine_name=engine, progress_bar=False)
        errors[engine] = (caught.value.cell_index, caught.value.exec_count, caught.value.ename,
                          caught.value.evalue)
    # cells: parameters 0, injected parameters 1, print 2, the failing cell 3 (In [4]); the last never runs
    assert errors["icf-warm"] == errors[None] == (3, 4, "ValueError", "broken for x")


def test_kernel_start_races_are_retried_and_cell_errors_are_not():
    ctx = zmq.Context.instance()
    taken = ctx.socket(zmq.REP)
    port = taken.bind_to_random_port("tcp://127.0.0.1")
    calls = []

    def start():  # first attempt: a real port clash, as when two kernels pick the same port
        calls.append(1)
        if len(calls) == 1:
            clash = ctx.socket(zmq.REP)
            try:
                clash.bind(f"tcp://127.0.0.1:{port}")
            finally:
                clash.close(linger=0)
        return "started"

    try:
        assert with_kernel_retry(start) == "started" and len(calls) == 2
    finally:
        taken.close(linger=0)
    assert is_kernel_start_race(RuntimeError("Kernel died before replying to kernel_info"))
    assert not is_kernel_start_race(zmq.ZMQError(errno.EACCES))

    def cell_error():
        calls.append(1)
        raise pm.PapermillExecutionError(3, 4, "x", "ValueError", "bad", [])

    calls.clear()
    with pytest.raises(pm.PapermillExecutionError):
        with_kernel_retry(cell_error)
    assert len(calls) == 1


def test_round_pairs_are_cached_per_store_revision(tmp_path, monkeypatch):
    """A warm worker computes the round's peer plan once, and again only after the store changed."""
    from icframework.analysis import exchange

    monkeypatch.setenv("ICF_CITIES", str(ROOT / "cities"))
    store = Store(f"sqlite:///{tmp_path / 'pairs.sqlite3'}")
    store.create_round("r", "inclusive-cities")
    questions = [q.code for q in store.framework_for("r").questions]
    levels = {"bristol": 4, "cardiff": 0, "newport": 0}  # every area: bristol 100, the others 0
    people = {}
    for city, level in levels.items():
        people[city], _ = store.add_respondent("r", city, "local-authority", with_code=False)
        for q in questions:
            store.save_answer(people[city], q, actor="test", level=level)
    first = exchange.round_pairs(store, "r", min_group=3, min_gap=15.0)
    assert exchange.round_pairs(store, "r", min_group=3, min_gap=15.0) == first
    revision = store.revision()
    for q in questions:  # cardiff catches up with bristol: it no longer needs a mentor
        store.save_answer(people["cardiff"], q, actor="test", level=4)
    assert store.revision() > revision
    after = exchange.round_pairs(store, "r", min_group=3, min_gap=15.0)
    assert sorted(p["learner"] for p in first["pairs"]) == ["cardiff", "newport"]
    assert sorted(p["learner"] for p in after["pairs"]) == ["newport"]
    store.close()


def test_help_describes_every_option():
    from icframework.cli.run import run_cmd

    shown = CliRunner().invoke(main, ["run", "--help"])
    assert shown.exit_code == 0
    for option in ("--round", "--cities", "--jobs", "--force", "--engine", "--executor", "--scheduler"):
        assert option in shown.output
    assert [p.name for p in run_cmd.params if not p.help] == []


def test_real_workbooks_give_the_same_diagnostics_with_both_engines_and_make_briefs(tmp_path, monkeypatch):
    from icframework.model.cities import load_city
    from icframework.store import demo

    monkeypatch.setenv("ICF_CITIES", str(ROOT / "cities"))
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    store = Store(url)
    demo.generate(store, cities=[load_city(c) for c in ("bristol", "cardiff", "newport")])
    store.close()
    common = {"progress": False, "jobs": 1}
    warm = pool.run_batch(demo.LATEST_ROUND, ["cardiff"], settings=settings(url, tmp_path / "warm"), **common)
    kernel = pool.run_batch(demo.LATEST_ROUND, ["cardiff"], settings=settings(url, tmp_path / "kernel"),
                              engine="kernel", convening=False, render=False, **common)
    assert warm.ok and kernel.ok, warm.summary() + kernel.summary()

    def report(root):
        data = diagnostics(root, "cardiff", demo.LATEST_ROUND)
        return {k: v for k, v in data.items() if k != "generated_at"}

    assert report(tmp_path / "warm") == report(tmp_path / "kernel")
    recorded = json.loads((tmp_path / "kernel" / demo.LATEST_ROUND / "cardiff" / ".inputs.json").read_text())
    assert recorded["engine"] == "kernel" and recorded["outputs"] == ["diagnostic.ipynb", "diagnostics.json"]
    assert report(tmp_path / "warm")["city"]["slug"] == "cardiff"
    made = tmp_path / "warm" / demo.LATEST_ROUND
    for folder, report_name in (("cardiff", "diagnostics.json"), ("convening", "convening.json")):
        assert (made / folder / "brief.pdf").read_bytes().startswith(b"%PDF")
        assert "Synthetic" in (made / folder / "brief.html").read_text()
        assert (made / folder / report_name).exists()


def test_outputs_can_go_to_an_fsspec_url(store_url, tmp_path):
    """A build location given as a URL (here file://, through fsspec as s3:// would be): files arrive whole, the
    manifest last, nothing is staged at the destination, and a second run finds the city unchanged."""
    url = f"file://{tmp_path / 'remote'}"
    where = Settings(store_url, cities=ROOT / "cities", workbooks=ROOT / "workbooks", build=url)
    kw = {"notebook": CITY_NB, "convening": False, "render": False, "progress": False, "jobs": 1}
    first = pool.run_batch("r2", ["bristol"], settings=where, **kw)
    assert first.ok and f"Outputs in {url}/r2/" in first.summary()
    city = tmp_path / "remote" / "r2" / "bristol"
    assert sorted(p.name for p in city.iterdir()) == [".inputs.json", "diagnostic.ipynb", "diagnostics.json"]
    assert diagnostics(tmp_path / "remote", "bristol")["answers"] == EXPECTED["bristol"]["answers"]
    again = pool.run_batch("r2", ["bristol"], settings=where, **kw)
    assert [r.status for r in again.cities] == ["skipped"]
