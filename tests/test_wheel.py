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


ANSWER_THROUGH_THE_FORM = """
import sys
from icframework.app.form import AssessmentForm
from icframework.config import Settings

settings = Settings.from_environment()
store = settings.open_store()
for link in sys.argv[1:]:
    city, code = link.split("city=")[1].split("&code=")
    form = AssessmentForm(store, store.authenticate(city, code), cities=settings.cities)
    for n, question in enumerate(form.fw.areas[0].questions):  # as a person clicks the choices
        form.cards[question.code].choice.value = str((n + len(city)) % 5)
    print(len(store.answers_for(form.respondent)))
"""


def test_a_new_programme_from_nothing(installed):
    """A facilitator's whole cycle with the installed wheel: init, their own framework, cities by command, a
    round, links, answers through the form's own code, briefs, closing the round."""
    bin_dir, work, env, _ = installed
    icf = str(bin_dir / "icf")
    folder = work / "coastal"
    own = work / "coastal-framework.yaml"
    source = (ROOT / "icframework" / "data" / "frameworks" / "learning-cities.yaml").read_text(encoding="utf-8")
    own.write_text(source.replace("code: learning-cities", "code: coastal-learning", 1), encoding="utf-8")
    run([icf, "init", str(folder), "--name", "Coastal Learning Towns", "--framework", str(own)], work, env)
    for slug, name, sectors in (("port-ellis", "Port Ellis", "local-authority,education,health"),
                                ("saltby", "Saltby", "local-authority,employer"),
                                ("aberwen", "Aberwen", "local-authority,newcomer-led")):
        added = subprocess.run([icf, "cities", "add", slug, "--name", name, "--sectors", sectors], cwd=folder,
                               env=env, capture_output=True, text=True)
        if "health" in sectors:  # not a sector: refused with the reason, nothing written
            assert added.returncode == 1 and "taskforce_sectors" in added.stdout + added.stderr
            assert not (folder / "cities" / slug).exists()
            run([icf, "cities", "add", slug, "--name", name, "--sectors", "local-authority,education"], folder, env)
        else:
            assert added.returncode == 0, added.stderr
    title = "Spring 2027 self-assessment"
    run([icf, "rounds", "create", "spring-2027", "--title", title], folder, env)
    links = []
    for slug in ("port-ellis", "saltby", "aberwen"):
        issued = run([icf, "respondents", "add", "--round", "spring-2027", "--city", slug, "--sector",
                      "local-authority", "--count", "2"], folder, env).stdout
        links += [line.split("\t")[-1] for line in issued.splitlines() if "code=" in line]
    assert len(links) == 6
    saved = run([str(bin_dir / "python"), "-c", ANSWER_THROUGH_THE_FORM, *links], folder, env).stdout.split()
    assert len(saved) == 6 and len(set(saved)) == 1 and int(saved[0]) > 0
    shown = run([icf, "rounds", "show", "spring-2027"], folder, env).stdout
    assert title in shown and "port-ellis" in shown

    run([icf, "run", "--round", "spring-2027", "--no-progress"], folder, env)
    made = folder / "build" / "spring-2027"
    assert sorted(p.parent.name for p in made.glob("*/brief.pdf")) == ["aberwen", "convening", "port-ellis",
                                                                       "saltby"]
    text = " ".join("".join(p.extract_text() for p in PdfReader(made / "saltby" / "brief.pdf").pages).split())
    assert "Saltby: city brief" in text and title in text and "spring-2027" not in text
    assert "Synthetic" not in text  # real (not demo) answers carry no synthetic notice
    convening = " ".join("".join(p.extract_text() for p in PdfReader(made / "convening" / "brief.pdf").pages)
                         .split())
    assert all(name in convening for name in ("Port Ellis", "Saltby", "Aberwen"))

    run([icf, "rounds", "close", "spring-2027"], folder, env)
    refused = subprocess.run([str(bin_dir / "python"), "-c", ANSWER_THROUGH_THE_FORM, links[0]], cwd=folder,
                             env=env, capture_output=True, text=True)
    assert refused.returncode == 0 and refused.stdout.split() == saved[:1]  # nothing more was saved
    store = run([str(bin_dir / "python"), "-c", "from icframework.config import Settings; "
                 "from icframework.errors import ICFError\n"
                 "s = Settings.from_environment().open_store()\n"
                 "p = s.list_respondents('spring-2027')[0]\n"
                 "try:\n    s.save_answer(p, s.framework_for('spring-2027').questions[0].code, level=1)\n"
                 "except ICFError as e:\n    print('refused:', e)\n"], folder, env).stdout
    assert "refused: this round is closed" in store
