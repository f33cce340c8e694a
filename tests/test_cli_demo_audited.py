"""`kam demo` imports data, and that import is in the audit trail like `kam import`."""

from __future__ import annotations

import pytest

from kam.audit.models import AuditEvent
from kam.cli import main
from kam.ledger.models import ImportJob
from kam.ledger.store import Store


@pytest.mark.django_db(transaction=True)
def test_the_demo_import_is_audited(store: Store) -> None:
    assert main(["demo", "--clients", "20", "--lines", "400"]) == 0
    job = ImportJob.objects.get()
    event = AuditEvent.objects.get(entity="ledger.ImportJob")
    assert (event.action, event.entity_id, event.interface) == ("import", str(job.pk), "cli")
    assert event.actor is None and event.actor_label == "demo"
    assert '"invoices": ' in event.new_value
    assert main(["demo", "--if-empty"]) == 0  # nothing added: nothing more audited
    assert AuditEvent.objects.filter(entity="ledger.ImportJob").count() == 1
