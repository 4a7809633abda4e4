"""Knowledge-exchange commands: `icf practices`, `icf match` and `icf actions`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from ..i18n import N_
from . import main
from .core import cli_tr, settings, store_option

practices_option = click.option(
    "--practices", "extra", multiple=True, type=click.Path(exists=True, path_type=Path), metavar="PATH",
    help="Also read practices from this YAML file or folder (repeatable). cities/practices.yaml and "
         "cities/practices/*.yaml are always read.")


STATES = {"done": N_("done"), "on_track": N_("on track"), "overdue": N_("overdue"), "dropped": N_("dropped"),
          "undated": N_("undated")}  # an action's state, as `icf actions list` prints it


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
    click.echo(cli_tr()._("{n} practices.", n=len(found)))


@practices.command("show")
@click.argument("practice_id")
@practices_option
def practices_show(practice_id, extra):
    """Show one practice in full, with the titles of the areas and principles it illustrates."""
    from ..model.framework import load_framework
    from ..model.practices import get_practice, load_practices

    tr = cli_tr()
    p = get_practice(load_practices(extra, settings().cities), practice_id)
    fw = load_framework(p.codes)
    click.echo(f"{p.title}\n{p.city}, {p.country}  [{p.id}]\n\n{p.description}\n")
    for a in p.areas:
        click.echo(f"  {fw.labels.area} {a}: {fw.area(a).title}")
    for c in p.principles:
        click.echo(f"  {fw.labels.principle} {c}: {fw.principle(c).title}")
    if p.themes:
        click.echo(tr._("Themes: {themes}", themes=", ".join(p.themes)))
    click.echo(tr._("Source: {source}", source=p.source) + ("\n" + tr._("Link: {link}", link=p.link) if p.link else "")
               + "\n" + tr._("Defined at {origin}", origin=p.origin))


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
    tr = cli_tr()
    click.echo(tr._("{n} match(es).", n=len(hits)) if hits else tr._("No practice matches; try fewer words or "
                                                                       "filters."))


@practices.command("validate")
@practices_option
def practices_validate(extra):
    """Validate the library and the user's practice files; every problem with file and line. Exit 1 if any."""
    from ..model.practices import load_practices, practice_files

    root = settings().cities
    found = load_practices(extra, root)  # a ValidationError is printed with every problem, exit 1 (cli.ICFGroup)
    click.echo(cli_tr()._("All valid: {n} practices in {files} file(s).", n=len(found),
                          files=len(practice_files(extra, root))))


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
    tr = cli_tr()
    if synthetic:
        from ..style import SYNTHETIC_NOTICE

        click.secho(tr._(SYNTHETIC_NOTICE), fg="yellow")
    if data["notice"]:
        click.secho(data["notice"], fg="red", err=True)
        sys.exit(1)
    click.echo(tr._("Peer-learning plan for {round}: {pairs} pair(s), {learners} of {cities} cities learn, total "
                    "learning potential {potential} points.", round=round_id, pairs=len(data["pairs"]),
                    learners=data["learners"], cities=data["cities"], potential=format(data["total_potential"], "g"))
               + "\n")
    for p in data["pairs"]:
        click.echo(tr._("{learner} learns {area} from {mentor} (+{potential}): {why}", learner=p["learner_name"],
                        area=p["area"], mentor=p["mentor_name"], potential=format(p["potential"], "g"), why=p["why"]))
    for u in data["unmatched"]:
        click.echo(tr._("{city} does not learn this round: {reason}.", city=u["name"], reason=u["reason"]))
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

    tr = cli_tr()
    try:
        ref = _parse_date(reference) or dt.date.today()
    except ValueError:
        raise click.BadParameter(tr._("use the form YYYY-MM-DD"), param_hint="--reference") from None
    root = settings().cities
    plans = [load_plan(city, root)] if city else load_plans(root)
    if city and plans[0] is None:
        click.echo(tr._("{city} has no action plan yet (cities/{city}/actions.yaml).", city=city))
        return
    if any(p.synthetic for p in plans):
        click.secho(tr._(SYNTHETIC_PLAN_NOTICE), fg="yellow")
    click.echo(tr._("Progress on {date}:", date=ref.isoformat()))
    for plan in plans:
        summary = progress(plan, ref)
        items = [i for i in summary["items"] if i["state"] == "overdue" or not overdue]
        if not items:
            continue
        mark = " " + tr._("[synthetic]") if plan.synthetic else ""
        click.echo("\n" + tr._("{city}{mark}: {done} done, {on_track} on track, {overdue} overdue, {flagged} "
                               "flagged", city=plan.city, mark=mark, done=summary["done"],
                               on_track=summary["on_track"], overdue=summary["overdue"], flagged=summary["flagged"]))
        for i in items:
            late = tr._(", {n} days late", n=i["days_overdue"]) if i["days_overdue"] else ""
            flags = f"  [{'; '.join(i['flags'])}]" if i["flags"] else ""
            state = tr._(STATES[i["state"]]) if i["state"] in STATES else i["state"].replace("_", " ")
            click.echo(f"  {state:9} {i['id']:32} "
                       + tr._("due {due}{late} owner {owner}: {title}", due=format(i["due"] or "-", "10"), late=late,
                              owner=i["owner"] or "-", title=i["title"]) + flags)


@actions.command("validate")
def actions_validate():
    """Validate every city's actions.yaml; every problem with file, line and field. Exit 1 if any."""
    from ..model.actions import load_plans

    plans = load_plans(settings().cities)  # a ValidationError is printed with every problem, exit 1 (cli.ICFGroup)
    click.echo(cli_tr()._("All valid: {plans} plan(s), {actions} actions.", plans=len(plans),
                          actions=sum(len(p.actions) for p in plans)))


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
    tr = cli_tr()
    note = " " + tr._("(synthetic demo plans)") if any(p.synthetic for p in plans) else ""
    click.echo(tr._("Loaded {n} actions from {plans} plan(s){note} into {store}", n=n, plans=len(plans), note=note,
                    store=store.url))
