"""The bundled Welsh catalogue (icframework/locale/cy/LC_MESSAGES/icframework.po): every text of the catalogue
template translated, the same placeholders as the English, six plural forms picked by the Welsh rule, the glyphs
and quotes of the English kept, and every entry marked `needs-review` until a native speaker has checked it."""

from __future__ import annotations

import string

import pytest
from babel.messages.pofile import read_po

from icframework import i18n
from icframework.i18n import NEEDS_REVIEW, review_status, translator

PO = i18n.LOCALE / "cy" / "LC_MESSAGES" / "icframework.po"
POT = i18n.LOCALE / "icframework.pot"
GLYPHS = "▲▼●“”…·"


def read(path):
    with path.open("rb") as f:
        return read_po(f, locale=None, domain=i18n.DOMAIN, abort_invalid=True)


CATALOGUE = read(PO)
ENTRIES = [m for m in CATALOGUE if m.id]
PLURALS = [m for m in ENTRIES if not isinstance(m.id, str)]


def key(m):
    return m.id if isinstance(m.id, str) else tuple(m.id)


def ids(m) -> list[str]:
    return [m.id] if isinstance(m.id, str) else list(m.id)


def strings(m) -> list[str]:
    return [m.string] if isinstance(m.string, str) else list(m.string)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(params=ENTRIES, ids=lambda m: key(m)[0][:40] if isinstance(key(m), tuple) else key(m)[:40])
def entry(request):
    return request.param


def test_the_catalogue_has_every_text_of_the_template_and_nothing_else():
    template = {key(m) for m in read(POT) if m.id}
    assert {key(m) for m in ENTRIES} == template, "run `python -m icframework.i18n` and translate the new texts"
    assert CATALOGUE.num_plurals == 6 and CATALOGUE.plural_expr.startswith("(n == 0 ? 0 : n == 1 ? 1")


def test_every_entry_is_translated_and_not_fuzzy(entry):
    assert all(s.strip() for s in strings(entry)), f"untranslated: {key(entry)!r}"
    assert "fuzzy" not in entry.flags


def test_every_translation_keeps_the_placeholders_of_the_english(entry):
    # a plural form has the placeholders of the English singular or plural ("this link" / "these {n} links")
    wanted = [placeholders(i) for i in ids(entry)]
    for text in strings(entry):
        assert placeholders(text) in wanted, f"{key(entry)!r}: {text!r}"
        text.format(**{name: "x" for name in set().union(*wanted)})  # no stray brace: it formats


@pytest.mark.parametrize("entry", PLURALS, ids=lambda m: m.id[0][:40])
def test_every_plural_entry_has_the_six_welsh_forms(entry):
    forms = strings(entry)
    assert len(forms) == 6 and all(f.strip() for f in forms), entry.id


def test_the_glyphs_and_quotes_of_the_english_are_kept(entry):
    # every arrow, dot and curly quote of the English is there (a translation may quote a term the English does not)
    for glyph in GLYPHS:
        assert all(text.count(glyph) >= ids(entry)[0].count(glyph) for text in strings(entry)), (glyph, key(entry))
    assert all(text.count("“") == text.count("”") for text in strings(entry)), key(entry)


def test_every_translation_is_marked_as_needing_a_native_speakers_review(entry):
    assert any(NEEDS_REVIEW in c for c in entry.user_comments), key(entry)


def test_the_translator_speaks_welsh():
    tr = translator("cy")
    assert tr._("Evidence") == "Tystiolaeth" and tr._("Links") == "Dolenni" and tr._("Comment") == "Sylw"
    assert tr._("Saved") == "Wedi'i gadw" and tr._("Not saved") == "Heb ei gadw"
    assert tr._("Review and submit") == "Adolygu a chyflwyno"
    assert tr._("Self-assessment") == "Hunanasesiad"
    assert tr._("your {field} and {other}", field="tystiolaeth", other="dolenni") == "eich tystiolaeth a'ch dolenni"
    assert tr._("City brief: {city}, {round}", city="Caerdydd", round="R1") == "Briff dinas: Caerdydd, R1"
    # the form's button and the message that names it agree
    assert f"“{tr._('Try saving again')}”" in tr._(
        "Your answer is still here, but it could not be saved ({reason}). Check your connection and change it "
        "again, or press “Try saving again”.", reason="x")


@pytest.mark.parametrize("n, index", [(0, 0), (1, 1), (2, 2), (3, 3), (6, 4), (7, 5), (4, 5), (100, 5)])
def test_ngettext_picks_the_welsh_form_for_the_number(n, index):
    tr = translator("cy")
    forms = next(strings(m) for m in ENTRIES if key(m) == ("{n} point", "{n} points"))
    assert tr.ngettext("{n} point", "{n} points", n) == forms[index].format(n=n)
    people = next(strings(m) for m in ENTRIES if key(m) == ("{n} person", "{n} people"))
    assert tr.ngettext("{n} person", "{n} people", n) == people[index].format(n=n)


def test_the_numbers_mutate_the_noun_after_them():
    tr = translator("cy")
    said = [tr.ngettext("{n} point", "{n} points", n) for n in (1, 2, 3, 6, 7)]
    assert said == ["1 pwynt", "2 bwynt", "3 phwynt", "6 phwynt", "7 pwynt"]
    assert tr.ngettext("{n} answer", "{n} answers", 3) == "3 ateb"


def test_review_status_counts_every_entry_as_needing_review():
    pending, total = review_status("cy")
    assert total == len(ENTRIES) and pending == total
    assert i18n.review_note("cy") is not None
