"""Import job housekeeping: jobs of a dead process are closed, never left running; a
committed import is recorded in the audit trail; what a committed import left undone
(clients, figures) is caught up.

A job whose ledger swap committed records the ledger import id at once. If a step
after the swap fails, or its process dies, the job is `follow_up_failed`, not
failed: the ledger holds the new lines. `import_follow_ups_run` then brings the
clients and everything that follows the ledger (the `ledger_changed` receivers)
up to date; it runs at the start of each import, with the job reaper, and when
the server starts.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.models import AuditEvent
from kam.audit.services import Actor, audit_event
from kam.clients.services import clients_upsert
from kam.ledger.models import ImportJob
from kam.ledger.signals import ledger_changed
from kam.ledger.store import Store

logger = logging.getLogger(__name__)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def import_jobs_reap(*, store: Store | None = None) -> int:
    """Close running jobs of this host whose process is gone; returns how many.

    One that stopped before its ledger swap committed failed (the ledger kept its
    previous state); one that stopped after it is `follow_up_failed`, and what it
    left undone is caught up here.
    """
    host = socket.gethostname()
    dead = [
        job.pk
        for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING, host=host)
        if job.pid is None or (job.pid != os.getpid() and not _alive(job.pid))
    ]
    now = timezone.now()
    closed = ImportJob.objects.filter(pk__in=dead, ledger_import_id__isnull=True).update(
        status=ImportJob.Status.FAILED,
        finished_at=now,
        message="interrupted: the process stopped before the import finished; "
        "the ledger kept its previous state",
    )
    closed += ImportJob.objects.filter(pk__in=dead, ledger_import_id__isnull=False).update(
        status=ImportJob.Status.FOLLOW_UP_FAILED,
        finished_at=now,
        message=_(
            "Interrupted after the ledger received these invoices; the clients and figures "
            "are brought up to date."
        ),
    )
    _follow_ups_quietly(store)
    return closed


def import_follow_ups_run(*, store: Store | None = None) -> int:
    """Catch up the clients and figures of committed imports whose follow-up failed.

    Returns how many jobs were caught up (0 when none waited). The jobs then read
    succeeded, their message keeping what had failed.
    """
    pending = list(
        ImportJob.objects.filter(status=ImportJob.Status.FOLLOW_UP_FAILED).values_list(
            "pk", "ledger_import_id"
        )
    )
    if not pending:
        return 0
    if store is None:
        from kam.ledger.selectors import ledger_store

        store = ledger_store()
    imports = sorted({int(i) for _, i in pending if i is not None})
    rows = store.query(_clients_of_imports_sql(imports)) if imports else []
    with transaction.atomic():
        clients_upsert(rows=rows)
        ledger_changed.send(sender=import_follow_ups_run, store=store, years=None, clients=None)
    note = _("Clients and figures brought up to date on %(when)s.") % {
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")
    }
    for pk, _import_id in pending:
        job = ImportJob.objects.filter(pk=pk, status=ImportJob.Status.FOLLOW_UP_FAILED).first()
        if job is not None:
            job.status = ImportJob.Status.SUCCEEDED
            job.message = f"{job.message} {note}".strip()
            job.save(update_fields=["status", "message"])
    return len(pending)


def _follow_ups_quietly(store: Store | None) -> None:
    """Housekeeping runs where a page or an import is asked for: log, never raise."""
    try:
        import_follow_ups_run(store=store)
    except Exception:
        logger.exception("catching up after an import failed; it is tried again later")


def _clients_of_imports_sql(imports: list[int]) -> str:
    """Id, name and country of the clients with lines of `imports`, as the ledger says
    now: the name and country of each client's latest line that has one."""
    ids = ", ".join(str(int(i)) for i in imports)
    order = "invoiced_on DESC, import_id DESC, invoice DESC, line DESC"
    return f"""SELECT DISTINCT client,
        first_value(client_name) OVER (PARTITION BY client
            ORDER BY CASE WHEN client_name IS NULL THEN 1 ELSE 0 END, {order}),
        first_value(country) OVER (PARTITION BY client
            ORDER BY CASE WHEN country IS NULL THEN 1 ELSE 0 END, {order})
    FROM ledger_lines
    WHERE client IN (SELECT client FROM ledger_lines WHERE import_id IN ({ids}))"""


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
