"""The workbooks, executed by the real `papermill` command line in real kernels against a real store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from icframework.analysis import reports
from icframework.model.cities import load_city
from icframework.store import Store, demo

ROOT = Path(__file__).resolve().parent.parent
WORKBOOKS = ROOT / "workbooks"
CITIES = ("bristol", "cardiff", "newport")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'icf.sqlite3'}"
    store = Store(url)
    demo.generate(store, cities=[load_city(c, ROOT / "cities") for c in CITIES])
    store.close()
    return url


def papermill(notebook: str, out: Path, **params: str) -> subprocess.Popen:
    """Start `python -m papermill` (the real CLI) with `-p NAME VALUE` for each parameter."""
    args = [sys.executable, "-m", "papermill", str(WORKBOOKS / notebook), str(out), "--no-progress-bar"]
    for name, value in params.items():
        args += ["-p", name, value]
    env = os.environ | {"ICF_CITIES": str(ROOT / "cities")}
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=out.parent)


BAD = {  # name: (city, round, the message the first code cell must stop with)
    "bad-slug": ("../etc", "virtual-2020", "city '../etc' is not valid"),
    "bad-round": ("cardiff", "no-such-round", "unknown round 'no-such-round'"),
}


@pytest.fixture(scope="module")
def runs(store_url, tmp_path_factory):
    """Every papermill run of this module, started together (each is mostly kernel start-up), then awaited:
    name -> (returncode, stderr, executed notebook, output folder)."""
    tmp = tmp_path_factory.mktemp("runs")
    plan = {"cardiff": ("city_diagnostic.ipynb", {"city": "cardiff", "round_id": "virtual-2020"}),
            "convening": ("convening_brief.ipynb", {"round_id": "virtual-2020"})}
    plan |= {name: ("city_diagnostic.ipynb", {"city": c, "round_id": r}) for name, (c, r, _) in BAD.items()}
    started = {}
    for name, (notebook, params) in plan.items():
        out_dir = tmp / name / "build"
        (tmp / name).mkdir()
        proc = papermill(notebook, tmp / name / "out.ipynb", **params, store_url=store_url, output_dir=str(out_dir))
        started[name] = (proc, tmp / name / "out.ipynb", out_dir)
    done = {}
    for name, (proc, nb, out_dir) in started.items():
        _, err = proc.communicate(timeout=600)
        for _retry in range(2):  # kernels started together can race for ZMQ ports; run that one again alone
            if proc.returncode == 0 or not any(m in err for m in KERNEL_RACE):
                break
            notebook, params = plan[name]
            proc = papermill(notebook, nb, **params, store_url=store_url, output_dir=str(out_dir))
            _, err = proc.communicate(timeout=600)
        done[name] = (proc.returncode, err, nb, out_dir)
    return done


KERNEL_RACE = ("Kernel died before replying to kernel_info", "Address already in use", "didn't respond in")


def same_report(written: dict, expected: dict) -> bool:
    """True when every key the diagnostics function produced was written with the same value (the time apart);
    the workbooks may add keys of their own (the knowledge-exchange features do)."""
    return {k: written.get(k) for k in expected if k != "generated_at"} == \
        {k: v for k, v in expected.items() if k != "generated_at"}


def outputs(nb_path: Path) -> list[dict]:
    nb = nbformat.read(nb_path, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_city_diagnostic_writes_the_report_city_report_computes(runs, store_url):
    code, err, nb, out_dir = runs["cardiff"]
    assert code == 0, err[-3000:]
    written = json.loads((out_dir / "diagnostics.json").read_text())
    expected = reports.city_report(Store(store_url), "cardiff", "virtual-2020").model_dump(mode="json")
    assert same_report(written, expected)
    assert written["counts"]["respondents"] > 0 and written["previous_round"] == "cardiff-2019"
    shown = outputs(nb)
    # the synthetic notice is the first thing shown, as Markdown; the charts are Vega-Lite with a text fallback
    assert shown[0]["data"]["text/markdown"].startswith("> **Synthetic demo data")
    charts = [o for o in shown if "application/vnd.vegalite.v5+json" in o.get("data", {})]
    assert len(charts) == 2 and all("Cardiff" in o["data"]["text/plain"] for o in charts)
    assert not [o for o in shown if o["output_type"] == "error"]


@pytest.mark.parametrize("name", sorted(BAD))
def test_city_diagnostic_stops_on_bad_parameters(runs, name):
    code, err, nb, out_dir = runs[name]
    message = BAD[name][2]
    assert code != 0 and message in err
    errors = [o for o in outputs(nb) if o["output_type"] == "error"]
    assert len(errors) == 1
    assert errors[0]["ename"] in ("ICFError", "NotFoundError") and message in errors[0]["evalue"]
    assert not out_dir.exists()  # nothing written


def test_convening_brief_writes_the_report_convening_report_computes(runs, store_url):
    code, err, nb, out_dir = runs["convening"]
    assert code == 0, err[-3000:]
    written = json.loads((out_dir / "convening.json").read_text())
    expected = reports.convening_report(Store(store_url), "virtual-2020").model_dump(mode="json")
    assert same_report(written, expected)
    assert [c["slug"] for c in written["cities"]] == sorted(CITIES)  # default: every city with answers
    assert outputs(nb)[0]["data"]["text/markdown"].startswith("> **Synthetic demo data")


def test_committed_workbooks_have_no_outputs_and_match_their_py_twins():
    for name in ("city_diagnostic", "convening_brief"):
        nb = nbformat.read(WORKBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code)
        assert code[0].metadata.get("tags") == ["parameters"]
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
        twin = jupytext.read(WORKBOOKS / f"{name}.py")
        assert [(c.cell_type, c.source, c.metadata.get("tags")) for c in nb.cells] == \
            [(c.cell_type, c.source, c.metadata.get("tags")) for c in twin.cells]


def test_python3_kernel_is_this_python():
    from jupyter_client.manager import KernelManager

    assert KernelManager(kernel_name="python3").format_kernel_cmd()[0] == sys.executable


def test_run_all_from_a_folder_inside_a_programme_then_nbconvert_anywhere(tmp_path):
    """What a researcher does: open the workbook from a folder of a programme in JupyterLab and Run All with the
    defaults (no parameters, no ICF_* variables: the programme is found upwards), then save the executed copy
    somewhere else and make its brief with nbconvert."""
    from icframework.config import Settings
    from icframework.model.programme import init_programme

    init_programme(tmp_path / "prog", example=True)
    run = Settings.from_environment({}, tmp_path / "prog")
    store = run.open_store(create=True)
    demo.generate(store, cities=[load_city(c, run.cities) for c in ("bristol", "cardiff")])
    store.close()
    (tmp_path / "prog" / "notes").mkdir()
    shutil.copy(WORKBOOKS / "city_diagnostic.ipynb", tmp_path / "prog" / "notes" / "city_diagnostic.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICF_")}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, "-m", "papermill", "city_diagnostic.ipynb", str(elsewhere / "copy.ipynb"),
                           "--no-progress-bar"], cwd=tmp_path / "prog" / "notes", env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "prog" / "build" / "virtual-2020" / "bristol" / "diagnostics.json").is_file()
    assert not list((tmp_path / "prog").rglob("icf.sqlite3*"))[1:] and not (tmp_path / "prog" / "notes" /
                                                                            "icf.sqlite3").exists()
    for exporter in ("icf-pdf", "icf-html"):
        made = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", exporter, "copy.ipynb"],
                              cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
        assert made.returncode == 0, made.stderr[-3000:]
    assert "Bristol" in (elsewhere / "copy.html").read_text(encoding="utf-8")
    assert (elsewhere / "copy.pdf").read_bytes().startswith(b"%PDF")
