"""Knowledge-exchange commands: `icf practices`, `icf match` and `icf actions`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from . import main
from .core import settings, store_option

practices_option = click.option(
    "--practices", "extra", multiple=True, type=click.Path(exists=True, path_type=Path), metavar="PATH",
    help="Also read practices from this YAML file or folder (repeatable). cities/practices.yaml and "
         "cities/practices/*.yaml are always read.")


def _areas(p) -> str:
    return ", ".join([*p.areas, *p.principles])


@main.group()
def practices():
    """The good-practice library: list, show, search and validate city practices."""


@practices.command("list")
@practices_option
def practices_list(extra):
    """List every practice: id, codes it illustrates, city and title."""
    from ..model.practices import load_practices

    found = load_practices(extra, settings().cities)
    for p in found:
        click.echo(f"{p.id:40} {_areas(p):18} {p.city} ({p.country}): {p.title}")
    click.echo(f"{len(found)} practices.")


@practices.command("show")
@click.argument("practice_id")
@practices_option
def practices_show(practice_id, extra):
    """Show one practice in full, with the titles of the areas and principles it illustrates."""
    from ..model.framework import load_framework
    from ..model.practices import get_practice, load_practices

    p = get_practice(load_practices(extra, settings().cities), practice_id)
    fw = load_framework(p.codes)
    click.echo(f"{p.title}\n{p.city}, {p.country}  [{p.id}]\n\n{p.description}\n")
    for a in p.areas:
        click.echo(f"  {fw.labels.area} {a}: {fw.area(a).title}")
    for c in p.principles:
        click.echo(f"  {fw.labels.principle} {c}: {fw.principle(c).title}")
    if p.themes:
        click.echo(f"Themes: {', '.join(p.themes)}")
    click.echo(f"Source: {p.source}" + (f"\nLink: {p.link}" if p.link else "") + f"\nDefined at {p.origin}")


@practices.command("search")
@click.option("--area", default=None, help="Only practices illustrating this area code (e.g. A3).")
@click.option("--principle", default=None, help="Only practices illustrating this principle code (e.g. P2).")
@click.option("--theme", default=None, help="Only practices with this theme (e.g. health).")
@click.option("--text", default=None, help="Words that must all appear (case and accents ignored).")
@practices_option
def practices_search(area, principle, theme, text, extra):
    """Find practices by area, principle, theme and words; the best text matches come first."""
    from ..model.practices import load_practices, search

    hits = search(load_practices(extra, settings().cities), area=area, principle=principle, theme=theme, text=text)
    for p in hits:
        click.echo(f"{p.id:40} {_areas(p):18} {p.city} ({p.country}): {p.title}")
    click.echo(f"{len(hits)} match(es)." if hits else "No practice matches; try fewer words or filters.")


@practices.command("validate")
@practices_option
def practices_validate(extra):
    """Validate the library and the user's practice files; every problem with file and line. Exit 1 if any."""
    from ..model.practices import load_practices, practice_files

    root = settings().cities
    found = load_practices(extra, root)  # a ValidationError is printed with every problem, exit 1 (cli.ICFGroup)
    click.echo(f"All valid: {len(found)} practices in {len(practice_files(extra, root))} file(s).")


@main.command("match")
@store_option
@click.option("--round", "round_id", required=True, help="The round whose scores are compared.")
@click.option("--k", default=2, show_default=True, help="The most times one city may mentor.")
@click.option("--learns", default=1, show_default=True, help="The most times one city may learn.")
@click.option("--min-gap", default=15.0, show_default=True,
              help="A mentor must score at least this many points (0-100) above the learner.")
@click.option("--focus", default=2, show_default=True, help="How many of each city's weakest areas to consider.")
@click.option("--min-group", default=5, show_default=True,
              help="Make no plan when fewer cities than this have scores (small groups are easy to identify).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
def match_cmd(store_url, round_id, k, learns, min_gap, focus, min_group, as_json):
    """Pair cities for peer learning at a convening: each city's weakest areas with cities strong in them.

    The plan is optimal (an exact minimum-cost flow): as many cities as possible learn, then the total score
    difference is as large as possible. The same scores always give the same plan.
    """
    from ..analysis.exchange import round_pairs

    run = settings(store_url)
    store = run.open_store()
    data = round_pairs(store, round_id, root=run.cities, k=k, learns=learns, min_gap=min_gap, focus=focus,
                       min_group=min_group)
    synthetic = store.is_synthetic(round_id)
    if as_json:
        click.echo(json.dumps(data | {"round": round_id, "synthetic": synthetic}, indent=1, ensure_ascii=False))
        return
    if synthetic:
        from ..style import SYNTHETIC_NOTICE

        click.secho(SYNTHETIC_NOTICE, fg="yellow")
    if data["notice"]:
        click.secho(data["notice"], fg="red", err=True)
        sys.exit(1)
    click.echo(f"Peer-learning plan for {round_id}: {len(data['pairs'])} pair(s), {data['learners']} of "
               f"{data['cities']} cities learn, total learning potential {data['total_potential']:g} points.\n")
    for p in data["pairs"]:
        click.echo(f"{p['learner_name']} learns {p['area']} from {p['mentor_name']} "
                   f"(+{p['potential']:g}): {p['why']}")
    for u in data["unmatched"]:
        click.echo(f"{u['name']} does not learn this round: {u['reason']}.")
    click.echo(f"\n{data['method']}")


@main.group()
def actions():
    """City action plans (cities/<slug>/actions.yaml): list, validate and load into the store."""


def _parse_date(value):
    return dt.date.fromisoformat(value) if value else None


@actions.command("list")
@click.option("--city", default=None, help="Only this city (a slug); default: every city with a plan.")
@click.option("--overdue", is_flag=True, help="Only actions not done whose due date has passed.")
@click.option("--reference", default=None, metavar="YYYY-MM-DD",
              help="The date progress is judged on (default: today).")
def actions_list(city, overdue, reference):
    """List actions with their state (done, on track, overdue, dropped, undated) and flags."""
    from ..model.actions import load_plan, load_plans, progress
    from ..style import SYNTHETIC_PLAN_NOTICE

    try:
        ref = _parse_date(reference) or dt.date.today()
    except ValueError:
        raise click.BadParameter("use the form YYYY-MM-DD", param_hint="--reference") from None
    root = settings().cities
    plans = [load_plan(city, root)] if city else load_plans(root)
    if city and plans[0] is None:
        click.echo(f"{city} has no action plan yet (cities/{city}/actions.yaml).")
        return
    if any(p.synthetic for p in plans):
        click.secho(SYNTHETIC_PLAN_NOTICE, fg="yellow")
    click.echo(f"Progress on {ref.isoformat()}:")
    for plan in plans:
        summary = progress(plan, ref)
        items = [i for i in summary["items"] if i["state"] == "overdue" or not overdue]
        if not items:
            continue
        mark = " [synthetic]" if plan.synthetic else ""
        click.echo(f"\n{plan.city}{mark}: {summary['done']} done, {summary['on_track']} on track, "
                   f"{summary['overdue']} overdue, {summary['flagged']} flagged")
        for i in items:
            late = f", {i['days_overdue']} days late" if i["days_overdue"] else ""
            flags = f"  [{'; '.join(i['flags'])}]" if i["flags"] else ""
            click.echo(f"  {i['state'].replace('_', ' '):9} {i['id']:32} due {i['due'] or '-':10}{late} "
                       f"owner {i['owner'] or '-'}: {i['title']}{flags}")


@actions.command("validate")
def actions_validate():
    """Validate every city's actions.yaml; every problem with file, line and field. Exit 1 if any."""
    from ..model.actions import load_plans

    plans = load_plans(settings().cities)  # a ValidationError is printed with every problem, exit 1 (cli.ICFGroup)
    click.echo(f"All valid: {len(plans)} plan(s), {sum(len(p.actions) for p in plans)} actions.")


@actions.command("load")
@store_option
@click.option("--city", default=None, help="Only this city; default: every city with a plan.")
def actions_load(store_url, city):
    """Load the validated action plans into the store (replacing what each city had there)."""
    from ..model.actions import load_plan, load_plans
    from ..store.plans import load_into_store

    run = settings(store_url)
    plans = [p for p in ([load_plan(city, run.cities)] if city else load_plans(run.cities)) if p is not None]
    store = run.open_store()
    n = load_into_store(store, plans)
    note = " (synthetic demo plans)" if any(p.synthetic for p in plans) else ""
    click.echo(f"Loaded {n} actions from {len(plans)} plan(s){note} into {store.url}")
