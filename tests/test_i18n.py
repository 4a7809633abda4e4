"""icframework.i18n: catalogues, plural rules, programme catalogues that win, and a catalogue template that is
never out of date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from icframework import i18n
from icframework.errors import ICFError
from icframework.i18n import Translator, translator

ROOT = Path(__file__).resolve().parent.parent


def write_po(folder: Path, lang: str, entries: str) -> Path:
    path = folder / lang / "LC_MESSAGES" / "icframework.po"
    path.parent.mkdir(parents=True)
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n' + entries,
                    encoding="utf-8")
    return path


def test_the_catalogue_template_is_up_to_date_with_the_code_and_templates():
    """`make catalogues` has been run: every word marked in the code and templates is in the .pot, and nothing
    else is."""
    from babel.messages.pofile import read_po

    extracted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in i18n.extract(ROOT) if m.id}
    with (i18n.LOCALE / "icframework.pot").open("rb") as f:
        committed = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(f) if m.id}
    assert extracted - committed == set(), "run `make catalogues`: new words are missing from the .pot"
    assert committed - extracted == set(), "run `make catalogues`: the .pot has words the code no longer uses"


def test_welsh_plural_forms_follow_the_welsh_rule():
    # Welsh counts 0, 1, 2, 3, 6 and the rest differently (CLDR): the catalogue's forms are in that order
    rule = i18n.plural_rule("cy")
    assert [rule(n) for n in (0, 1, 2, 3, 4, 5, 6, 7, 11, 100)] == [0, 1, 2, 3, 5, 5, 4, 5, 5, 5]
    english = i18n.plural_rule("en")
    assert [english(n) for n in (0, 1, 2)] == [1, 0, 1]


def test_a_translator_fills_placeholders_after_translating_and_picks_the_plural_form():
    tr = Translator("xx", {"Saved: {what}": "GESPEICHERT: {what}", ("{n} answer", "{n} answers"): ("A{n}", "B{n}")},
                    lambda n: 0 if n == 1 else 1)
    assert tr._("Saved: {what}", what="<b>") == "GESPEICHERT: <b>"
    assert tr._("Not in the catalogue") == "Not in the catalogue"  # never blank: the English
    assert (tr.ngettext("{n} answer", "{n} answers", 1), tr.ngettext("{n} answer", "{n} answers", 4)) == ("A1", "B4")
    assert tr.ngettext("{n} day", "{n} days", 2) == "2 days"  # untranslated plurals use English rules


def test_numbers_and_dates_are_written_the_languages_way():
    en, cy = translator("en"), translator("cy")
    assert en.date(dt.date(2020, 3, 27)) == "27 March 2020"
    assert cy.date(dt.date(2020, 3, 27)) == "27 Mawrth 2020"
    assert cy.date("2020-03-01", month_only=True) == "Mawrth 2020"
    assert en.date(dt.date(2026, 3, 27), weekday=True) == "Friday 27 March 2026"
    assert cy.date(dt.date(2026, 3, 27), weekday=True).startswith("Dydd Gwener")
    assert en.number(20000) == "20,000" and en.number(2.5, 1) == "2.5"
    assert en.date("not a date") == "not a date"


def test_a_programme_catalogue_wins_entry_by_entry_and_counts_as_reviewed(tmp_path):
    bundled = translator("cy")
    assert bundled._("Evidence") != "Evidence"  # the bundled Welsh has it
    write_po(tmp_path, "cy", 'msgid "Evidence"\nmsgstr "Tystiolaeth (adolygwyd)"\n\n'
                             '#, fuzzy\nmsgid "Links"\nmsgstr "NOT USED: fuzzy"\n')
    mine = translator("cy", [tmp_path])
    assert mine._("Evidence") == "Tystiolaeth (adolygwyd)"
    assert mine._("Links") == bundled._("Links")  # a fuzzy entry is not used; the bundled one is
    assert mine._("Comment") == bundled._("Comment")  # entries the programme does not give stay as bundled
    pending, total = i18n.review_status("cy", [tmp_path])
    assert i18n.review_status("cy")[0] == pending + 1  # its reviewed entry no longer needs review


def test_a_new_language_needs_only_a_catalogue(tmp_path):
    assert "ga" not in i18n.available()
    write_po(tmp_path, "ga", 'msgid "Saved"\nmsgstr "Sábháilte"\n')
    assert "ga" in i18n.available([tmp_path])
    ga = translator("ga", [tmp_path])
    assert ga._("Saved") == "Sábháilte" and ga._("Evidence") == "Evidence"


def test_bad_input_is_a_clear_error(tmp_path):
    for bad in ("../cy", "cy/../../etc", "CY!", "x" * 20):
        with pytest.raises(ICFError, match="not a language code"):
            translator(bad)
    broken = write_po(tmp_path, "cy", 'msgid "Saved"\nmsgstr "Wedi"\nthis line is not gettext\n')
    with pytest.raises(ICFError, match=str(broken)):
        translator("cy", [tmp_path])


def test_template_words_are_every_t_call_of_a_template(tmp_path):
    template = tmp_path / "x.typ"
    template.write_text('#t("At a glance") [#t("Say \\"hi\\"")] t ("not me") #at("nor me")\n')
    assert i18n.template_messages(template) == ("At a glance", 'Say "hi"')
