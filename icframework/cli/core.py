"""Foundation commands: validate, frameworks, cities, demo-data, export, import, demo; and what every command
shares: its settings, its store and `cli_tr()`, the words of the language its messages are printed in."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..config import Settings
from ..errors import ICFError, Problem, ValidationError
from ..i18n import N_, Translator
from ..model import cities as cities_mod
from ..model.framework import bundled_names, load_framework, validate_path
from ..store import Store
from . import main

store_option = click.option(
    "--store",
    "store_url",
    default=None,
    metavar="URL",
    help="Answer store: an SQLAlchemy URL or an SQLite file (default: $ICF_STORE_URL, else the programme's store).",
)


def settings(store_url: str | None = None, build: Path | None = None) -> Settings:
    """This command's settings: its options and `icf --programme`, else the environment, else the programme
    found from the working folder (see icframework.config)."""
    ctx = click.get_current_context(silent=True)
    programme = ctx.find_root().params.get("programme") if ctx else None
    return Settings.from_environment(programme=programme, store_url=store_url, build=build)


def cli_tr() -> Translator:
    """The words of this command's messages: `icf --lang CODE`, else $ICF_LANG, else English, from the bundled
    catalogues and the programme's own (`<programme>/locale/`). Made once per command (kept in the click
    context); outside a command, from $ICF_LANG."""
    from ..i18n import translator

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx else None
    if isinstance(obj, dict) and "tr" in obj:
        return obj["tr"]
    lang = (obj.get("lang") if isinstance(obj, dict) else None) or os.environ.get("ICF_LANG", "").strip() or "en"
    try:
        extra = settings().locale if ctx else ()
    except ICFError:  # a programme that cannot be read: its catalogues too; the error itself is reported elsewhere
        extra = ()
    try:
        tr = translator(lang, extra)
    except ICFError:  # $ICF_LANG is not a language code, or a catalogue is unreadable: English, never a crash
        tr = translator("en")
    if isinstance(obj, dict):
        obj["tr"] = tr
    return tr


def open_store(store_url: str | None) -> Store:
    """The store of this command; a missing one is an error that says how to make it."""
    return settings(store_url).open_store()


def check_programme(run: Settings) -> tuple[list[Problem], str]:
    """Every problem of the bundled frameworks and of the programme's files (cities, convenings, action plans,
    practices), and a line saying what was checked."""
    from ..model.actions import load_plans
    from ..model.framework import BUNDLED, bundled_names
    from ..model.practices import load_practices

    tr = cli_tr()
    root = run.cities
    problems, found = validate_path(BUNDLED), [tr._("{n} frameworks", n=len(bundled_names()))]
    if not cities_mod.city_slugs(root):
        problems.append(Problem(str(root), None, tr._("no city files (<slug>/city.yaml) in this folder: add one "
                                                      "with `icf cities add`")))
    loaders = {N_("{n} cities"): cities_mod.load_cities, N_("{n} convenings"): cities_mod.load_convenings,
               N_("{n} action plans"): load_plans,
               N_("{n} practices"): lambda root: load_practices(run.extra_practices, cities_root=root)}
    for what, loader in loaders.items():
        try:
            found.append(tr._(what, n=len(loader(root))))
        except ValidationError as exc:
            problems += exc.problems
    return problems, tr._("All valid: {found} in {folder}.", found=", ".join(found), folder=root)


def report_problems(problems: list[Problem], summary: str) -> None:
    """Print every problem and exit 1, or print `summary`."""
    for p in problems:
        click.secho(str(p), fg="red")
    if problems:
        click.echo(cli_tr()._("{n} problem(s) found.", n=len(problems)))
        sys.exit(1)
    click.echo(summary)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths):
    """Validate the bundled frameworks and the programme's city files, action plans, convenings and practices
    (or the given framework PATHS).

    Reports every problem with file and line; exits 1 when any is found.
    """
    if paths:
        report_problems([p for path in paths for p in validate_path(path)], cli_tr()._("All valid."))
    else:
        report_problems(*check_programme(settings()))


@main.group()
def frameworks():
    """List, show, validate and round-trip frameworks (question banks)."""


@frameworks.command("list")
def frameworks_list():
    """List the bundled frameworks with their version and size."""
    tr = cli_tr()
    for name in bundled_names():
        fw = load_framework(name)
        size = tr._("{principles} × {principle}, {areas} × {area}, {questions} questions",
                    principles=len(fw.principles), principle=fw.labels.principle.lower(), areas=len(fw.areas),
                    area=fw.labels.area.lower(), questions=len(fw.questions))
        click.echo(f"{fw.code:20} v{fw.version:8} {size}  {fw.title}")


@frameworks.command("show")
@click.argument("name")
@click.option("--questions/--no-questions", default=False, help="Also list every question.")
def frameworks_show(name, questions):
    """Show a framework (bundled NAME or a YAML path): principles, areas, scale and tiers."""
    tr = cli_tr()
    fw = load_framework(name)
    source = tr._("Source: {source}", source=fw.source)
    click.echo(f"{fw.title} ({fw.code} v{fw.version})\n{source}\n{fw.description}\n")
    click.echo(tr._("{label}s:", label=fw.labels.principle))
    for p in fw.principles:
        click.echo(f"  {p.code}  {p.title}")
    click.echo(tr._("{label}s:", label=fw.labels.area))
    for a in fw.areas:
        click.echo(f"  {a.code}  {a.title} " + tr._("({n} questions)", n=len(a.questions)))
        if questions:
            for q in a.questions:
                core = tr._("core") if q.core else tr._("additional")
                about = tr._("[{kind}, weight {weight}, {principles}]", kind=core, weight=format(q.weight, "g"),
                             principles=", ".join(q.principles))
                click.echo(f"      {q.code:7} {about} {q.text}")
    levels = "; ".join(f"{lv.value} {lv.label}" for lv in fw.scale.levels)
    click.echo(tr._("Scale: {levels}; plus {dont_know} and {na} (never scored as zero)", levels=levels,
                    dont_know=fw.scale.dont_know.label, na=fw.scale.not_applicable.label))
    click.echo(tr._("Tiers: {tiers}", tiers="; ".join(tr._("{label} from {min}", label=t.label, min=format(t.min, "g"))
                                                      for t in fw.tiers)))


@frameworks.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--lang", default=None, metavar="CODE",
              help="Also report every text without a translation in this language (e.g. cy), with its line.")
def frameworks_validate(path, lang):
    """Validate a framework YAML file or a folder of them; every problem with file and line. Exit 1 if any."""
    from ..model.framework import framework_files, translation_problems

    problems = validate_path(path)
    if lang and not problems:
        problems = [p for f in framework_files(path) for p in translation_problems(f, lang)]
    tr = cli_tr()
    report_problems(problems, tr._("{path}: valid, every text translated into {lang}.", path=path, lang=lang)
                    if lang else tr._("{path}: valid.", path=path))


@frameworks.command("export")
@click.argument("name")
@click.option("--xlsx", "xlsx", required=True, type=click.Path(path_type=Path), help="Workbook to write.")
def frameworks_export(name, xlsx):
    """Write a framework's question bank to an Excel workbook for editing."""
    from ..model.spreadsheet import export_xlsx

    export_xlsx(load_framework(name), xlsx)
    click.echo(cli_tr()._("Wrote {path}. Edit it, then: icf frameworks import {path} --out my-framework.yaml",
                          path=xlsx))


@frameworks.command("import")
@click.argument("xlsx", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="YAML file to write (default: <framework code>.yaml beside the workbook).",
)
def frameworks_import(xlsx, out):
    """Read an edited framework workbook; list every mistake by sheet, row and column, or write the YAML."""
    from ..model.spreadsheet import framework_yaml, import_xlsx
    from ..store.transfer import atomic_write

    fw = import_xlsx(xlsx)
    out = out or xlsx.with_name(f"{fw.code}.yaml")
    atomic_write(out, framework_yaml(fw).encode())
    click.echo(cli_tr()._("Wrote {path}: {questions} questions in {areas} areas. Check it with: icf frameworks "
                          "validate {path}", path=out, questions=len(fw.questions), areas=len(fw.areas)))


@main.group()
def cities():
    """The programme's cities and convenings."""


@cities.command("list")
def cities_list():
    """List the cities with nation, phase and year joined."""
    tr = cli_tr()
    for c in cities_mod.load_cities(settings().cities):
        click.echo(f"{c.slug:24} {c.name:26} {c.nation:17} "
                   + tr._("phase {phase}  joined {year}", phase=c.phase, year=c.year_joined))


@cities.command("show")
@click.argument("slug")
def cities_show(slug):
    """Show one city's profile: leadership roles and taskforce sectors."""
    tr = cli_tr()
    c = cities_mod.load_city(slug, settings().cities)
    click.echo(f"{c.name}" + (f" ({c.local_name})" if c.local_name else "") + f", {c.nation}")
    click.echo(tr._("Phase {phase}, joined {year}", phase=c.phase, year=c.year_joined))
    click.echo(tr._("Senior lead: {senior}\nOperational lead: {operational}", senior=c.leadership.senior_lead,
                    operational=c.leadership.operational_lead))
    click.echo(tr._("Taskforce sectors: {sectors}", sectors=", ".join(c.taskforce_sectors)) + f"\n{c.context}")


@cities.command("convenings")
def cities_convenings():
    """List the programme's convenings."""
    tr = cli_tr()
    for cv in cities_mod.load_convenings(settings().cities):
        click.echo(f"{cv.id:18} {cv.when:15} " + tr._("phase {phase}", phase=cv.phase) + f"  {cv.title}")


@main.command("demo-data")
@store_option
@click.option(
    "--seed", default=2019, show_default=True, help="Random seed: the same seed gives the same data."
)
@click.option(
    "--extra-cities", default=0, show_default=True, help="Also make N synthetic cities (scale tests)."
)
@click.option(
    "--cities-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the extra cities' files (required with --extra-cities).",
)
def demo_data(store_url, seed, extra_cities, cities_dir):
    """Write reproducible SYNTHETIC answers for the programme cities over three rounds."""
    from ..batch.progress import progress_bar
    from ..store.demo import extra_cities as make_extra
    from ..store.demo import generate
    from ..style import SYNTHETIC_NOTICE

    tr = cli_tr()
    run = settings(store_url)
    cities = cities_mod.load_cities(run.cities)
    if extra_cities:
        if not cities_dir:
            raise click.UsageError(tr._("--extra-cities needs --cities-dir DIR (then set ICF_CITIES=DIR to use "
                                        "them)"))
        for c in cities:  # the extra-cities folder holds the real twelve too, so it can serve as ICF_CITIES
            src = run.cities / c.slug / "city.yaml"
            (cities_dir / c.slug).mkdir(parents=True, exist_ok=True)
            (cities_dir / c.slug / "city.yaml").write_bytes(src.read_bytes())
        conv = run.cities / "convenings.yaml"
        (cities_dir / "convenings.yaml").write_bytes(conv.read_bytes())
        cities += make_extra(extra_cities, cities_dir, seed)
    store = run.open_store(create=True)  # demo-data makes the store it fills
    with progress_bar(len(cities), "cities") as tick:
        counts = generate(store, seed=seed, cities=cities, progress=lambda _slug: tick())
    click.echo(tr._(SYNTHETIC_NOTICE) + "\n" + tr._(
        "Wrote {answers} answers from {respondents} respondents for {cities} cities into {store}",
        answers=counts["answers"], respondents=counts["respondents"], cities=len(cities), store=store.url))


@main.command("export")
@store_option
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "json"]),
    default=None,
    help="Default: from the file suffix.",
)
@click.option("--round", "round_id", default=None, help="Only this round.")
@click.option("--city", default=None, help="Only this city.")
def export_cmd(store_url, path, fmt, round_id, city):
    """Export answers to CSV, XLSX or JSON (formula-like cells are written inert)."""
    from ..store.transfer import export_answers

    n = export_answers(open_store(store_url), path, fmt, round_id, city)
    click.echo(cli_tr()._("Wrote {n} answers to {path}", n=n, path=path))


@main.command("import")
@store_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_cmd(store_url, path):
    """Import answers from CSV. One bad row and nothing is imported; every bad row is listed."""
    from ..store.transfer import import_answers

    run = settings(store_url)
    n = import_answers(run.open_store(), path, cities=cities_mod.city_slugs(run.cities))
    click.echo(cli_tr()._("Imported {n} answers from {path}", n=n, path=path))


@main.command("summary")
@store_option
@click.option("--round", "round_id", default=None, help="Only this round.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def summary_cmd(store_url, round_id, as_json):
    """Per-city summary of the store: answers, respondents, sectors and rounds."""
    from ..analysis.summary import city_summary

    store = open_store(store_url)
    table = city_summary(store, round_id)
    if as_json:
        click.echo(json.dumps(table.to_dict(orient="records"), indent=1))
    else:
        print_summary(store, table)


def print_summary(store: Store, table) -> None:
    from ..analysis.summary import headed
    from ..style import SYNTHETIC_NOTICE

    tr = cli_tr()
    if store.is_synthetic():
        click.secho(tr._(SYNTHETIC_NOTICE), fg="yellow")
    click.echo(headed(table, tr).to_string(index=False))


DEMO_DIR = Path("build") / "demo"
DEMO_FILES = ("programme.yaml", "README.md", ".gitignore", "cities", "practices", "icf.sqlite3", "icf.sqlite3-wal",
              "icf.sqlite3-shm")


@main.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEMO_DIR,
    show_default=True,
    help="The demo programme folder (its store and cities are made fresh each time; briefs go to OUT/<round>/).",
)
@click.option("--seed", default=2019, show_default=True, help="Random seed for the synthetic answers.")
def demo_cmd(out, seed):
    """The main job on the embedded defaults: make OUT a programme folder with the example programme's twelve
    cities, load SYNTHETIC demo answers into its fresh store, summarise them per city, then run the workbooks
    and briefs for every city (OUT/<round>/<city>/). Afterwards every command works inside OUT."""
    import shutil

    from ..model.programme import init_programme
    from ..store.demo import LATEST_ROUND, generate

    tr = cli_tr()
    for name in DEMO_FILES:  # what the previous demo made; its briefs stay, to be skipped when unchanged
        path = out / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    init_programme(out, name="Inclusive Cities demo (synthetic data)", example=True, build=".")
    run = Settings.from_environment(programme=out)
    click.echo(tr._("1/4 Validating frameworks, cities and convenings in the demo programme {folder}/...",
                    folder=out))
    report_problems(*check_programme(run))
    store = run.open_store(create=True)
    click.echo(tr._("2/4 Writing synthetic demo answers to {store}...", store=run.store_path()))
    generate(store, seed=seed, cities=cities_mod.load_cities(run.cities))
    from ..analysis.summary import city_summary

    click.echo(tr._("3/4 Per-city summary (all rounds):"))
    print_summary(store, city_summary(store))
    from ..batch.pool import run_batch

    click.echo(tr._("4/4 Running the workbooks for every city of round {round} (icf run)...", round=LATEST_ROUND))
    result = run_batch(LATEST_ROUND, settings=run)
    click.echo(result.summary())
    pdfs = sorted((Path(out) / LATEST_ROUND).glob("*/brief.pdf"))
    if pdfs:
        click.echo(tr._("Briefs ({n} PDFs, each with brief.html beside it):", n=len(pdfs)))
        for pdf in pdfs:
            click.echo(f"  {pdf}")
    click.echo(tr._("The demo is a programme folder: inside {folder}/ (or in this repository), try `icf rounds`, "
                    "`icf respondents list --round virtual-2020` or `icf app`.", folder=out))
    if not result.ok:
        sys.exit(1)
