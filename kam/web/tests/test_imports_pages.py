"""The import pages: upload, mapping, check, import, job progress, problems, history."""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from kam.audit.models import AuditEvent
from kam.ledger.models import ImportJob
from kam.ledger.store import Store
from kam.ledger.uploads import upload_save, uploads_root
from kam.people.models import User
from kam.people.services import user_create

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"

GOOD = (
    b"Nr factura,Data,Cod client,Nume client,Cod produs,Cantitate,Pret unitar\n"
    b"F1,2024-01-05,C1,Alpha SRL,P1,2,10.50\n"
    b"F1,2024-01-05,C1,Alpha SRL,P2,1,3\n"
    b"F2,2024-02-10,C2,Beta SA,P1,5,10.50\n"
)
BAD = GOOD.replace(b"P2,1,3", b"P2,=HYPERLINK(1),3").replace(b"2024-02-10", b"2024-13-45")
MAPPING = {
    "map_invoice": "Nr factura",
    "map_date": "Data",
    "map_client": "Cod client",
    "map_client_name": "Nume client",
    "map_product": "Cod produs",
    "map_quantity": "Cantitate",
    "map_unit_price": "Pret unitar",
}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, settings: Any, store: Store) -> Path:
    settings.KAM_HOME = tmp_path
    settings.KAM_IMPORT_INLINE = True
    return tmp_path


@pytest.fixture
def director() -> User:
    return user_create(username="dana", password=PASSWORD, role="director")


def _signed_in(role: str = "director") -> HttpClient:
    user = user_create(username=f"u-{role}", password=PASSWORD, role=role)
    client = HttpClient()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _upload(client: HttpClient, content: bytes, name: str = "vanzari.csv") -> Any:
    return client.post("/imports/upload/", {"file": SimpleUploadedFile(name, content)})


def _lines(store: Store) -> int:
    rows = store.query("SELECT count(*) FROM ledger_lines")  # none when no ledger file yet
    return int(rows[0][0]) if rows else 0


def _uploads() -> list[Path]:
    root = uploads_root()
    return list(root.iterdir()) if root.is_dir() else []


def test_the_mapping_page_preselects_detected_columns_and_shows_the_first_rows() -> None:
    client = _signed_in()
    response = _upload(client, GOOD)
    assert response.status_code == 302 and response["Location"].startswith("/imports/uploads/")
    page = client.get(response["Location"]).content.decode()
    assert '<option value="Nr factura" selected>' in page
    assert '<option value="Pret unitar" selected>' in page
    assert "recognised from the header" in page
    assert 'data-test="preview"' in page and "<td>Alpha SRL</td>" in page
    assert 'name="action" value="check"' in page and 'name="action" value="import"' in page


def test_a_check_lists_every_problem_and_the_csv_holds_them_safely(store: Store) -> None:
    client = _signed_in()
    mapping_url = _upload(client, BAD)["Location"]
    response = client.post(mapping_url, {**MAPPING, "action": "check"})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REFUSED and job.dry_run
    page = client.get(response["Location"]).content.decode()
    assert "Problems found: 2. Nothing was imported." in page
    assert "<td>Cantitate</td>" in page and "<code>=HYPERLINK(1)</code>" in page
    assert "<td>Data</td>" in page and "2024-13-45" in page and "not a date" in page
    download = client.get(f"/imports/jobs/{job.pk}/problems.csv")
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["File", "Row", "Column", "Value", "Reason"]
    assert ["vanzari.csv", "3", "Cantitate", "'=HYPERLINK(1)", "not a number"] in rows
    assert any(r[1:4] == ["4", "Data", "2024-13-45"] for r in rows)
    assert _lines(store) == 0


def test_fixing_the_file_then_checking_and_importing_updates_the_ledger_and_history(
    store: Store,
) -> None:
    client = _signed_in()
    mapping_url = _upload(client, GOOD)["Location"]
    checked = client.post(mapping_url, {**MAPPING, "action": "check", "save_as": "ERP"})
    check = ImportJob.objects.get()
    page = client.get(checked["Location"]).content.decode()
    assert check.status == ImportJob.Status.CHECKED and 'data-test="lines">3<' in page
    assert f'action="/imports/jobs/{check.pk}/commit/"' in page and "Import now" in page
    assert _lines(store) == 0
    committed = client.post(f"/imports/jobs/{check.pk}/commit/")
    job = ImportJob.objects.exclude(pk=check.pk).get()
    assert committed["Location"] == f"/imports/jobs/{job.pk}/"
    assert job.status == ImportJob.Status.SUCCEEDED and not job.dry_run
    assert job.mapping["vanzari.csv"]["unit_price"] == "Pret unitar"
    assert _lines(store) == 3
    assert AuditEvent.objects.filter(entity="ledger.ImportJob", entity_id=str(job.pk)).exists()
    assert _uploads() == []  # the upload is deleted once imported
    history = client.get("/imports/").content.decode()
    assert f'data-job="{job.pk}" data-status="succeeded"' in history
    assert f'data-job="{check.pk}" data-status="checked"' in history
    assert history.index(f'data-job="{job.pk}"') < history.index(f'data-job="{check.pk}"')
    assert "u-director" in history and "vanzari.csv" in history


def test_a_mapping_without_the_required_columns_is_refused_on_the_page() -> None:
    client = _signed_in()
    mapping_url = _upload(client, GOOD)["Location"]
    form = {**MAPPING, "map_invoice": "", "map_quantity": "", "action": "import"}
    response = client.post(mapping_url, form)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a column for: Invoice number, Net amount (or Quantity and Unit price)." in page
    assert not ImportJob.objects.exists()


def test_one_column_cannot_be_two_fields() -> None:
    client = _signed_in()
    mapping_url = _upload(client, GOOD)["Location"]
    response = client.post(mapping_url, {**MAPPING, "map_client_name": "Cod client"})
    assert response.status_code == 400
    assert "The column Cod client is already chosen for Client ID." in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"%PDF-1.7\n\x00\x01binary", "is not a sales ledger file"),
        ("empty.csv", b"", "is empty"),
        ("page.csv", b"<html><body>nope</body></html>", "is not a sales ledger file"),
    ],
)
def test_a_wrong_file_is_refused_with_a_clear_message(
    name: str, content: bytes, message: str
) -> None:
    response = _upload(_signed_in(), content, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _uploads() == [] and not ImportJob.objects.exists()


def test_a_workbook_bomb_is_refused_with_a_clear_message() -> None:
    from kam.ledger.tests.test_uploads import _xml_bomb, _zip_bomb

    client = _signed_in()
    for content, message in ((_zip_bomb(), "a ZIP bomb?"), (_xml_bomb(), "an XML bomb?")):
        response = _upload(client, content, "sales.xlsx")
        assert response.status_code == 400 and message in response.content.decode()
    assert _uploads() == []


@pytest.mark.parametrize("copies", [100, 1000])  # stopped while read; refused by its length
def test_a_file_over_the_limit_is_refused_before_it_is_kept(settings: Any, copies: int) -> None:
    settings.KAM_UPLOAD_MAX_BYTES = 1000
    response = _upload(_signed_in(), GOOD * copies)
    assert response.status_code == 413
    assert "larger than the upload limit of 0 MiB" in response.content.decode()
    assert _uploads() == [] and not ImportJob.objects.exists()


@pytest.mark.parametrize("role", ["analyst", "team"])
def test_people_who_may_not_import_get_403_and_nothing_changes(
    role: str, director: User, store: Store
) -> None:
    upload = upload_save(chunks=[GOOD], name="vanzari.csv", user=director)
    checked = ImportJob.objects.create(
        status=ImportJob.Status.CHECKED, dry_run=True, upload=upload.id, options={"given": {}}
    )
    client = _signed_in(role)
    assert _upload(client, GOOD).status_code == 403
    assert client.post(f"/imports/uploads/{upload.id}/", MAPPING).status_code == 403
    assert client.post(f"/imports/jobs/{checked.pk}/commit/").status_code == 403
    for url in ("/imports/", f"/imports/uploads/{upload.id}/", f"/imports/jobs/{checked.pk}/"):
        assert client.get(url).status_code == 403
    assert client.get(f"/imports/jobs/{checked.pk}/problems.csv").status_code == 403
    assert ImportJob.objects.count() == 1 and _lines(store) == 0
    assert [p.name for p in _uploads()] == [upload.id]
    assert "/imports/" not in client.get("/").content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in() -> None:
    response = HttpClient().post("/imports/upload/", {"file": SimpleUploadedFile("a.csv", GOOD)})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert _uploads() == []


def test_the_job_page_polls_while_running_and_stops_when_done(director: User) -> None:
    job = ImportJob.objects.create(
        created_by=director,
        host=socket.gethostname(),
        pid=1,  # alive: this job is not reaped
        stage="read vanzari.csv",
        progress=0.25,
        files=[{"name": "vanzari.csv"}],
    )
    client = _signed_in()
    page = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and 'value="25"' in page
    assert "Reading vanzari.csv" in page and "<html" in page
    part = client.get(f"/imports/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and 'hx-trigger="every 1s"' in part
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKED, lines=7)
    done = client.get(f"/imports/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and 'data-test="lines">7<' in done


def test_a_job_left_running_by_a_dead_process_shows_as_failed(director: User) -> None:
    job = ImportJob.objects.create(created_by=director, host=socket.gethostname(), pid=2**22 + 4321)
    history = _signed_in().get("/imports/").content.decode()
    assert f'data-job="{job.pk}" data-status="failed"' in history
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "interrupted" in job.message


def test_the_imports_link_is_in_the_navigation_of_people_who_may_import() -> None:
    assert 'href="/imports/"' in _signed_in("director").get("/").content.decode()
    assert 'href="/imports/"' not in _signed_in("analyst").get("/").content.decode()


def test_the_history_is_paged_newest_first(director: User) -> None:
    jobs = [ImportJob.objects.create(files=[{"name": f"f{i}.csv"}]) for i in range(30)]
    client = _signed_in()
    first = client.get("/imports/").content.decode()
    assert first.count("data-job=") == 25 and f'data-job="{jobs[-1].pk}"' in first
    assert 'href="?page=2" rel="next"' in first
    second = client.get("/imports/?page=2").content.decode()
    assert second.count("data-job=") == 5 and f'data-job="{jobs[0].pk}"' in second


def test_an_upload_without_the_csrf_token_is_refused(director: User) -> None:
    client = HttpClient(enforce_csrf_checks=True)
    assert client.login(username="dana", password=PASSWORD)
    response = _upload(client, GOOD)
    assert response.status_code == 403 and _uploads() == []


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (ImportJob.Status.CHECKED, True),
        (ImportJob.Status.REFUSED, True),
        (ImportJob.Status.FAILED, True),
        # the ledger already holds the file's invoices: another mapping would be a new import
        (ImportJob.Status.FOLLOW_UP_FAILED, False),
    ],
)
def test_a_new_mapping_is_offered_only_while_the_file_is_not_in_the_ledger(
    director: User, status: str, offered: bool
) -> None:
    upload = upload_save(chunks=[GOOD], name="vanzari.csv", user=director)
    job = ImportJob.objects.create(
        created_by=director, status=status, upload=upload.id, message="something"
    )
    page = _signed_in().get(f"/imports/jobs/{job.pk}/").content.decode()
    assert (f"/imports/uploads/{upload.id}/" in page) is offered
    assert 'href="/imports/"' in page  # another file may always be uploaded
