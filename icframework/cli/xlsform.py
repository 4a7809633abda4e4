"""Field collection: `icf xlsform export` (a round as an XLSForm for KoboToolbox / ODK) and `icf xlsform import`
(their data exports back into the store)."""

from __future__ import annotations

from pathlib import Path

import click

from . import main
from .core import cli_tr, settings, store_option


@main.group("xlsform")
def xlsform():
    """Collect a round offline with KoboToolbox, ODK Collect or Enketo, and bring the submissions back."""


@xlsform.command("export")
@store_option
@click.option("--round", "round_id", required=True, help="The round whose framework becomes the form.")
@click.option("--city", default=None, help="Fill the hidden city field in advance (a form for one city).")
@click.option("--respondent", "respondent_id", type=int, default=None,
              help="Fill the hidden respondent field in advance: an id from `icf respondents list` (a form for "
                   "one person; implies their city).")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def xlsform_export(store_url, round_id, city, respondent_id, path):
    """Write the round's framework as an XLSForm (PATH.xlsx): one group per area, the scale with Don't know and
    Not applicable, evidence, links and a comment per question, hidden round, city and respondent fields."""
    from ..store.xlsform import export_xlsform

    if path.suffix.lower() != ".xlsx":
        raise click.BadParameter(cli_tr()._("the form is an Excel workbook: give a name ending in .xlsx"),
                                 param_hint="PATH")
    export_xlsform(settings(store_url).open_store(), round_id, path, city=city, respondent_id=respondent_id)
    click.echo(cli_tr()._("Wrote {path}. Upload it to KoboToolbox or ODK Central; fill icf_city and icf_respondent "
                          "in each person's link unless the form has them. Then: icf xlsform import --round {round} "
                          "submissions.csv", path=path, round=round_id))


@xlsform.command("import")
@store_option
@click.option("--round", "round_id", required=True, help="The round the submissions answer.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def xlsform_import(store_url, round_id, path):
    """Import a KoboToolbox or ODK Central data export (CSV or XLSX). One bad row and nothing is imported: every bad
    row is listed with its row, column and reason. Importing the same file again changes nothing."""
    from ..model.cities import city_slugs
    from ..store.xlsform import import_submissions

    run = settings(store_url)
    report = import_submissions(run.open_store(), round_id, path, set(city_slugs(run.cities)))
    click.echo(report.summary(path))
