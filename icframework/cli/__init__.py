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
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=ICFGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="icframework")
@click.option("--programme", type=click.Path(exists=True, path_type=Path), default=None, metavar="DIR",
              help="The programme folder (with programme.yaml). Default: $ICF_PROGRAMME, else the nearest "
                   "programme.yaml in this folder or above.")
def main(programme):
    """icframework: self-assessments, diagnostics and briefs for city working groups.

    A programme folder (made by `icf init DIR`, or `icf demo`) holds programme.yaml, the cities and the answer
    store; run commands inside it. Start with `icf demo`, or `icf init my-programme`.
    """


def _register():
    from . import app, brief, core, dashboard, exchange, programme, run, xlsform  # noqa: F401  (each attaches its commands to `main`)


_register()
