"""Shared colours for the app and the briefs (HTML and PDF), so every output looks like one product."""

COLOURS = {
    "primary": "#0b5563",  # headings, bars, dark end of the heatmap
    "text": "#1a1a1a",  # body text
    "accent": "#b3541e",  # the synthetic-data notice and other warnings
}
