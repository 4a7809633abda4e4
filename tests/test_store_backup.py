"""`icf store backup`: a copy of a live store that opens (SQLite) or restores (PostgreSQL) with every answer."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from icframework.cli import main
from icframework.store import Store
from icframework.store.backup import pg_dump_program


def test_a_backup_holds_every_answer_and_is_never_overwritten(db_url, tmp_path, request):
    store = Store(db_url)
    store.create_round("r1", "inclusive-cities")
    resp, _ = store.add_respondent("r1", "bristol", "employer")
    store.save_answer(resp, "A1.Q1", level=3, evidence="Minutes")
    dest = tmp_path / "backups" / "icf-backup"
    done = CliRunner().invoke(main, ["store", "backup", str(dest), "--store", db_url])
    assert done.exit_code == 0 and f"to {dest}" in done.output, done.output
    store.save_answer(resp, "A1.Q2", level=1)  # after the backup: not in it

    if db_url.startswith("sqlite"):
        copy_url = f"sqlite:///{dest}"
    else:
        from conftest import postgres_database

        copy_url = postgres_database(request.getfixturevalue("postgres_server"), "restored")
        subprocess.run([str(Path(pg_dump_program()).with_name("pg_restore")), "--no-owner",
                        f"--dbname={copy_url.replace('+psycopg', '')}", str(dest)], check=True)
    copy = Store(copy_url, create=False)
    assert set(copy.answers_for(copy.respondent(resp.id))) == {"A1.Q1"}
    assert copy.answers_for(copy.respondent(resp.id))["A1.Q1"]["evidence"] == "Minutes"
    assert copy.revision() < store.revision()
    copy.close()

    again = CliRunner().invoke(main, ["store", "backup", str(dest), "--store", db_url])
    assert again.exit_code == 1 and "exists already" in again.output
    assert not list(dest.parent.glob(".*partial"))


def test_backing_up_a_missing_store_says_how_to_make_it(tmp_path):
    done = CliRunner().invoke(main, ["store", "backup", str(tmp_path / "b"), "--store", str(tmp_path / "no.sqlite3")])
    assert done.exit_code == 1 and "icf store create" in done.output
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("args", [["--yes"]])
def test_icf_respondents_erase(db_url, args):
    store = Store(db_url)
    store.create_round("r1", "inclusive-cities")
    resp, _ = store.add_respondent("r1", "bristol", "employer", role="Jane, HR")
    store.save_answer(resp, "A1.Q1", level=3, comment="private")
    done = CliRunner().invoke(main, ["respondents", "erase", str(resp.id), "--store", db_url, *args])
    assert done.exit_code == 0 and "1 answers and their text removed" in done.output, done.output
    assert store.answers_for(resp) == {} and store.respondent(resp.id).status == "erased"
    refused = CliRunner().invoke(main, ["respondents", "erase", str(resp.id), "--store", db_url], input="n\n")
    assert refused.exit_code == 1 and "already erased" not in refused.output  # asked first, said no
