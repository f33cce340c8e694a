"""Uploads are accepted by content, previewed, and imported as jobs whose state is in the row."""

from __future__ import annotations

import gzip
import io
import os
import time
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kam.audit.models import AuditEvent
from kam.ledger.models import ImportJob
from kam.ledger.parsing import ImportRefusedError
from kam.ledger.runner import import_job_commit, import_job_start, job_progress
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import job_wait
from kam.ledger.upload_checks import declares_dtd
from kam.ledger.uploads import (
    ImportNotAllowedError,
    Upload,
    upload_get,
    upload_preview,
    upload_save,
    uploads_root,
    uploads_sweep,
)
from kam.people.models import User
from kam.people.services import user_create

GOOD = (
    b"invoice,date,client,client_name,product,quantity,unit_price\n"
    b"F1,2024-01-05,C1,Alpha SRL,P1,2,10.50\n"
    b"F1,2024-01-05,C1,Alpha SRL,P2,1,3\n"
    b"F2,2024-02-10,C2,Beta SA,P1,5,10.50\n"
)
BAD = GOOD.replace(b"P2,1,3", b"P2,=1+2,3").replace(b"2024-02-10", b"2024-13-45")


@pytest.fixture
def home(tmp_path: Path, settings: Any) -> Path:
    settings.KAM_HOME = tmp_path
    settings.KAM_IMPORT_INLINE = True
    return tmp_path


@pytest.fixture
def director(db: None) -> User:
    return user_create(username="dana", password="correct-horse-battery-9", role="director")


def _save(user: User, content: bytes, name: str = "sales.csv") -> Upload:
    return upload_save(chunks=[content], name=name, user=user)


WORKBOOK = Path(__file__).parent / "data" / "two_sheets.xlsx"  # sheets Notes, Vânzări


def _rezip(workbook: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info)))
    return out.getvalue()


LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)


def _xml_bomb() -> bytes:
    def add_dtd(name: str, data: bytes) -> bytes:
        if name != "xl/worksheets/sheet2.xml":
            return data
        return LAUGHS + data.replace(b">F1<", b">&c;<")

    return _rezip(WORKBOOK.read_bytes(), add_dtd)


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (60 << 20))
    return out.getvalue()


def _not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "is empty"),
    "blank": (lambda: b"  \n\n ", "is empty"),
    "pdf": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00", "not a sales ledger file"),
    "png": (lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a sales ledger file"),
    "html": (lambda: b"<!doctype html><html><body>hi</body></html>", "not a sales ledger file"),
    "json": (lambda: b'[{"invoice": "F1"}]', "not a sales ledger file"),
    "zip bomb": (_zip_bomb, "ZIP bomb"),
    "xml bomb": (_xml_bomb, "declares entities"),
    "zip that is not a workbook": (_not_a_workbook, "not an XLSX workbook"),
    "gzip bomb": (lambda: gzip.compress(b"a,b\n" + b"0" * (65 << 20)), "compression bomb"),
    "broken parquet": (lambda: b"PAR1" + b"\x01" * 200 + b"PAR1", "not a readable Parquet file"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_or_wrong_file_is_refused_and_nothing_is_kept(
    kind: str, home: Path, director: User
) -> None:
    make, message = HOSTILE[kind]
    content = make()
    with pytest.raises(ImportRefusedError, match=message):
        _save(director, content, name="upload.xlsx" if b"PK" in content[:2] else "upload.csv")
    assert not any(uploads_root().iterdir())


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(
    home: Path, director: User, settings: Any
) -> None:
    settings.KAM_UPLOAD_MAX_BYTES = 100
    with pytest.raises(ImportRefusedError, match="larger than the upload limit"):
        upload_save(chunks=[GOOD[:60], GOOD[60:]], name="sales.csv", user=director)
    assert not any(uploads_root().iterdir())


@pytest.mark.django_db
def test_only_people_who_may_import_can_upload(home: Path) -> None:
    analyst = user_create(username="ana", password="correct-horse-battery-9", role="analyst")
    with pytest.raises(ImportNotAllowedError):
        _save(analyst, GOOD)
    assert not uploads_root().exists() or not any(uploads_root().iterdir())


def test_a_dtd_is_found_in_the_prolog_only() -> None:
    assert declares_dtd(b'<?xml version="1.0"?>\n<!-- a comment -->' + LAUGHS + b"<worksheet/>")
    assert declares_dtd(("\ufeff" + LAUGHS.decode() + "<a/>").encode("utf-16"))
    assert declares_dtd(b"<?xml version='1.0'?><!-- never closed " + b"x" * 100)
    assert not declares_dtd(b'<?xml version="1.0"?><worksheet><!-- <!DOCTYPE --></worksheet>')
    assert not declares_dtd(b"<worksheet/>")


@pytest.mark.django_db
def test_a_csv_upload_is_previewed_with_its_detected_mapping(home: Path, director: User) -> None:
    upload = _save(director, GOOD, name="../../etc/sales 2024?.csv")
    assert upload.name == "sales 2024_.csv" and upload.kind == "csv"
    assert upload.path.parent == uploads_root() / upload.id
    assert upload_get(upload_id=upload.id) == upload
    preview = upload_preview(upload=upload)
    assert preview.headers[:3] == ["invoice", "date", "client"]
    assert preview.rows[0] == ["F1", "2024-01-05", "C1", "Alpha SRL", "P1", "2", "10.50"]
    assert len(preview.rows) == 3
    assert preview.fields["unit_price"] == "unit_price"
    assert preview.sources["invoice"] == "detected"


@pytest.mark.django_db
def test_only_the_first_ten_rows_are_previewed_and_ambiguity_is_left_open(
    home: Path, director: User
) -> None:
    rows = "".join(f"F{i},2024-01-05,P{i},{i},{i}\n" for i in range(50))
    upload = _save(director, f"Invoice,Date,SKU,Amount,Total\n{rows}".encode(), name="x.csv")
    preview = upload_preview(upload=upload, saved={"invoice": "Invoice", "client": "Missing"})
    assert len(preview.rows) == 10
    assert preview.sources["invoice"] == "saved" and "client" not in preview.fields
    assert preview.ambiguous == {"net_amount": ["Amount", "Total"]}


@pytest.mark.django_db
def test_a_workbook_lists_its_sheets_and_previews_the_chosen_one(
    home: Path, director: User
) -> None:
    upload = _save(director, gzip.compress(WORKBOOK.read_bytes()), name="vanzari.xlsx.gz")
    assert upload.kind == "xlsx" and upload.name == "vanzari.xlsx"
    assert upload.sheets == ("Notes", "Vânzări")
    preview = upload_preview(upload=upload, sheet="Vânzări")
    assert preview.rows == [["F1", "2024-01-02", "P1", "12.5"]]
    assert preview.fields == {
        "invoice": "Nr. factură",
        "date": "Data",
        "product": "Cod produs",
        "net_amount": "Valoare",
    }


@pytest.mark.django_db
def test_a_check_then_its_commit_import_the_same_upload_and_leave_an_audit_event(
    home: Path, director: User, store: Store
) -> None:
    upload = _save(director, GOOD)
    given = {"invoice": "invoice", "date": "date", "product": "product"}
    check = import_job_start(upload=upload, user=director, dry_run=True, given=given)
    check.refresh_from_db()
    assert check.status == ImportJob.Status.CHECKED and check.lines == 3
    assert check.progress == 1.0 and check.upload == upload.id
    assert store.query("SELECT count(*) FROM ledger_lines")[0][0] == 0
    assert upload.path.is_file()
    job = import_job_commit(job=check, user=director)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED and job.invoices == 2 and job.clients == 2
    assert job.options["given"] == given
    assert store.query("SELECT count(*) FROM ledger_lines")[0][0] == 3
    event = AuditEvent.objects.get(entity="ledger.ImportJob", entity_id=str(job.pk))
    assert event.action == "import" and event.actor == director and event.interface == "web"
    assert '"lines": 3' in event.new_value and "sales.csv" in event.new_value
    assert not upload.folder.exists()  # deleted once committed
    with pytest.raises(ImportRefusedError):
        import_job_commit(job=job, user=director)


@pytest.mark.django_db
def test_a_file_with_problems_is_refused_with_every_problem_kept(
    home: Path, director: User, store: Store
) -> None:
    upload = _save(director, BAD)
    job = import_job_start(upload=upload, user=director, dry_run=False, given={})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REFUSED and job.problem_count == 2
    assert {(p["row"], p["column"], p["value"]) for p in job.problems} == {
        (3, "quantity", "=1+2"),
        (4, "date", "2024-13-45"),
    }
    assert store.query("SELECT count(*) FROM ledger_lines")[0][0] == 0
    assert not AuditEvent.objects.filter(entity="ledger.ImportJob").exists()
    assert upload.path.is_file()  # kept: the person may fix the mapping and retry


@pytest.mark.django_db
def test_a_vanished_upload_closes_its_job_as_failed(
    home: Path, director: User, store: Store
) -> None:
    upload = _save(director, GOOD)
    (upload.folder / "upload.json").unlink()
    job = import_job_start(upload=upload, user=director, dry_run=True, given={})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "no longer available" in job.message


@pytest.mark.django_db(transaction=True)
def test_a_job_really_runs_in_a_background_thread_to_its_end(
    home: Path, director: User, settings: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kam.ledger import runner

    settings.KAM_IMPORT_INLINE = False
    monkeypatch.setattr(runner, "WRITE_EVERY", 60)  # one writer: see job_wait
    upload = _save(director, GOOD)
    job = job_wait(import_job_start(upload=upload, user=director, dry_run=False, given={}))
    assert job.status == ImportJob.Status.SUCCEEDED, job.message
    assert job.pid == os.getpid() and job.lines == 3 and job.progress == 1.0
    assert store.query("SELECT count(*) FROM ledger_lines")[0][0] == 3


@pytest.mark.django_db
def test_abandoned_uploads_are_swept_after_a_day(home: Path, director: User) -> None:
    old, fresh, in_use = (_save(director, GOOD) for _ in range(3))
    ImportJob.objects.create(upload=in_use.id)  # still running
    day_ago = time.time() - 25 * 3600
    for upload in (old, in_use):
        os.utime(upload.folder, (day_ago, day_ago))
    assert uploads_sweep(older_than=timedelta(days=1)) == 1
    assert not old.folder.exists() and fresh.folder.exists() and in_use.folder.exists()


def test_progress_rises_through_the_stages_of_an_import() -> None:
    stages = [("queued", None), ("read a.csv", 0.5), ("check a.csv", 1.0), ("write", 0.5)]
    values = [job_progress(stage, fraction, default=0.0) for stage, fraction in stages]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] < 1.0
    assert job_progress("something new", 0.3, default=0.42) == 0.42
