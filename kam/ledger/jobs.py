"""Import jobs whose process died are closed as failed, never left running."""

from __future__ import annotations

import os
import socket

from django.utils import timezone

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
