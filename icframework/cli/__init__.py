"""The `icf` command line. Each feature has its own module; this one only assembles them."""

from __future__ import annotations

import sys

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
def main():
    """icframework: self-assessments, diagnostics and briefs for city working groups.

    Frameworks are validated YAML; answers live in a store (SQLite by default, see --store or $ICF_STORE_URL);
    briefs are rendered from executed notebooks. Start with `icf demo`.
    """


def _register():
    from . import (  # noqa: F401
        app,
        brief,
        core,  # noqa: F401  (commands attach themselves to `main`)
        exchange,
        run,
    )


_register()
