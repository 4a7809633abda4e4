"""The Voilà apps: the self-assessment form (form.py), and its glue with Voilà's kernels and assets (voila.py)."""

from .form import AssessmentForm, open_form, parse_link
from .voila import FormApp, page_setup, preload, query_string

__all__ = ["AssessmentForm", "FormApp", "open_form", "page_setup", "parse_link", "preload", "query_string"]
