"""The report models (icframework.analysis.models): saved reports load through them, a report of another schema
version or with a missing field is refused with a message that says what to do, a report survives a round trip
through JSON unchanged, and the committed JSON Schemas are the ones the models give."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from icframework.analysis.models import (
    SCHEMA,
    CityReport,
    ConveningReport,
    InvalidReportError,
    ReportError,
    SchemaVersionError,
    dump_json,
    json_schemas,
    load_report,
    report_from_data,
    schema_text,
    to_data,
    write_json,
)
from icframework.errors import ICFError, NotFoundError

DATA = Path(__file__).parent / "data"
DOCS = Path(__file__).resolve().parent.parent / "docs"
FIXTURES = {"cardiff": CityReport, "empty": CityReport, "convening": ConveningReport}


def raw(name: str) -> dict:
    return json.loads((DATA / f"diagnostics-{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_saved_reports_load_through_the_models_and_keep_their_shape(name):
    report = load_report(DATA / f"diagnostics-{name}.json")
    assert type(report) is FIXTURES[name]
    assert report.schema_version == SCHEMA
    assert to_data(report) == raw(name)  # the JSON on disk is exactly what the model writes back


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_round_trip_model_json_model(name, tmp_path):
    report = load_report(DATA / f"diagnostics-{name}.json")
    path = write_json(report, tmp_path / "out" / "report.json")
    assert path.read_bytes() == dump_json(report)
    again = load_report(path)
    assert again == report and type(again) is type(report)
    assert dump_json(again) == dump_json(report)


def test_the_knowledge_exchange_parts_are_left_out_until_they_are_added():
    data = raw("cardiff")
    for key in ("practices", "peers", "peers_notice", "actions"):
        del data[key]
    plain = report_from_data(data)
    assert (plain.practices, plain.peers, plain.peers_notice, plain.actions) == (None, None, None, None)
    assert to_data(plain) == data  # absent, not null
    with_peers = plain.model_copy(update={"peers": []})
    assert to_data(with_peers)["peers"] == [] and to_data(with_peers)["peers_notice"] is None  # null beside peers
    conv = raw("convening")
    del conv["pairs"], conv["practices"]
    assert not {"pairs", "practices"} & set(to_data(report_from_data(conv)))


def test_a_report_written_before_quotes_stages_and_people_counts_still_loads():
    data = raw("cardiff")
    del data["quotes"], data["people_change"], data["framework"]["tiers"]
    for row in data["areas"] + data["principles"]:
        for key in ("people", "previous_n", "previous_people", "few_people"):
            del row[key]
    old = report_from_data(data)
    assert old.quotes is None and old.people_change is None and old.framework.tiers == []
    assert {(a.people, a.previous_n, a.previous_people, a.few_people) for a in old.areas} == {(None, None, None,
                                                                                               False)}
    assert "quotes" not in to_data(old)  # left out while None, like the knowledge-exchange parts
    conv = raw("convening")
    del conv["practices"]
    for city in conv["cities"]:
        del city["people_change"]
    for cell in conv["heatmap"]:
        for key in ("people", "previous_n", "previous_people", "few_people"):
            del cell[key]
    assert report_from_data(conv).practices is None


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_a_report_of_another_schema_version_is_refused(version, tmp_path):
    data = raw("cardiff")
    if version is None:
        del data["schema"]
    else:
        data["schema"] = version
    path = tmp_path / "diagnostics.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SchemaVersionError) as caught:
        load_report(path)
    message = str(caught.value)
    assert str(path) in message and f"reads schema {SCHEMA}" in message
    assert "run the workbook again with this version of icframework" in message
    assert ("has no schema version" if version is None else f"has schema version {version!r}") in message
    assert isinstance(caught.value, ReportError) and isinstance(caught.value, ICFError)
    with pytest.raises(SchemaVersionError):  # building the model directly checks it too
        CityReport.model_validate(data)


def test_a_report_missing_a_field_is_refused_naming_the_field():
    data = raw("cardiff")
    del data["counts"]["respondents"]
    data["areas"][2]["score"] = "high"
    del data["actions"]["items"][1]["state"]
    with pytest.raises(InvalidReportError) as caught:
        report_from_data(data, "diagnostics.json")
    message = str(caught.value)
    assert "diagnostics.json is not a valid city report" in message
    assert "run the workbook again with this version of icframework" in message
    assert "counts.respondents: Field required" in message
    assert "areas[2].score: Input should be a valid number" in message
    assert "actions.items[1].state: Field required" in message
    assert {p.where for p in caught.value.problems} == {"counts.respondents", "areas[2].score",
                                                         "actions.items[1].state"}


def test_an_unknown_field_is_refused_so_drift_is_caught():
    data = raw("convening")
    data["cities"][0]["mayor"] = "someone"
    with pytest.raises(InvalidReportError, match=r"not a valid convening report.*\n.*cities\[0\]\.mayor: Extra inputs"):
        report_from_data(data)


def test_a_missing_file_bad_json_or_no_object_says_what_to_do(tmp_path):
    with pytest.raises(NotFoundError, match="no report at .*: run the workbook first"):
        load_report(tmp_path / "diagnostics.json")
    (tmp_path / "bad.json").write_text('{"schema": 1,', encoding="utf-8")
    with pytest.raises(ReportError, match="bad.json is not valid JSON .*: run the workbook again"):
        load_report(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ReportError, match="is not a report"):
        load_report(tmp_path / "list.json")


def test_reports_are_frozen():
    report = load_report(DATA / "diagnostics-cardiff.json")
    with pytest.raises(Exception, match="frozen"):
        report.synthetic = False


def test_committed_json_schemas_are_the_ones_the_models_give():
    schemas = json_schemas()
    assert sorted(schemas) == ["city-report.schema.json", "convening-report.schema.json"]
    for name, schema in schemas.items():
        committed = (DOCS / name).read_text(encoding="utf-8")
        assert committed == schema_text(schema), f"docs/{name} is out of date: run python docs/make_schema.py"
    city = schemas["city-report.schema.json"]
    assert city["properties"]["schema"]["const"] == SCHEMA and "schema" in city["required"]
    assert "practices" not in city["required"] and city["additionalProperties"] is False


def test_the_models_import_nothing_heavy():
    code = ("import sys, icframework.analysis.models, icframework.render; "
            "print(sorted(m for m in ('pandas', 'numpy', 'sqlalchemy', 'icframework.store') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
