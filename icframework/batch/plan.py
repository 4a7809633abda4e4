"""Planning a batch run (in the calling process): check every parameter, work out each notebook's inputs.

A notebook runs again only when something its outputs show has changed since its last successful run. The
inputs, recorded in ``<build>/<round>/<city>/.inputs.json``, are what the brief is made from:

- the city's own respondents and answers in this round and every earlier round (content, quote opt-outs and the
  dates quotes carry), the files of its folder (city.yaml, actions.yaml);
- its **peers**: the pairs it is in, in the round's peer-learning plan (matched on every city's scores, with
  the names people read), and the notice when it learns from no one. Another city's change re-runs this city
  only when it changes these pairs. The worker records the digest of the plan it used (execute.py); the planner
  makes the plan (seconds for 500 cities) only when some city would otherwise be skipped (`check_peers`), and
  shares it with the workers (exchange.PLAN_CACHE);
- what every brief shares: the round's framework file, the store's rounds (titles people read), ``convenings.yaml``
  and the reference date of action-plan progress, the workbook file, the icframework package (version and a
  digest of its files), the practice files and whether briefs are rendered.

The convening shows every city side by side, so its inputs hold each city's answers and city.yaml, city by city,
and the run can say whose change made it run again (`reasons`).
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
    languages: tuple[str, ...] = ()  # the briefs' languages (icf run --lang); empty: the city file's, else...
    default_languages: tuple[str, ...] = ("en",)  # ...the programme's
    locale: tuple[str, ...] = ()  # the programme's catalogue folders (icframework.i18n)


def plan_batch(round_id: str, cities: list[str] | None, settings: Settings, *, engine: str = "warm",
               notebook: str | Path | None = None, convening_notebook: str | Path | None = None,
               convening: bool = True, render: bool = True,
               languages: tuple[str, ...] = ()) -> tuple[list[Job], Job | None]:
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
        rounds = store.list_rounds()
        round_ids = [r.id for r in rounds]
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
        "rounds": _digest(json.dumps([[r.id, r.title, r.framework, r.convening, bool(r.synthetic)]
                                      for r in rounds[: len(upto)]]).encode()),
        "convenings": _file_digest(root / "convenings.yaml"),
        "reference_date": _reference(rnd.convening, root),
        "icframework": package_digest(),
        "practices": _digest(json.dumps([_file_digest(root / "practices.yaml"), _tree_digest(root / "practices"),
                                         *map(_tree_digest, settings.extra_practices)]).encode()),
        "languages": [list(languages), list(settings.languages), *map(_tree_digest, settings.locale)],
    }
    words = {"languages": tuple(languages), "default_languages": tuple(settings.languages),
             "locale": tuple(map(str, settings.locale))}
    shared = {"round_id": round_id, "store_url": settings.store_url, "cities_dir": str(root),
              "programme_dir": str(settings.programme) if settings.programme else None}
    cwd = str(notebook.parent)
    jobs = []
    for slug in cities:
        inputs = {"round": round_id, "city": slug, "answers": digests.get(slug, "none"),
                  "city_files": _tree_digest(root / slug), "workbook": _file_digest(notebook), **common}
        jobs.append(Job(slug, str(notebook), {"city": slug, **shared}, outputs.join(out_root, slug), "diagnostic",
                        inputs, engine, cwd, "city_outputs" if render else None, **words))
    conv_job = None
    if convening:
        inputs = {"round": round_id, "cities": list(cities), "workbook": _file_digest(conv_nb),
                  "answers": {c: digests.get(c, "none") for c in cities},
                  "city_files": {c: _file_digest(root / c / "city.yaml") for c in cities},
                  **common}
        conv_job = Job(CONVENING, str(conv_nb), {**shared, "cities": list(cities)}, outputs.join(out_root, CONVENING),
                       CONVENING, inputs, engine, str(conv_nb.parent), "convening_outputs" if render else None,
                       **words)
    return jobs, conv_job


def peer_digests(store, round_id: str, root: Path, cities: list[str]) -> dict[str, str]:
    """A digest per city of what its brief shows of the round's peer-learning plan: its pairs (with the scores
    in them), its notice, and the city files its partners' names come from. The plan is the one the workbook
    computes (`exchange.round_pairs`), made here without reading any city file."""
    from ..analysis.exchange import kept_plan

    plan = kept_plan(store, round_id)
    return {slug: peer_digest(plan, slug, root) for slug in cities}


def peer_digest(plan: dict, slug: str, root: Path) -> str:
    """The digest of one city's part of a plan made without names (`peer_digests`)."""
    from ..analysis.exchange import city_peers

    mine, notice = city_peers(plan, slug)
    partners = sorted({p[k] for p in mine for k in ("learner", "mentor")} - {slug})
    return _digest(json.dumps([mine, notice, [_file_digest(root / c / "city.yaml") for c in partners]],
                              sort_keys=True, default=str).encode())


def check_peers(jobs: list[Job], recorded: dict[str, dict | None], why: dict[str, list[str]],
                settings: Settings, round_id: str) -> None:
    """Add "its peers changed" to `why` (city -> reasons) for each city whose pairs in the round's plan differ
    from those its last run showed. The plan is made only when a city has no other reason to run."""
    if not any(recorded.get(j.name) is not None and not why[j.name] for j in jobs):
        return
    store = settings.open_store()
    try:
        now = peer_digests(store, round_id, settings.cities, [j.name for j in jobs])
    finally:
        store.close()
    for job in jobs:
        before = recorded.get(job.name)
        if before is not None and before.get("peers") != now[job.name]:
            why[job.name].append(WHY["peers"])


def _reference(convening: str | None, root: Path) -> str:
    """The date action-plan progress is measured on (the round's convening, else today)."""
    from ..errors import NotFoundError
    from ..model.actions import reference_date

    try:
        return reference_date(convening, root).date.isoformat()
    except (NotFoundError, ICFError):
        import datetime as dt

        return dt.date.today().isoformat()


def answer_digests(store, round_ids: list[str]) -> dict[str, str]:
    """A digest per city of its respondents and answers in `round_ids` (content, quote opt-outs and the times
    quotes show; not ids). One query for all cities, so planning 500 cities costs about as much as planning 12."""
    import pandas as pd

    answers = store.answers_frame()
    answers = answers[answers["round"].isin(round_ids)]
    people = store.respondents_frame()
    people = people[people["round"].isin(round_ids)]
    cols_a = ["round", "respondent", "sector", "role", "status", "question", "response", "level", "evidence",
              "links", "comment", "synthetic", "updated_at"]  # updated_at: the date a quoted note carries
    cols_p = ["round", "label", "sector", "role", "status", "synthetic", "no_quotes"]
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


def read_manifest(folder: str | Path) -> dict:
    """The manifest the last successful run left in `folder` ({} when there is none or it cannot be read)."""
    try:
        return json.loads(outputs.read_bytes(folder, MANIFEST) or b"{}")
    except (OSError, ValueError):
        return {}


def complete_manifest(job: Job) -> dict | None:
    """The manifest of the job's last successful run, or None when it has none or its outputs are not all there."""
    manifest = read_manifest(job.out_dir)
    made = manifest.get("outputs") or []
    if not made or not all(outputs.exists(job.out_dir, name) for name in made):
        return None
    return manifest


def recorded_inputs(job: Job) -> dict | None:
    """The inputs of the job's last successful run, or None when it has none or its outputs are not all there."""
    manifest = complete_manifest(job)
    return manifest.get("inputs") if manifest else None


def up_to_date(job: Job) -> bool:
    """True when the job's last successful run had the same inputs (peers aside: see `check_peers`) and its
    outputs are all still there."""
    before = recorded_inputs(job)
    return before is not None and not reasons(job, before)


WHY = {  # an input that changed, and what the run says about it
    "answers": "its answers changed", "city_files": "its city files changed", "peers": "its peers changed",
    "workbook": "the workbook changed", "icframework": "icframework changed", "framework": "the framework changed",
    "rounds": "the rounds changed", "convenings": "convenings.yaml changed",
    "reference_date": "the reference date of action plans changed", "practices": "the practice files changed",
    "render": "briefs are rendered now", "cities": "the cities of the round changed",
}


def reasons(job: Job, before: dict | None) -> list[str]:
    """Why the job runs again, in words ("its answers changed", "cardiff's answers changed", ...); [] when its
    inputs are unchanged. `before`: `recorded_inputs(job)`."""
    if before is None:
        return ["no earlier outputs"]
    if all(before.get(k) == v for k, v in job.inputs.items()):
        return []
    out = []
    for key, now in job.inputs.items():
        was = before.get(key)
        if was == now:
            continue
        if isinstance(now, dict) and isinstance(was, dict):  # the convening: name the cities whose part changed
            what = {"answers": "answers", "city_files": "city.yaml"}.get(key, key)
            for city in sorted(set(now) | set(was)):
                if now.get(city) != was.get(city):
                    out.append(f"{city}'s {what} changed" if city in now and city in was else
                               f"{city} {'joined' if city in now else 'left'}")
        elif key != "cities" or not isinstance(was, list):
            out.append(WHY.get(key, f"{key} changed"))
    return list(dict.fromkeys(out)) or ["its inputs changed"]


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
