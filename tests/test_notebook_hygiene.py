"""Workbooks are committed without outputs, stripped by a tool (nbstripout as a git filter), not by hand."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
WORKBOOKS = sorted((ROOT / "workbooks").glob("*.ipynb"))


def staged(path: Path) -> str:
    """The notebook as it will be committed (git's index), or the file when this is not a git checkout."""
    rel = path.relative_to(ROOT)
    if shutil.which("git") and (ROOT / ".git").exists():
        done = subprocess.run(["git", "show", f":{rel}"], cwd=ROOT, capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout
    return path.read_text(encoding="utf-8")


def test_committed_workbooks_have_no_outputs():
    assert len(WORKBOOKS) == 5  # city_diagnostic, convening_brief, self_assessment, dashboard, console
    for path in WORKBOOKS:
        nb = nbformat.reads(staged(path), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(c.outputs == [] and c.execution_count is None for c in code), path.name


def test_git_strips_outputs_with_nbstripout_keeping_cell_ids(tmp_path):
    attributes = (ROOT / ".gitattributes").read_text()
    assert "*.ipynb filter=nbstripout" in attributes
    assert "filter.nbstripout.clean '$(CURDIR)/$(VENV)/bin/nbstripout --keep-id'" in (ROOT / "Makefile").read_text()
    clean = nbformat.read(WORKBOOKS[0], as_version=4)
    ran = nbformat.read(WORKBOOKS[0], as_version=4)  # as JupyterLab saves it after "Run All"
    for n, cell in enumerate(c for c in ran.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 1000)]
        cell.metadata["execution"] = {"iopub.execute_input": "2026-12-01T10:00:00Z"}
    path = tmp_path / "ran.ipynb"
    nbformat.write(ran, path)
    subprocess.run([sys.executable, "-m", "nbstripout", "--keep-id", str(path)], check=True)
    stripped = json.loads(path.read_text())
    assert stripped["cells"] == json.loads(nbformat.writes(clean))["cells"]
