"""Slugs are the only user input that ever becomes part of a path."""

from __future__ import annotations

import re

from .errors import ICFError

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_slug(value: str, what: str = "slug") -> str:
    """Return `value` if it is a valid slug ([a-z0-9-]+), else raise with a hint."""
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > 80:
        raise ICFError(
            f"{what} {value!r} is not valid: use lower-case letters, digits and single hyphens "
            "(for example 'newry-mourne-and-down'); '/', '..' and spaces are not allowed."
        )
    return value
