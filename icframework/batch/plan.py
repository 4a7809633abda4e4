"""Planning a batch run (in the calling process): check every parameter, work out each notebook's inputs.

A city is skipped when its inputs are unchanged since its last successful run. The inputs, recorded in
``<build>/<round>/<city>/.inputs.json``, are: the city's respondents and answers in this round and every earlier
round (content, not timestamps), the round's framework file, the files of the city's folder, ``convenings.yaml``,
the workbook file, the icframework package (version and a digest of its files), and, because a brief names peer
cities and suggests practices, every city's answers in the round and the user's practice files.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings, package_dir
from ..errors import ICFError
from ..model.cities import city_slugs, load_city
from ..model.framework import framework_digest
from ..model.types import check_slug
from . import outputs

ENGINES = ("warm", "kernel")
MANIFEST = ".inputs.json"
CONVENING = "convening"
CITY_WORKBOOK = "city_diagnostic.ipynb"
CONVENING_WORKBOOK = "convening_brief.ipynb"


@dataclass(frozen=True)
class Job:
    """One notebook to run: everything a worker needs, in plain values (it may travel to a Dask worker)."""

    name: str  # a city slug, or "convening"
    notebook: str  # the workbook to execute
    parameters: dict  # papermill parameters (store_url and cities_dir included); output_dir is added by the worker
    out_dir: str  # final folder for the outputs
    stem: str  # the executed notebook is <stem>.ipynb ("diagnostic" or "convening")
    inputs: dict  # what the outputs depend on (recorded in .inputs.json on success)
    engine: str = "warm"
    cwd: str = "."
    render: str | None = "city_outputs"  # icframework.render function to call on the outputs


def plan_batch(round_id: str, cities: list[str] | None, settings: Settings, *, engine: str = "warm",
               notebook: str | Path | None = None, convening_notebook: str | Path | None = None,
               convening: bool = True, render: bool = True) -> tuple[list[Job], Job | None]:
    """Check every parameter and work out each notebook's inputs. Raises ICFError on the first bad one."""
    check_slug(round_id, "round")
    if engine not in ENGINES:
        raise ICFError(f"unknown engine {engine!r}: use {' or '.join(ENGINES)}")
    root = settings.cities
    if cities is not None:
        cities = list(dict.fromkeys(cities))  # a city named twice runs once
        for slug in cities:
            load_city(slug, root)  # checks the slug, then that the city exists (with the list of known cities)
        if not cities:
            raise ICFError("no cities given: name at least one, or leave out --cities to run them all")
    notebook = Path(notebook).resolve() if notebook else settings.workbook(CITY_WORKBOOK)
    conv_nb = Path(convening_notebook).resolve() if convening_notebook else (
        settings.workbook(CONVENING_WORKBOOK) if convening else None)
    for nb in (notebook, conv_nb) if convening else (notebook,):
        if not nb.is_file():
            raise ICFError(f"workbook {nb} not found")
    store = settings.open_store()  # a missing store is an error that says how to make it
    try:
        rnd = store.get_round(round_id)  # NotFoundError names the rounds that exist
        round_ids = [r.id for r in store.list_rounds()]
        upto = round_ids[: round_ids.index(round_id) + 1]
        digests = answer_digests(store, upto)
        if cities is None:
            known = set(city_slugs(root))
            cities = sorted(set(store.respondents_frame(round_id)["city"]) & known)
            if not cities:
                raise ICFError(f"no city in {root} has respondents in round {round_id!r}; "
                               "add respondents first, or name cities with --cities")
    finally:
        store.close()
    out_root = outputs.join(settings.build, round_id)  # a folder, or a URL (outputs.py)
    common = {
        "render": render,
        "framework": rnd.framework_digest or framework_digest(rnd.framework),
        "convenings": _file_digest(root / "convenings.yaml"),
        "icframework": package_digest(),
        # A city's brief also names its peers (matched on every city's scores) and suggests practices, so a
        # change in any city of the round or in the user's practice files re-runs every city.
        "round_answers": _digest(json.dumps(sorted(digests.items())).encode()),
        "practices": _digest(json.dumps([_file_digest(root / "practices.yaml"), _tree_digest(root / "practices"),
                                         *map(_tree_digest, settings.extra_practices)]).encode()),
    }
    shared = {"round_id": round_id, "store_url": settings.store_url, "cities_dir": str(root),
              "programme_dir": str(settings.programme) if settings.programme else None}
    cwd = str(notebook.parent)
    jobs = []
    for slug in cities:
        inputs = {"round": round_id, "city": slug, "answers": digests.get(slug, "none"),
                  "city_files": _tree_digest(root / slug), "workbook": _file_digest(notebook), **common}
        jobs.append(Job(slug, str(notebook), {"city": slug, **shared}, outputs.join(out_root, slug), "diagnostic",
                        inputs, engine, cwd, "city_outputs" if render else None))
    conv_job = None
    if convening:
        inputs = {"round": round_id, "cities": list(cities), "workbook": _file_digest(conv_nb),
                  "answers": _digest(json.dumps([digests.get(c, "none") for c in cities]).encode()),
                  "city_files": _digest(json.dumps([_tree_digest(root / c) for c in cities]).encode()),
                  **common}
        conv_job = Job(CONVENING, str(conv_nb), {**shared, "cities": list(cities)}, outputs.join(out_root, CONVENING),
                       CONVENING, inputs, engine, str(conv_nb.parent), "convening_outputs" if render else None)
    return jobs, conv_job


def answer_digests(store, round_ids: list[str]) -> dict[str, str]:
    """A digest per city of its respondents and answers in `round_ids` (content only: ids and times excluded).
    One query for all cities, so planning 500 cities costs about as much as planning 12."""
    import pandas as pd

    answers = store.answers_frame()
    answers = answers[answers["round"].isin(round_ids)]
    people = store.respondents_frame()
    people = people[people["round"].isin(round_ids)]
    cols_a = ["round", "respondent", "sector", "role", "status", "question", "response", "level", "evidence",
              "links", "comment", "synthetic"]
    cols_p = ["round", "label", "sector", "role", "status", "synthetic"]
    row_hashes = {
        "answers": answers.assign(h=pd.util.hash_pandas_object(answers[cols_a].astype(str), index=False)),
        "people": people.sort_values(["round", "label"]).assign(
            h=lambda d: pd.util.hash_pandas_object(d[cols_p].astype(str), index=False)),
    }
    digests = {}
    for frame in row_hashes.values():
        for city, group in frame.groupby("city", sort=True):
            digests.setdefault(city, hashlib.sha256()).update(group["h"].to_numpy().tobytes())
    return {city: h.hexdigest() for city, h in digests.items()}


def package_digest() -> str:
    """icframework's version and a digest of its files: a code change re-runs every notebook."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("icframework")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        v = "unknown"
    return f"{v}+{_tree_digest(package_dir())[:16]}"


def up_to_date(job: Job) -> bool:
    """True when the job's last successful run had the same inputs and its outputs are all still there."""
    try:
        manifest = json.loads(outputs.read_bytes(job.out_dir, MANIFEST) or b"")
    except (OSError, ValueError):
        return False
    made = manifest.get("outputs") or []
    return manifest.get("inputs") == job.inputs and bool(made) and all(
        outputs.exists(job.out_dir, name) for name in made)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    return _digest(path.read_bytes()) if path.is_file() else "missing"


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
