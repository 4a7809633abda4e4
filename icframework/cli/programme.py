"""Running a programme: `icf init`, `icf store create`, `icf rounds` (create, show, close, reopen) and
`icf cities add`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..errors import ICFError
from . import main
from .core import cities, cli_tr, settings, store_option


@main.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="The programme's name, as people read it (default: from the folder).")
@click.option("--framework", default=None, metavar="NAME|PATH",
              help="The framework of its rounds: a bundled one (`icf frameworks list`) or your own YAML file, "
                   "copied into the programme. Default: inclusive-cities.")
@click.option("--example", is_flag=True,
              help="Start from the example programme's twelve cities (with their SYNTHETIC demo action plans).")
def init_cmd(folder, name, framework, example):
    """Make FOLDER a programme folder: programme.yaml, cities/, practices/, a README for the facilitator and an
    empty answer store. Run every other command inside it."""
    from ..config import Settings
    from ..model.programme import init_programme

    path = init_programme(folder, name=name, framework=framework, example=example)
    run = Settings.from_environment(programme=path.parent)
    run.open_store(create=True).close()
    click.echo(cli_tr()._("Made the programme {name} in {folder}/ with its answer store {store}.\nNext: cd {path}, "
                          "add cities (`icf cities add SLUG --name ... --sectors ...`), then `icf rounds create ID "
                          "--title ...`. Its README.md walks through a round.", name=repr(run.name),
                          folder=path.parent, store=run.store_path(), path=folder))


@main.group("store")
def store_group():
    """The answer store of the programme."""


@store_group.command("create")
@store_option
def store_create(store_url):
    """Create the programme's answer store where programme.yaml (or --store) says it is: an SQLite file, or the
    tables in an empty PostgreSQL database (made by the migrations, up to this version's schema)."""
    from ..store.migrate import describe, state
    from ..store.store import make_engine

    run = settings(store_url)
    path = run.store_path()
    if run.store_url and (path is None or path.exists()):
        engine = make_engine(run.store_url)
        with engine.connect() as conn:
            empty = state(conn).empty
        engine.dispose()
        if not empty:
            raise ICFError(cli_tr()._("{store} holds an answer store already: nothing to do (`icf store upgrade` "
                                      "brings an older one up to date)", store=path or describe(run.store_url)))
    run.open_store(create=True).close()
    click.echo(cli_tr()._("Created the answer store {store}.", store=path or describe(run.store_url)))


def _store_url(store_url) -> str:
    """The URL of an existing store (a missing SQLite file is an error naming `icf store create`)."""
    run = settings(store_url)
    path = run.store_path()
    if not run.store_url or (path and not path.is_file()):
        run.open_store()  # raises the error that says which store was looked for and how to make it
    return run.store_url


@store_group.command("upgrade")
@store_option
def store_upgrade(store_url):
    """Bring the answer store's schema up to this version of icframework (a store made by the previous release
    too). Safe to run while nothing else writes to it; back it up first (`icf store backup FILE`)."""
    from ..store.migrate import describe, upgrade
    from ..store.store import make_engine

    url = _store_url(store_url)
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    tr = cli_tr()
    if before == after:
        click.echo(tr._("The answer store {store} is up to date (schema version {version}).", store=describe(url),
                        version=after))
    else:
        click.echo(tr._("Upgraded the answer store {store} from {before} to schema version {after}.",
                        store=describe(url), before=before, after=after))


@store_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@store_option
def store_backup(path, store_url):
    """Copy the answer store into the new file PATH while the app keeps running: SQLite's online backup (open
    the copy as a store, or put it back in place of the file), or pg_dump's custom format for PostgreSQL
    (restore with `pg_restore --clean --if-exists --no-owner --dbname URL PATH`)."""
    from ..store.backup import backup
    from ..store.migrate import describe

    url = _store_url(store_url)
    done = backup(url, path)
    click.echo(cli_tr()._("Backed up {store} to {path} ({size} bytes).", store=describe(url), path=done,
                          size=format(done.stat().st_size, ",")))


@main.group("rounds", invoke_without_command=True)
@store_option
@click.pass_context
def rounds(ctx, store_url):
    """Assessment rounds: list them (no subcommand), create, show progress, close and reopen."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(rounds_list, store_url=store_url)


def _describe(r) -> str:
    tr = cli_tr()
    state = tr._("closed") if r.closed else tr._("open")
    dates = tr._(", {opens} to {closes}", opens=r.opens or "…", closes=r.closes or "…") if (r.opens or r.closes) \
        else ""
    flag = tr._(", synthetic demo data") if r.synthetic else ""
    return f"{r.id:18} {r.title} ({state}{dates}{flag}); {r.framework} v{r.framework_version}"


@rounds.command("list")
@store_option
def rounds_list(store_url):
    """List the rounds with their title, state and framework."""
    found = settings(store_url).open_store().list_rounds()
    if not found:
        click.echo(cli_tr()._("No rounds yet. Create one with `icf rounds create ID --title \"...\"`."))
    for r in found:
        click.echo(_describe(r))


def _date(_ctx, param, value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise click.BadParameter(cli_tr()._("write it as YYYY-MM-DD"), param_hint=f"--{param.name}") from None


@rounds.command("create")
@click.argument("round_id", metavar="ID")
@click.option("--title", required=True, help="What people read, e.g. \"Self-assessment before the spring convening\".")
@click.option("--framework", default=None, metavar="NAME|PATH",
              help="Default: the programme's framework (programme.yaml).")
@click.option("--convening", default=None, help="The convening this round prepares (`icf cities convenings`).")
@click.option("--opens", default=None, callback=_date, metavar="YYYY-MM-DD", help="When answering opens.")
@click.option("--closes", default=None, callback=_date, metavar="YYYY-MM-DD",
              help="The deadline people are told (close the round with `icf rounds close`).")
@store_option
def rounds_create(round_id, title, framework, convening, opens, closes, store_url):
    """Create a round ID (a slug such as spring-2027). It pins its framework file: a later edit of that file is
    refused for this round."""
    from ..model.cities import load_convenings

    run = settings(store_url)
    if convening and convening not in {c.id for c in load_convenings(run.cities)}:
        raise ICFError(cli_tr()._("unknown convening {convening}; see `icf cities convenings`",
                                  convening=repr(convening)))
    store = run.open_store()
    r = store.create_round(round_id, framework or run.framework, title=title, convening=convening, opens=opens,
                           closes=closes)
    click.echo(cli_tr()._("Created {round}\nNext: issue links with `icf respondents add --round {id} --city CITY "
                          "--sector SECTOR`.", round=_describe(r), id=r.id))


@rounds.command("show")
@click.argument("round_id", metavar="ID")
@store_option
def rounds_show(round_id, store_url):
    """Response progress of a round, per city and sector: people, submitted, questions answered."""
    from ..analysis.summary import headed, round_progress

    store = settings(store_url).open_store()
    r = store.get_round(round_id)
    click.echo(_describe(r))
    table = round_progress(store, round_id)
    tr = cli_tr()
    click.echo(tr._("No one has been issued a link yet.") if table.empty else headed(table, tr).to_string(index=False))


@rounds.command("close")
@click.argument("round_id", metavar="ID")
@store_option
def rounds_close(round_id, store_url):
    """Close a round: the form and the store accept no more changes to its answers."""
    r = settings(store_url).open_store().set_round_closed(round_id, True)
    click.echo(cli_tr()._("Closed {id} ({title}): answers can no longer be changed. `icf rounds reopen {id}` undoes "
                          "it.", id=r.id, title=r.title))


@rounds.command("reopen")
@click.argument("round_id", metavar="ID")
@store_option
def rounds_reopen(round_id, store_url):
    """Reopen a closed round."""
    r = settings(store_url).open_store().set_round_closed(round_id, False)
    click.echo(cli_tr()._("Reopened {id} ({title}): answers can be changed again.", id=r.id, title=r.title))


@cities.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The city's name, e.g. Cardiff.")
@click.option("--local-name", default=None, help="Its name in another language, e.g. Caerdydd.")
@click.option("--nation", default="England", show_default=True, help="England, Scotland, Wales, Northern Ireland…")
@click.option("--sectors", required=True, metavar="A,B",
              help="The sectors on its taskforce, comma-separated (e.g. local-authority,employer,public-health).")
@click.option("--phase", default=1, show_default=True, help="The programme phase it joined in.")
@click.option("--joined", default=None, type=int, help="The year it joined (default: this year).")
@click.option("--senior-lead", default="Senior lead", show_default=True, help="The senior lead's role (no names).")
@click.option("--operational-lead", default="Operational lead", show_default=True,
              help="The operational lead's role (no names).")
@click.option("--context", default=None, help="A sentence about the city.")
def cities_add(slug, name, local_name, nation, sectors, phase, joined, senior_lead, operational_lead, context):
    """Add a city to the programme: writes cities/SLUG/city.yaml, validated first."""
    from ..model.cities import add_city

    run = settings()
    city = add_city(run.cities, slug, name=name, local_name=local_name, nation=nation,
                    sectors=[s.strip() for s in sectors.split(",") if s.strip()], phase=phase,
                    year_joined=joined or dt.date.today().year, senior_lead=senior_lead,
                    operational_lead=operational_lead, context=context or f"{name} joined the programme.")
    click.echo(cli_tr()._("Added {name} ({slug}) in {path}", name=city.name, slug=city.slug,
                          path=run.cities / city.slug / "city.yaml"))
