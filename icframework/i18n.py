"""The words people read, in their language: gettext catalogues (Babel) for the form, the dashboards, the briefs
and the command line, and numbers and dates written the language's way.

    tr = translator("cy")                       # or translator("cy", [programme / "locale"])
    tr._("Saved")                               # "Wedi'i gadw"
    tr._("Saved: {what}", what=label)           # named placeholders, filled after translation
    tr.ngettext("{n} answer", "{n} answers", 3) # the language's plural rules (Welsh has six forms)
    tr.date(dt.date(2020, 3, 27))               # "27 Mawrth 2020"

Catalogues are `.po` files, read and compiled in memory by Babel: the bundled ones in `icframework/locale/`, then
a programme's own in `<programme>/locale/<lang>/LC_MESSAGES/icframework.po`, whose entries win. A text with no
translation is shown in English, never left blank. Translations the icframework team wrote carry the translator
comment `needs-review` until a native speaker has checked them (`review_status`).

Code marks words with `tr._(...)`, `tr.ngettext(...)` or, where they are defined before a language is known,
`N_(...)`; templates with `t("...")`. `python -m icframework.i18n` extracts them into `locale/icframework.pot`
and updates every catalogue (`make catalogues`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import ICFError

DOMAIN = "icframework"
SOURCE = "en"  # the language the code and templates are written in
LOCALE = Path(__file__).parent / "locale"
NEEDS_REVIEW = "needs-review"  # translator comment on an entry no native speaker has checked yet
LANG_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
_TEMPLATE_CALL = re.compile(r'\bt\(\s*"((?:[^"\\]|\\.)*)"\s*\)')  # t("...") in the Typst and Jinja templates
_lock = threading.Lock()


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark `message` for the catalogue without translating it now (it is translated where it is shown)."""
    return message


def check_language(lang: str) -> str:
    if not isinstance(lang, str) or not LANG_RE.match(lang):
        raise ICFError(f"language {lang!r} is not a language code: use a code such as en, cy or ga")
    return lang


@dataclass(frozen=True)
class Translator:
    """The words of one language. Made by `translator()`; cheap to pass around."""

    lang: str
    messages: dict = field(repr=False)  # msgid -> str, or (singular, plural) -> tuple of forms
    plural_rule: object = field(repr=False)  # n -> index of the plural form

    def _(self, message: str, /, **values) -> str:
        text = self.messages.get(message) or message
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values) -> str:
        forms = self.messages.get((singular, plural))
        if forms:
            index = self.plural_rule(n)
            text = forms[index] if index < len(forms) and forms[index] else forms[-1]
        else:
            text = singular if n == 1 else plural
        return text.format(n=self.number(n), **values)

    def number(self, x: float, digits: int = 0) -> str:
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(x, format=pattern, locale=_babel_locale(self.lang))

    def percent(self, share: float) -> str:
        from babel.numbers import format_percent

        return format_percent(share, locale=_babel_locale(self.lang))

    def date(self, value: dt.date | dt.datetime | str | None, month_only: bool = False,
             weekday: bool = False) -> str:
        """'27 March 2020' in English, '27 Mawrth 2020' in Welsh; 'March 2020' with `month_only`, 'Friday 27
        March 2020' with `weekday`. An ISO string is read first; text that is not a date is returned as it is."""
        from babel.dates import format_date

        if not value:
            return ""
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
        pattern = "LLLL y" if month_only else "EEEE d MMMM y" if weekday else "d MMMM y"
        return format_date(value, pattern, locale=_babel_locale(self.lang))

    @property
    def name(self) -> str:
        """The language's own name for itself: 'Cymraeg', 'English'."""
        return language_name(self.lang, self.lang)


def translator(lang: str | None = None, extra: Iterable[Path] = ()) -> Translator:
    """The words of `lang` (default English): the bundled catalogue, then the one in each folder of `extra`
    (a programme's `locale/` folder), later ones winning. A language with no catalogue anywhere gives English
    words with the language's numbers and dates."""
    lang = check_language(lang or SOURCE)
    files = tuple(p for p in (_po_file(LOCALE, lang), *(_po_file(Path(d), lang) for d in extra)) if p.is_file())
    stamps = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    return _translator(lang, stamps)


@lru_cache(maxsize=32)
def _translator(lang: str, stamps: tuple[tuple[str, int], ...]) -> Translator:
    messages: dict = {}
    for path, _stamp in stamps:
        for message in _read(Path(path)):
            if message.id and message.string and "fuzzy" not in message.flags:
                key = tuple(message.id) if isinstance(message.id, tuple | list) else message.id
                value = tuple(message.string) if isinstance(message.string, tuple | list) else message.string
                if isinstance(value, tuple) and not any(value):
                    continue
                messages[key] = value
    return Translator(lang, messages, plural_rule(lang))


def plural_rule(lang: str):
    """n -> which of the catalogue's plural forms to use: gettext's own reading of the `Plural-Forms` rule Babel
    writes into the language's catalogue (Welsh has six forms, Irish five)."""
    import gettext

    from babel.messages.plurals import get_plural

    try:
        return gettext.c2py(get_plural(_babel_locale(lang)).plural_expr)
    except Exception:  # noqa: BLE001 - a language Babel does not know: English rules
        return gettext.c2py("(n != 1)")


@lru_cache(maxsize=64)
def _babel_locale(lang: str) -> str:
    """Babel's name for `lang`; English (for numbers and dates) when Babel does not know the language."""
    from babel import Locale

    try:
        Locale.parse(lang.replace("-", "_"))
    except Exception:  # noqa: BLE001 - UnknownLocaleError, ValueError
        return "en"
    return lang.replace("-", "_")


def _po_file(folder: Path, lang: str) -> Path:
    return folder / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(path: Path):
    from babel.messages.pofile import read_po

    try:
        with path.open("rb") as f:
            return read_po(f, locale=None, domain=DOMAIN, abort_invalid=True)
    except Exception as exc:  # noqa: BLE001 - Babel raises several kinds
        raise ICFError(f"{path}: not a readable gettext catalogue ({exc}); check it with `msgfmt -c {path}`") \
            from exc


def language_name(code: str, in_lang: str = SOURCE) -> str:
    """The name of language `code` in language `in_lang` ('Welsh', or 'Cymraeg' in Welsh)."""
    from babel import Locale

    try:
        return Locale.parse(_babel_locale(code)).get_display_name(_babel_locale(in_lang)) or code
    except Exception:  # noqa: BLE001 - an unknown code is shown as it is
        return code


def available(extra: Iterable[Path] = ()) -> list[str]:
    """The languages with a catalogue (bundled or in `extra`), English first."""
    found = {SOURCE}
    for folder in (LOCALE, *map(Path, extra)):
        if folder.is_dir():
            found |= {p.parent.parent.name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return [SOURCE, *sorted(found - {SOURCE})]


def review_status(lang: str, extra: Iterable[Path] = ()) -> tuple[int, int]:
    """(translated entries still marked `needs-review`, translated entries) in the catalogues `lang` uses; an
    entry a programme's catalogue gives counts as that programme's (reviewed unless it says otherwise)."""
    latest: dict = {}
    for path in (_po_file(LOCALE, lang), *(_po_file(Path(d), lang) for d in extra)):
        if path.is_file():
            for m in _read(path):
                if m.id and m.string and "fuzzy" not in m.flags:
                    latest[m.id if isinstance(m.id, str) else tuple(m.id)] = any(
                        NEEDS_REVIEW in c for c in m.user_comments)
    return sum(latest.values()), len(latest)


def parse_languages(codes: str | None) -> tuple[str, ...]:
    """'en, cy' (an option's value) as ('en', 'cy'): each checked, each once, in order; () for none."""
    return tuple(dict.fromkeys(check_language(c.strip()) for c in (codes or "").split(",") if c.strip()))


def review_notes(langs: Iterable[str], extra: Iterable[Path] = ()) -> list[str]:
    """`review_note` of each language other than English that has one."""
    return [note for lang in langs if lang != SOURCE and (note := review_note(lang, extra))]


def review_note(lang: str, extra: Iterable[Path] = ()) -> str | None:
    """A line for the command line when `lang`'s words have not all been checked by a native speaker."""
    pending, total = review_status(lang, extra)
    if not pending:
        return None
    return (f"note: {pending} of {total} {language_name(lang)} texts were written by the icframework team and "
            "still need review by a native speaker (README: Languages).")


def template_words(tr: Translator, *templates: Path) -> dict[str, str]:
    """Every `t("...")` of the templates, translated: what a Typst or Jinja template looks its words up in."""
    return {m: tr._(m) for path in templates for m in template_messages(path)}


@lru_cache(maxsize=16)
def template_messages(path: Path) -> tuple[str, ...]:
    text = path.read_text(encoding="utf-8")
    return tuple(dict.fromkeys(_unquote(m.group(1)) for m in _TEMPLATE_CALL.finditer(text)))


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


# -- extraction: the catalogue template and the catalogues ------------------------------------------------------
def extract_templates(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extraction method for the Typst and Jinja templates: every `t("...")`."""
    text = fileobj.read().decode("utf-8")
    for m in _TEMPLATE_CALL.finditer(text):
        yield text.count("\n", 0, m.start()) + 1, None, _unquote(m.group(1)), []  # None: no keyword to look up


def extract(root: Path):
    """The catalogue template (a Babel Catalog) of every marked text under `root` (a checkout)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="icframework", domain=DOMAIN, charset="utf-8", fuzzy=False)
    method_map = [("icframework/**.py", "python"), ("templates/**.typ", f"{__name__}:extract_templates"),
                  ("templates/**.j2", f"{__name__}:extract_templates")]
    keywords = {"_": None, "ngettext": (1, 2), "N_": None}  # the templates have their own method (t("..."))
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, keywords=keywords, comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        if filename.startswith("icframework/locale"):
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update(root: Path) -> list[str]:
    """Write `locale/icframework.pot` from the code and templates under `root`, and update every catalogue in
    `locale/` from it (new texts added untranslated, gone ones marked obsolete). Returns what it wrote."""
    from babel.messages.pofile import read_po, write_po

    template = extract(root)
    written = []
    pot = LOCALE / f"{DOMAIN}.pot"
    with _lock:
        buf = io.BytesIO()
        write_po(buf, template, width=116, omit_header=False, sort_output=False, ignore_obsolete=True)
        pot.write_bytes(_no_dates(buf.getvalue()))
        written.append(str(pot))
        for po in sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name, domain=DOMAIN)
            catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
            buf = io.BytesIO()
            write_po(buf, catalog, width=116, ignore_obsolete=True, include_previous=False)
            po.write_bytes(_no_dates(buf.getvalue()))
            written.append(str(po))
    return written


def _no_dates(data: bytes) -> bytes:
    """Catalogues without creation dates, so regenerating them changes nothing that did not change."""
    return re.sub(rb'"(POT-Creation-Date|PO-Revision-Date): [^"\\]*\\n"\n', b"", data)


if __name__ == "__main__":  # python -m icframework.i18n: make catalogues
    for name in update(Path(__file__).resolve().parent.parent):
        print("wrote", name)
