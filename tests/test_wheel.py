"""The installed wheel works outside the checkout: built from this tree, installed into a fresh virtualenv in a
temporary folder, then used from an empty folder with no icframework settings in the environment, as a
researcher or a facilitator who ran `pip install icframework-*.whl` would.

Slow (a build and a full install: a few minutes with a warm pip cache); `make test-fast` leaves it out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import free_port
from pypdf import PdfReader

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ROUND = "virtual-2020"


def run(args, cwd, env, timeout=900) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder of a fresh virtualenv with the wheel installed, an empty working folder, a clean environment)."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICF_", "VIRTUAL_ENV", "PYTHONPATH"))}
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp / "dist"), str(ROOT)], tmp, env)
    [wheel] = (tmp / "dist").glob("icframework-*.whl")
    run([sys.executable, "-m", "venv", str(tmp / "venv")], tmp, env)
    bin_dir = tmp / "venv" / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], tmp, env)
    work = tmp / "empty"
    work.mkdir()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return bin_dir, work, env, wheel


def test_the_wheel_carries_its_files(installed):
    *_, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("icframework/_bundled/workbooks/city_diagnostic.ipynb",
                   "icframework/_bundled/workbooks/self_assessment.ipynb",
                   "icframework/_bundled/templates/city_brief.typ",
                   "icframework/_bundled/templates/icf_brief/index.html.j2",
                   "icframework/_bundled/cities/cardiff/city.yaml",
                   "icframework/_bundled/cities/convenings.yaml",
                   "icframework/data/frameworks/inclusive-cities.yaml",
                   "icframework/app/assets/form.css"):
        assert needed in names
    assert not [n for n in names if "sqlite3" in n or "/build/" in n or ".ipynb_checkpoints" in n]


def test_installed_code_reads_its_own_copy_not_the_checkout(installed):
    bin_dir, work, env, _ = installed
    where = run([str(bin_dir / "python"), "-c", "from icframework.config import bundled; "
                 "print(bundled('workbooks')); print(bundled('cities'))"], work, env).stdout.split()
    venv = bin_dir.parent
    assert all(Path(p).is_relative_to(venv) for p in where), where
    shown = run([str(bin_dir / "icf"), "validate"], work, env).stdout
    assert "3 frameworks, 12 cities, 5 convenings, 12 action plans" in shown


def test_demo_briefs_exporters_and_the_form_from_an_empty_folder(installed):
    bin_dir, work, env, _ = installed
    shown = run([str(bin_dir / "icf"), "demo"], work, env).stdout
    made = work / "build" / "demo" / ROUND
    assert "12 cities" in shown and len(list(made.glob("*/brief.pdf"))) == 13

    executed = made / "cardiff" / "diagnostic.ipynb"
    for exporter, suffix in (("icf-pdf", ".pdf"), ("icf-html", ".html")):
        run([str(bin_dir / "jupyter"), "nbconvert", "--to", exporter, str(executed)], work, env)
        assert executed.with_suffix(suffix).stat().st_size > 1000
    text = "".join(page.extract_text() for page in PdfReader(executed.with_suffix(".pdf")).pages)
    assert "Cardiff" in text and "Synthetic demo data" in text
    assert "Cardiff" in executed.with_suffix(".html").read_text(encoding="utf-8")

    store = f"sqlite:///{work / 'build' / 'demo' / 'icf.sqlite3'}"
    port = free_port()
    issued = run([str(bin_dir / "icf"), "respondents", "add", "--store", store, "--round", ROUND, "--city",
                  "cardiff", "--sector", "employer", "--base-url", f"http://127.0.0.1:{port}"], work, env).stdout
    link = issued.split()[-1]
    log = work / "app.log"
    with open(log, "wb") as out:
        app = subprocess.Popen([str(bin_dir / "icf"), "app", "--store", store, "--port", str(port), "--no-browser",
                                "--pool-size", "1"], cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while b"form kernel ready" not in log.read_bytes():
            assert app.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        with urllib.request.urlopen(link, timeout=60) as page:
            assert page.status == 200 and "voila" in page.read().decode().lower()
    finally:
        app.terminate()
        app.wait(30)
    assert not (work / "icf.sqlite3").exists()  # nothing made an empty store in the working folder
