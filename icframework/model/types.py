"""The small types every part of the package shares: slugs and sectors.

Slugs are the only user input that ever becomes part of a path, so there is one pattern and one length limit for
every slug (cities, rounds, frameworks, practices, actions), checked by pydantic fields (`Slug`) and by
`check_slug` where a plain string arrives from a command line, a link or a notebook parameter.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import StringConstraints

from ..errors import ICFError
from ..i18n import N_

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX = 80
SLUG_RE = re.compile(SLUG_PATTERN)

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_MAX)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# The sectors a taskforce draws on, with the words people read. The keys are what files and the store hold.
SECTORS: dict[str, str] = {
    "local-authority": N_("Local authority"),
    "employer": N_("Employers"),
    "voluntary-community": N_("Voluntary and community groups"),
    "public-health": N_("Public health"),
    "education": N_("Education"),
    "arts-culture": N_("Arts and culture"),
    "newcomer-led": N_("Newcomer-led groups"),
    "housing": N_("Housing"),
    "police": N_("Police"),
    "faith": N_("Faith groups"),
    "university": N_("University"),
}
Sector = Literal[tuple(SECTORS)]  # type: ignore[valid-type]


# Languages by code, with the names the XLSForm convention puts in column names (`label::Welsh (cy)`).
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh", "ga": "Irish", "gd": "Scottish Gaelic", "fr": "French",
                  "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese", "pl": "Polish",
                  "ar": "Arabic", "ur": "Urdu", "so": "Somali", "uk": "Ukrainian", "ro": "Romanian"}


Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")]  # en, cy, pt-BR


def language_column(column: str, code: str) -> str:
    """`label::Welsh (cy)`: a column of one language, as XLSForm names them."""
    return f"{column}::{LANGUAGE_NAMES.get(code, code)} ({code})"


def is_slug(value: object) -> bool:
    return isinstance(value, str) and len(value) <= SLUG_MAX and bool(SLUG_RE.match(value))


def check_slug(value: str, what: str = "slug") -> str:
    """Return `value` if it is a valid slug, else raise with a hint."""
    if not is_slug(value):
        raise ICFError(
            f"{what} {value!r} is not valid: use lower-case letters, digits and single hyphens, at most "
            f"{SLUG_MAX} characters (for example 'newry-mourne-and-down'); '/', '..' and spaces are not allowed."
        )
    return value


def check_sector(value: str) -> str:
    """Return `value` if it is a known sector, else raise with the list."""
    if value not in SECTORS:
        raise ICFError(f"unknown sector {value!r}; use one of: {', '.join(SECTORS)}")
    return value


def sector_label(slug: str) -> str:
    """The words for a sector ('public-health' -> 'Public health'); an unknown one is made readable."""
    return SECTORS.get(slug, slug.replace("-", " ").capitalize())
