"""The `icf` command line. Each feature has its own module; this one only assembles them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ICFError, ValidationError


class ICFGroup(click.Group):
    """A group that prints package errors as clear messages (exit 1) instead of tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            click.secho(str(exc), fg="red", err=True)
            sys.exit(1)
        except ICFError as exc:
            from .core import cli_tr

            click.secho(cli_tr()._("error: {message}", message=str(exc)), fg="red", err=True)
            sys.exit(1)


def _language(_ctx, _param, value):
    from ..i18n import LANG_RE

    value = (value or "").strip() or "en"
    if not LANG_RE.match(value):
        raise click.BadParameter(f"{value!r} is not a language code: use a code such as en, cy or ga")
    return value


@click.group(cls=ICFGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="icframework")
@click.option("--programme", type=click.Path(exists=True, path_type=Path), default=None, metavar="DIR",
              help="The programme folder (with programme.yaml). Default: $ICF_PROGRAMME, else the nearest "
                   "programme.yaml in this folder or above.")
@click.option("--lang", default="en", envvar="ICF_LANG", metavar="CODE", callback=_language,
              help="The language of the messages icf prints, e.g. cy (from the catalogues; words without a "
                   "translation stay English). Default: $ICF_LANG, else en. The --help texts are in English.")
@click.pass_context
def main(ctx, programme, lang):
    """icframework: self-assessments, diagnostics and briefs for city working groups.

    A programme folder (made by `icf init DIR`, or `icf demo`) holds programme.yaml, the cities and the answer
    store; run commands inside it. Start with `icf demo`, or `icf init my-programme`.
    """
    ctx.ensure_object(dict)["lang"] = lang  # cli.core.cli_tr() reads it


def _register():
    from . import app, brief, core, dashboard, exchange, programme, run, xlsform  # noqa: F401  (each attaches its commands to `main`)


_register()
