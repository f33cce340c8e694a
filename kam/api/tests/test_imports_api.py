"""Ledger imports through the API: only importers, checked then committed, problems as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.audit.models import AuditEvent
from kam.ledger.models import ImportJob
from kam.ledger.store import Store
from kam.ledger.uploads import uploads_root

from .conftest import Call

pytestmark = pytest.mark.django_db

GOOD = b"invoice,date,client,product,quantity,unit_price\nF1,2024-01-05,C1,P1,2,10.50\n"
BAD = b"invoice,date,client,product,quantity,unit_price\nF1,someday,C1,P1,2,=1+1\n"


def _upload(api: Call, role: str, content: bytes, **fields: Any) -> Any:
    file = SimpleUploadedFile("ledger.csv", content, content_type="text/csv")
    return api(role, "POST", "/imports", data={"file": file, **fields})


def test_an_importer_checks_then_commits_a_file(api: Call, store: Store) -> None:
    checked = _upload(api, "director", GOOD)
    assert checked.status_code == 202, checked.content
    body = checked.json()
    assert (body["status"], body["dry_run"], body["lines"]) == ("checked", True, 1)
    assert body["interface"] == "api"
    committed = api("director", "POST", f"/imports/{body['id']}/commit")
    assert committed.status_code == 202
    job = committed.json()
    assert (job["status"], job["dry_run"], job["invoices"]) == ("succeeded", False, 1)
    status = api("director", "GET", f"/imports/{job['id']}").json()
    assert status == job
    audit = AuditEvent.objects.get(action="import", entity_id=str(job["id"]))
    assert (audit.interface, audit.actor_label) == ("api", "director")


def test_a_mapping_names_the_columns(api: Call, store: Store) -> None:
    content = b"Doc,When,Cust,Item,Qty,Price\nF1,2024-01-05,C1,P1,2,10.50\n"
    mapping = (
        '{"invoice": "Doc", "date": "When", "client": "Cust", "product": "Item",'
        ' "quantity": "Qty", "unit_price": "Price"}'
    )
    response = _upload(api, "admin", content, mapping=mapping, dry_run="false")
    assert response.json()["status"] == "succeeded", response.json()


def test_a_refused_file_reports_its_problems_as_json_and_safe_csv(api: Call, store: Store) -> None:
    job = _upload(api, "director", BAD).json()
    assert job["status"] == "refused"
    problems = api("director", "GET", f"/imports/{job['id']}/problems").json()
    assert problems["problem_count"] >= 1
    assert {p["column"] for p in problems["problems"]} >= {"date"}
    response = api("director", "GET", f"/imports/{job['id']}/problems", data={"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["file", "row", "column", "value", "reason"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith("=") for cell in cells)
    assert "'=1+1" in cells


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"mapping": "not json"}, "import_refused"),
        ({"mapping": '{"nonsense": "A"}'}, "import_refused"),
        ({"decimal": "dot"}, "validation_error"),
    ],
)
def test_a_wrong_request_is_refused_without_a_job(
    api: Call, store: Store, fields: dict[str, str], code: str
) -> None:
    response = _upload(api, "director", GOOD, **fields)
    assert response.json()["error"]["code"] == code
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("role", ["analyst", "kam", "team", "marketing", "service"])
def test_only_importers_may_upload_and_nothing_is_kept(api: Call, store: Store, role: str) -> None:
    response = _upload(api, role, GOOD, dry_run="false")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "import_not_allowed"
    assert ImportJob.objects.count() == 0
    assert not uploads_root().exists() or not any(uploads_root().iterdir())


def test_only_importers_may_follow_or_commit_a_job(api: Call, store: Store) -> None:
    job = _upload(api, "director", GOOD).json()
    for method, path in (
        ("GET", f"/imports/{job['id']}"),
        ("GET", f"/imports/{job['id']}/problems"),
        ("POST", f"/imports/{job['id']}/commit"),
    ):
        assert api("analyst", method, path).status_code == 403
    assert ImportJob.objects.count() == 1


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    api: Call, store: Store, settings: Any
) -> None:
    settings.KAM_UPLOAD_MAX_BYTES = 10
    response = _upload(api, "director", GOOD * 2000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert ImportJob.objects.count() == 0


def test_an_unknown_job_is_not_found(api: Call, store: Store) -> None:
    assert api("director", "GET", "/imports/999").json()["error"]["code"] == "not_found"
