"""One look for everything people see: the self-assessment app and the briefs (HTML and PDF) share these names,
colours and words, so every output reads as one product.

Colours are checked for contrast (WCAG AA, 4.5:1 for text) with `contrast_ratio` in the tests.
"""

from __future__ import annotations

from .i18n import N_

PRODUCT = "icframework"

# -- colours --------------------------------------------------------------------------------------------------
PRIMARY = "#0b5563"  # dark teal: headings, buttons, bars, dark end of the heatmap
TEXT = "#1a1a1a"  # body text
ACCENT = "#b3541e"  # burnt orange: the synthetic-data notice and other warnings, focus outlines
MUTED = "#4a5658"  # secondary text (guidance, hints)
BACKGROUND = "#ffffff"
SURFACE = "#f4f7f7"  # cards and panels
PRIMARY_TINT = "#e6f0f1"  # the current section, progress track
ACCENT_TINT = "#fdf1e7"  # background of notices
ERROR = "#a61b1b"
SUCCESS = "#1d6b3a"
FONT = '"DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, sans-serif'

COLOURS = {
    "primary": PRIMARY,
    "text": TEXT,
    "accent": ACCENT,
    "muted": MUTED,
    "background": BACKGROUND,
    "surface": SURFACE,
    "primary_tint": PRIMARY_TINT,
    "accent_tint": ACCENT_TINT,
    "error": ERROR,
    "success": SUCCESS,
}

# -- words (in English; translated where they are shown: icframework.i18n) -----------------------------------
SELF_ASSESSMENT = N_("Self-assessment")
SYNTHETIC_BADGE = N_("Synthetic demo data")
EVIDENCE = N_("Evidence")
LINKS = N_("Links")
COMMENT = N_("Comment")
REVIEW_AND_SUBMIT = N_("Review and submit")
SAVED = N_("Saved")
NOT_SAVED = N_("Not saved")
# The form speaks to taskforce members, not analysts: how answers are scored stays out of it.
DONT_KNOW_HELP = N_("You are not sure, or could not find out.")
NOT_APPLICABLE_HELP = N_("This does not apply to your city.")
ALL_SAVED = N_("All your changes are saved.")
DOWNLOAD_ANSWERS = N_("Download my answers")
DOWNLOAD_HELP = N_("A page with every answer you gave, to keep, save as PDF or print.")

# -- notices: every output made from synthetic demo data carries one ------------------------------------------
SYNTHETIC_NOTICE = N_("Synthetic demo data: invented for demonstration, not real answers from any city.")
SYNTHETIC_PLAN_NOTICE = N_("Synthetic demo action plan: invented for demonstration, not a real city's plan.")


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours, from 1 (none) to 21 (black on white)."""
    hi, lo = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
