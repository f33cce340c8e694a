"""Import job housekeeping: jobs of a dead process are closed as failed, never left
running; a committed import is recorded in the audit trail."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from django.utils import timezone

from kam.audit.models import AuditEvent
from kam.audit.services import Actor, audit_event
from kam.ledger.models import ImportJob


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def import_jobs_reap() -> int:
    """Mark running jobs of this host whose process is gone as failed; returns how many."""
    host = socket.gethostname()
    dead = [
        job.pk
        for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING, host=host)
        if job.pid is None or (job.pid != os.getpid() and not _alive(job.pid))
    ]
    return ImportJob.objects.filter(pk__in=dead).update(
        status=ImportJob.Status.FAILED,
        finished_at=timezone.now(),
        message="interrupted: the process stopped before the import finished; "
        "the ledger kept its previous state or the complete new one",
    )


def import_job_audit(*, job: ImportJob, user: Any) -> None:
    """Record a committed import in the audit trail: who, through what, which files, counts."""
    detail = {
        "files": [f.get("name", "") for f in job.files],
        "lines": job.lines,
        "invoices": job.invoices,
        "clients": job.clients,
        "lines_replaced": job.lines_replaced,
    }
    audit_event(
        actor=Actor(user=user, interface=job.interface, label=job.operator),
        action=AuditEvent.Action.IMPORT,
        entity=ImportJob._meta.label,
        entity_id=str(job.pk),
        detail=json.dumps(detail, ensure_ascii=False),
    )
