"""The bundled Inclusive Cities framework and maturity scale in Welsh (issue #15).

The Welsh was written by the icframework team and needs review by a native Welsh speaker; these tests check that it
is complete, that it changes no code, weight or structure, that the English is exactly what it was, and that the
Welsh texts read as Welsh."""

from __future__ import annotations

import hashlib
import json
import re

from icframework.model.framework import BUNDLED, DATA, load_framework, parse_path, text_paths, translation_problems

# SHA-256 of the English framework (scale included, translations left out) as it was before the Welsh was added
# (commit 7466096). Adding or correcting a translation must not change it; a deliberate change of the English
# text changes it too, and then this digest is updated with it.
ENGLISH_DIGEST = "7909b24410d8dd7352f6c124c8a91e364cd0d0fb924a770542930568eeefe9df"


def _get(data, path: str):
    for key in parse_path(path):
        data = data[key]
    return data


def _english_digest(fw) -> str:
    data = fw.model_dump(mode="json", exclude={"translations"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _welsh_texts(fw) -> dict[str, str]:
    cy = fw.localized("cy").model_dump()
    return {path: _get(cy, path) for path in text_paths(fw)}


def test_every_text_of_the_framework_and_its_scale_has_a_welsh_translation():
    fw = load_framework("inclusive-cities")
    assert fw.languages == ["en", "cy"]
    assert fw.missing_translations("cy") == []
    assert translation_problems(BUNDLED / "inclusive-cities.yaml", "cy") == []
    assert any(path.startswith("scale.") for path in fw.translations["cy"])  # the scale's own file carries them
    assert set(fw.translations["cy"]) == set(text_paths(fw))


def test_welsh_changes_every_text_but_no_code_weight_or_structure():
    fw = load_framework("inclusive-cities")
    cy = fw.localized("cy")
    assert cy.language == "cy" and cy.code == fw.code and cy.version == fw.version
    skip = {"translations", "language"}
    en_data, cy_data = fw.model_dump(exclude=skip), cy.model_dump(exclude=skip)
    paths = text_paths(fw)
    for path in paths:
        assert _get(cy_data, path) != _get(en_data, path), f"{path} is the same in Welsh and English"

    def blank(data):
        for path in paths:
            loc = parse_path(path)
            target = data
            for key in loc[:-1]:
                target = target[key]
            target[loc[-1]] = None
        return data

    assert blank(cy_data) == blank(en_data)  # codes, weights, core flags, principles, tiers' minimums, scale values
    assert [q.code for q in cy.questions] == [q.code for q in fw.questions]
    assert [(q.weight, q.core, q.principles, sorted(q.guidance)) for q in cy.questions] == [
        (q.weight, q.core, q.principles, sorted(q.guidance)) for q in fw.questions
    ]
    assert [lv.value for lv in cy.scale.levels] == [0, 1, 2, 3, 4]


def test_the_english_is_exactly_as_before():
    fw = load_framework("inclusive-cities")
    assert fw.localized("en") is fw
    assert _english_digest(fw) == ENGLISH_DIGEST
    assert fw.title == "Inclusive Cities framework"
    assert fw.question("A1.Q1").text.startswith("Is there a named senior leader, elected or officer,")
    assert fw.scale.dont_know.label == "Don't know" and fw.scale.not_applicable.label == "Not applicable"
    assert [lv.label for lv in fw.scale.levels] == ["Not started", "Emerging", "Developing", "Established", "Leading"]


def test_the_other_bundled_frameworks_keep_their_english():
    # They share the maturity scale, so they get its Welsh labels; nothing else of theirs changes.
    for name in ("educating-cities", "learning-cities"):
        fw = load_framework(name)
        assert set(fw.translations.get("cy", {})) <= {p for p in text_paths(fw) if p.startswith("scale.")}
        assert fw.scale.levels[0].label == "Not started"


def test_the_welsh_texts_read_as_welsh():
    fw = load_framework("inclusive-cities")
    cy = fw.localized("cy")
    texts = _welsh_texts(fw)
    assert cy.title == "Fframwaith Dinasoedd Cynhwysol"
    assert cy.scale.dont_know.label == "Ddim yn gwybod"
    assert cy.scale.not_applicable.label in ("Ddim yn berthnasol", "Amherthnasol")
    # Questions ask with the Welsh interrogative particle (A oes / A yw / A all), prompts ask "which evidence".
    assert all(re.match(r"^A (oes|yw|yw'r|all) ", q.text) for q in cy.questions)
    assert all(q.evidence_prompt.startswith("Pa dystiolaeth fyddai'n dangos hyn? e.e. ") for q in cy.questions)
    # Newcomers, the city, the council and the taskforce under their Welsh names, mutated where Welsh mutates them.
    joined = "\n".join(texts.values())
    for word in ("newydd-ddyfodiaid", "y ddinas", "y cyngor", "tasglu", "cynhwysiant", "uwch arweinydd"):
        assert word in joined, word
    assert "y dinas " not in joined  # dinas is feminine: always "y ddinas"
    # Welsh letters and accents, and no stray English words left in a Welsh text.
    assert {"â", "ŵ", "ï"} <= set(joined)
    english = re.compile(r"\b(the|and|of|is|are|with|newcomers?)\b", re.IGNORECASE)
    assert [p for p, t in texts.items() if english.search(t)] == []


def test_the_files_say_the_welsh_needs_review():
    for path in (BUNDLED / "inclusive-cities.yaml", DATA / "scales" / "maturity.yaml"):
        head = path.read_text(encoding="utf-8").split("\ncode:", 1)[0]
        assert "native Welsh speaker" in head and "NEEDS REVIEW" in head, path
