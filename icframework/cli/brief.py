"""`icf brief`: the PDF and HTML brief of one city (or of a round's convening)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import main
from .core import cli_tr, settings, store_option


@main.command("brief")
@click.argument("city", required=False)
@click.option("--round", "round_id", required=True, metavar="ROUND",
              help="The round (assessment cycle), for example virtual-2020.")
@store_option
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Outputs go to OUT/<round>/<city>/ (default: the programme's build folder, else ./build).")
@click.option("--convening", is_flag=True,
              help="Make the convening brief of the round (all cities side by side) instead of one city's; "
                   "runs the city workbooks whose inputs changed first, like `icf run`.")
@click.option("--force", is_flag=True, help="Run the workbook again even if its inputs are unchanged.")
@click.option("--lang", "langs", default=None, metavar="CODES",
              help="The brief's languages, comma-separated, the main one first, e.g. cy or en,cy: brief.pdf in "
                   "the first, brief.<code>.pdf in the others. Default: the city file's `languages`, else the "
                   "programme's.")
def brief_cmd(city, round_id, store_url, out_dir, convening, force, langs):
    """Make the brief of one CITY for one round: runs its diagnostic workbook (skipped when nothing changed),
    then writes brief.pdf (tagged PDF/UA-1) and brief.html beside the executed notebook.

    Examples: icf brief cardiff --round virtual-2020; icf brief --convening --round virtual-2020
    """
    from ..batch.plan import CONVENING
    from ..batch.pool import run_batch
    from ..i18n import review_notes
    from ..model.types import check_slug
    from ..render import city_outputs, convening_outputs

    tr = cli_tr()
    if bool(city) == convening:
        raise click.UsageError(tr._("give one CITY, or --convening for the round's convening brief"))
    check_slug(round_id, "round")
    if city:
        check_slug(city, "city")
    run = settings(store_url, build=out_dir)
    root = run.local_build()  # a brief is written here and read back: a local folder
    result = run_batch(round_id, [city] if city else None, settings=run, jobs=1, force=force,
                       convening=convening, progress=False)
    if not result.ok:
        click.echo(result.summary())
        sys.exit(1)
    folder = root / round_id / (CONVENING if convening else city)
    languages = brief_languages(langs, run, None if convening else city)
    written = (convening_outputs if convening else city_outputs)(folder, languages, run.locale)  # again:
    # the templates or the catalogues may have changed since the workbook ran
    for note in review_notes(languages, run.locale):
        click.echo(note, err=True)
    for path in written.values():
        click.echo(tr._("Wrote {path}", path=path))


def brief_languages(langs: str | None, run, city: str | None) -> list[str]:
    """The languages of a brief: `--lang` (comma-separated), else the city file's, else the programme's."""
    from ..i18n import parse_languages
    from ..model.cities import load_city

    if langs:
        chosen = parse_languages(langs)
        if not chosen:
            raise click.UsageError(cli_tr()._("--lang needs at least one language code, e.g. --lang cy"))
        return list(chosen)
    if city:
        own = load_city(city, run.cities).languages
        if own:
            return list(own)
    return list(run.languages)
