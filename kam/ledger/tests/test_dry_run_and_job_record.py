"""A dry run only reports; every run leaves a job record; a mapping can be saved and reused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kam.ledger.models import ImportJob, SavedMapping
from kam.ledger.parsing import ImportRefusedError
from kam.ledger.services import ledger_import
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import clients_table, csv_text, ledger_rows, write_text
from kam.people.services import user_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_snapshot")]

ROWS = [
    ("F1", "2024-01-05", "C1", "Alpha SRL", "P1", "2", "10"),
    ("F1", "2024-01-05", "C1", "Alpha SRL", "P2", "1", "5"),
    ("F2", "2024-01-06", "C2", "Beta SA", "P1", "1", "10"),
    ("F3", "2024-01-07", "", "", "P1", "1", "10"),
]
ERP_HEADER = "Doc,Zi,Partener cod,Partener,Art,Buc,PU"  # nothing a machine could guess
ERP_MAP = {
    "invoice": "Doc",
    "date": "Zi",
    "client": "Partener cod",
    "client_name": "Partener",
    "product": "Art",
    "quantity": "Buc",
    "unit_price": "PU",
}


def test_a_dry_run_reports_what_it_would_import_and_changes_nothing(
    store: Store, tmp_path: Path, no_snapshot: list[tuple[int, ...]]
) -> None:
    seed = write_text(
        tmp_path / "seed.csv", csv_text([("F1", "2023-05-05", "C1", "Old", "P", "1", "1")])
    )
    assert ledger_import(store=store, paths=[seed]).ok
    lines, clients = ledger_rows(store), clients_table()
    path = write_text(tmp_path / "sales.csv", csv_text(ROWS))
    report = ledger_import(store=store, paths=[path], dry_run=True)
    assert report.ok and report.dry_run
    assert (report.lines, report.invoices, report.clients) == (4, 3, 2)
    assert report.lines_replaced == 0  # not worked out without writing
    assert ledger_rows(store) == lines and clients_table() == clients
    assert store.query("SELECT count(*) FROM ledger_imports") == [(1,)]
    assert no_snapshot == [(2023,)]  # only the seed import refreshed anything
    job = ImportJob.objects.get(pk=report.job_id)
    assert job.status == ImportJob.Status.CHECKED and job.dry_run
    assert (job.lines, job.invoices, job.clients) == (4, 3, 2)


def test_a_dry_run_of_a_bad_file_lists_its_problems_and_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    bad = [*ROWS, ("F4", "31.02.2024", "C1", "Alpha SRL", "P1", "1", "x")]
    path = write_text(tmp_path / "sales.csv", csv_text(bad))
    report = ledger_import(store=store, paths=[path], dry_run=True)
    assert not report.ok and report.problem_count == 2
    assert [(p.row, p.column) for p in report.problems] == [(6, "date"), (6, "unit_price")]
    assert ledger_rows(store) == [] and clients_table() == []
    assert ImportJob.objects.get(pk=report.job_id).status == ImportJob.Status.REFUSED


def test_the_job_records_who_what_file_and_what_came_of_it(store: Store, tmp_path: Path) -> None:
    user = user_create(username="ana", password="correct-horse-battery-9", role="analyst")
    path = write_text(tmp_path / "vânzări 2024.csv", csv_text(ROWS))
    report = ledger_import(store=store, paths=[path], user=user, interface=ImportJob.Interface.WEB)
    job = ImportJob.objects.get(pk=report.job_id)
    assert job.created_by == user and job.operator == "ana"
    assert job.interface == ImportJob.Interface.WEB
    assert job.status == ImportJob.Status.SUCCEEDED and not job.dry_run
    content = path.read_bytes()
    assert job.files == [
        {
            "name": "vânzări 2024.csv",
            "sha256": hashlib.sha256(content).hexdigest(),
            "bytes": len(content),
        }
    ]
    assert (job.lines, job.invoices, job.clients, job.lines_replaced) == (4, 3, 2, 0)
    assert (job.problem_count, job.problems, job.message) == (0, [], "")
    assert job.mapping == {"vânzări 2024.csv": {f: f for f in ERP_MAP}}
    assert job.finished_at is not None and job.finished_at >= job.started_at
    assert job.duration_ms is not None and job.duration_ms == report.duration_ms > 0


def test_the_job_of_a_command_line_run_records_the_operator(store: Store, tmp_path: Path) -> None:
    path = write_text(tmp_path / "sales.csv", csv_text(ROWS))
    report = ledger_import(store=store, paths=[path], operator="maria")
    job = ImportJob.objects.get(pk=report.job_id)
    assert (job.operator, job.created_by, job.interface) == ("maria", None, ImportJob.Interface.CLI)


def test_the_job_of_a_run_with_problems_keeps_the_problems(store: Store, tmp_path: Path) -> None:
    bad = [(f"F{i}", "2024-01-05", "C1", "A", "P1", "one", "1") for i in range(1200)]
    report = ledger_import(store=store, paths=[write_text(tmp_path / "s.csv", csv_text(bad))])
    job = ImportJob.objects.get(pk=report.job_id)
    assert job.status == ImportJob.Status.REFUSED
    assert job.problem_count == report.problem_count == 1200
    assert len(job.problems) == 1000  # the first thousand are kept
    assert job.problems[0] == {
        "file": "s.csv",
        "row": 2,
        "column": "quantity",
        "value": "one",
        "reason": "not a number",
    }
    assert job.files[0]["sha256"] == hashlib.sha256((tmp_path / "s.csv").read_bytes()).hexdigest()


def test_a_saved_mapping_reads_the_next_export_of_the_same_erp(
    store: Store, tmp_path: Path
) -> None:
    january = write_text(tmp_path / "jan.csv", csv_text(ROWS[:2], ERP_HEADER))
    with pytest.raises(ImportRefusedError, match="missing required column"):
        ledger_import(store=store, paths=[january])
    first = ledger_import(store=store, paths=[january], given=ERP_MAP, save_mapping="erp")
    assert first.ok
    assert SavedMapping.objects.get(name="erp").fields == ERP_MAP
    february = write_text(tmp_path / "feb.csv", csv_text(ROWS[2:], ERP_HEADER))
    second = ledger_import(store=store, paths=[february], mapping_name="erp")
    assert second.ok, second.problems
    mapping = second.files[0].mapping
    assert mapping is not None and mapping.fields == ERP_MAP
    assert set(mapping.sources.values()) == {"saved"}
    assert store.query("SELECT count(*), sum(net_amount) FROM ledger_lines")[0][0] == 4


def test_a_given_map_wins_over_the_saved_mapping(store: Store, tmp_path: Path) -> None:
    SavedMapping.objects.create(name="erp", fields=ERP_MAP)
    header = ERP_HEADER + ",Client nou"
    rows = [(*r, "X" + r[2]) for r in ROWS[:1]]
    path = write_text(tmp_path / "s.csv", csv_text(rows, header))
    report = ledger_import(
        store=store, paths=[path], mapping_name="erp", given={"client": "Client nou"}
    )
    assert report.ok, report.problems
    assert store.query("SELECT client FROM ledger_lines") == [("XC1",)]


def test_a_mapping_is_not_saved_from_an_import_with_problems(store: Store, tmp_path: Path) -> None:
    bad = write_text(
        tmp_path / "s.csv", csv_text([("F1", "never", "C", "N", "P", "1", "1")], ERP_HEADER)
    )
    report = ledger_import(store=store, paths=[bad], given=ERP_MAP, save_mapping="erp")
    assert not report.ok
    assert not SavedMapping.objects.filter(name="erp").exists()


def test_a_dry_run_saves_no_mapping(store: Store, tmp_path: Path) -> None:
    path = write_text(tmp_path / "s.csv", csv_text(ROWS, ERP_HEADER))
    report = ledger_import(
        store=store, paths=[path], given=ERP_MAP, save_mapping="erp", dry_run=True
    )
    assert report.ok and report.dry_run
    assert not SavedMapping.objects.filter(name="erp").exists()


def test_an_unknown_saved_mapping_is_refused_with_the_known_ones(
    store: Store, tmp_path: Path
) -> None:
    SavedMapping.objects.create(name="saga", fields=ERP_MAP)
    path = write_text(tmp_path / "s.csv", csv_text(ROWS))
    with pytest.raises(ImportRefusedError, match=r"no saved mapping named 'erp' \(saved: saga\)"):
        ledger_import(store=store, paths=[path], mapping_name="erp")
    assert ledger_rows(store) == []
