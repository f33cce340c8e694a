"""A committed import is in the audit trail, whichever interface ran it; a check is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.audit.models import AuditEvent
from kam.cli import main
from kam.ledger.models import ImportJob
from kam.ledger.store import Store

CSV = "invoice,date,client,product,net_amount\nF1,2024-01-05,C1,P1,10\nF2,2024-01-06,C2,P1,5\n"


@pytest.mark.django_db
def test_a_committed_command_line_import_is_audited_and_a_dry_run_is_not(
    tmp_path: Path, store: Store
) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(CSV)
    assert main(["import", str(path), "--dry-run"]) == 0
    assert not AuditEvent.objects.exists()
    assert main(["import", str(path)]) == 0
    job = ImportJob.objects.get(dry_run=False)
    event = AuditEvent.objects.get()
    assert (event.action, event.entity, event.entity_id) == (
        "import",
        "ledger.ImportJob",
        str(job.pk),
    )
    assert event.interface == "cli" and event.actor is None and event.actor_label == job.operator
    assert '"invoices": 2' in event.new_value and '"files": ["sales.csv"]' in event.new_value
