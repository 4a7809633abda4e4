"""What the facilitator console does, without widgets (icframework.app.console only shows it): a round's progress
by city and sector with who is missing, issuing and managing the form's links, the links as a CSV file for a mail
merge, making the briefs with the batch runner, and reading the briefs back for download.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..config import Settings
from ..i18n import N_, Translator, translator
from ..store import Store

NO_ONE = N_("no one")  # `missing` in progress_table: kept in English in the table, translated where shown
NOT_STARTED = N_("not started")
LINK_COLUMNS = ["round", "city", "sector", "role", "label", "respondent", "link"]
_CITIES: dict[tuple, list] = {}


def programme_cities(root: Path | None = None) -> list:
    """The programme's cities (`model.cities.load_cities`), read again only when a city file changes: parsing
    500 city files takes about a second, and the console needs them at every redraw."""
    from ..model.cities import example_cities, load_cities

    folder = Path(root or example_cities())
    stamp = tuple(sorted((p.parent.name, p.stat().st_mtime_ns) for p in folder.glob("*/city.yaml")))
    key = (str(folder), stamp)
    if key not in _CITIES:
        _CITIES.clear()
        _CITIES[key] = load_cities(root)
    return _CITIES[key]


def progress_table(store: Store, round_id: str, cities_root: Path | None = None) -> pd.DataFrame:
    """One row per city and sector of the round: people (links not withdrawn), submitted, not started (people
    with no answer yet), answered and of (questions), share, and `missing`: "no one" for a sector the city's
    taskforce has but no link was issued for, "not started" when nobody of the sector has answered yet, else "".

    The cities are those with people in the round; their expected sectors come from their city files (a city
    not in the programme's files lists only the sectors it has people in)."""
    from ..analysis.summary import round_progress

    progress = round_progress(store, round_id)
    people = store.respondents_frame(round_id)
    people = people[people["status"] != "revoked"]
    answers = store.answers_frame(round_id)
    started = set(answers.loc[answers["response"].notna(), "respondent_id"])
    not_started = (people.assign(idle=~people["respondent_id"].isin(started))
                   .groupby(["city", "sector"])["idle"].sum())
    questions = len(store.framework_for(round_id).questions)
    expected = {c.slug: list(c.taskforce_sectors) for c in programme_cities(cities_root)}
    have = set(zip(progress["city"], progress["sector"], strict=True))
    extra = [{"city": city, "sector": sector, "people": 0, "submitted": 0, "answered": 0, "of": 0, "share": "–"}
             for city in sorted(set(progress["city"]) | set(people["city"]))
             for sector in expected.get(city, []) if (city, sector) not in have]
    table = pd.concat([progress, pd.DataFrame(extra, columns=progress.columns)], ignore_index=True) \
        if extra else progress.copy()
    table["not_started"] = [int(not_started.get((c, s), 0)) for c, s in zip(table["city"], table["sector"],
                                                                            strict=True)]
    table["missing"] = [NO_ONE if p == 0 else (NOT_STARTED if n == p else "")
                        for p, n in zip(table["people"], table["not_started"], strict=True)]
    table["of"] = table["people"] * questions
    table = table.sort_values(["city", "sector"], ignore_index=True)
    return table[["city", "sector", "people", "submitted", "not_started", "answered", "of", "share", "missing"]]


def city_summary(table: pd.DataFrame, tr: Translator | None = None) -> pd.DataFrame:
    """`progress_table` per city: people, submitted, not started, the share of questions answered and `missing`,
    the sectors with no one or not started in words ("employer (no one), housing (not started)"; in `tr`'s
    language)."""
    tr = tr or translator()
    rows = []
    for city, g in table.groupby("city", sort=True):
        gaps = [r.sector + " (" + tr._(r.missing) + ")" for r in g.itertuples() if r.missing]
        of = int(g["of"].sum())
        rows.append({"city": city, "people": int(g["people"].sum()), "submitted": int(g["submitted"].sum()),
                     "not_started": int(g["not_started"].sum()), "answered": int(g["answered"].sum()), "of": of,
                     "share": tr.percent(g["answered"].sum() / of) if of else "–", "missing": ", ".join(gaps)})
    return pd.DataFrame(rows, columns=["city", "people", "submitted", "not_started", "answered", "of", "share",
                                       "missing"])


def sector_summary(table: pd.DataFrame) -> pd.DataFrame:
    """`progress_table` per sector: how many cities expect it (on their taskforce, or with a link), how many have
    someone with a link, how many have someone who answered, people and submitted. Shows which sectors are hard
    to engage (the Inclusive Cities programme found employers so)."""
    t = table.assign(link=table["people"] > 0, answering=(table["people"] > table["not_started"]))
    out = t.groupby("sector", sort=True).agg(expected=("city", "nunique"), with_link=("link", "sum"),
                                             answering=("answering", "sum"), people=("people", "sum"),
                                             submitted=("submitted", "sum")).reset_index()
    return out.astype({"with_link": int, "answering": int, "people": int, "submitted": int})


def people_table(store: Store, round_id: str, city: str) -> pd.DataFrame:
    """The city's people in the round: respondent id, label, sector, role, status and questions answered."""
    people = store.list_respondents(round_id, city)
    answers = store.answers_frame(round_id, city)
    answered = answers[answers["response"].notna()].groupby("respondent_id").size()
    rows = [{"respondent": p.id, "label": p.label, "sector": p.sector, "role": p.role, "status": p.status,
             "answered": int(answered.get(p.id, 0))} for p in people if p.status != "erased"]
    return pd.DataFrame(rows, columns=["respondent", "label", "sector", "role", "status", "answered"])


def form_link(form_url: str, city: str, code: str) -> str:
    """A respondent's link to the form (the same as `icf respondents add` prints)."""
    from ..cli.app import link

    return link(form_url, city, code)


def issue_links(store: Store, round_id: str, city: str, sector: str, *, form_url: str, role: str = "",
                count: int = 1) -> list[dict]:
    """Issue `count` links for the city's sector in the round; returns one row per link (LINK_COLUMNS). The
    codes are only in these rows: the store keeps their hashes."""
    from ..model.types import check_sector

    check_sector(sector)
    rnd = store.get_round(round_id)
    out = []
    for _ in range(max(1, int(count))):
        resp, code = store.add_respondent(round_id, city, sector, role=role, synthetic=rnd.synthetic)
        out.append({"round": round_id, "city": city, "sector": sector, "role": role, "label": resp.label,
                    "respondent": resp.id, "link": form_link(form_url, city, code)})
    return out


def replace_link(store: Store, respondent_id: int, *, form_url: str) -> dict:
    """A new link for a person whose link was lost: their old link is revoked and a new respondent with the same
    city, sector and role gets a new code (answers stay with the old one; the facilitator can reopen it)."""
    old = store.respondent(respondent_id)
    if old.status != "revoked":
        store.set_status(old.id, "revoked", actor="facilitator")
    [row] = issue_links(store, old.round_id, old.city, old.sector, form_url=form_url, role=old.role)
    return row


def links_csv(rows: list[dict]) -> bytes:
    """The issued links as CSV for a mail merge (UTF-8 with a byte-order mark, so spreadsheets read accents),
    every field quoted and made inert: a value a spreadsheet would run as a formula stays text."""
    try:
        from ..cells import to_csv as inert
    except ImportError:  # an older layout: the exporters' own helper
        from ..store.transfer import inert  # type: ignore[attr-defined,no-redef]
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(LINK_COLUMNS)
    for row in rows:
        writer.writerow([inert(str(row.get(c, ""))) for c in LINK_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def brief_files(build: Path, round_id: str) -> dict[str, Path]:
    """The briefs made for the round: {city slug (or "convening"): brief.pdf}, sorted by name."""
    root = Path(build) / round_id
    found = sorted(root.glob("*/brief.pdf")) if root.is_dir() else []
    return {p.parent.name: p for p in found}


def briefs_zip(files: dict[str, Path], round_id: str) -> bytes:
    """Every brief in one zip file (in memory): <round>/<city>.pdf."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in files.items():
            zf.write(path, f"{round_id}/{name}.pdf")
    return buf.getvalue()


@dataclass(frozen=True)
class BriefsDone:
    ok: bool
    summary: str
    files: dict[str, Path]


def make_briefs(round_id: str, settings: Settings, *, jobs: int = 2, progress: bool = True) -> BriefsDone:
    """Make every city's brief and the convening brief of the round with the batch runner (`icf run`): what it
    shows as it goes is its own progress bar (a widget when run in a notebook kernel)."""
    from ..batch.pool import run_batch

    result = run_batch(round_id, settings=settings, jobs=jobs, progress=progress)
    return BriefsDone(result.ok, result.summary(), brief_files(settings.build, round_id))
