"""A job left running by a killed process is closed as failed."""

from __future__ import annotations

import socket

import pytest

from kam.ledger.jobs import import_jobs_reap
from kam.ledger.models import ImportJob


@pytest.mark.django_db
def test_a_job_whose_process_died_is_reported_as_failed() -> None:
    host = socket.gethostname()
    dead = ImportJob.objects.create(host=host, pid=2**22 + 12345)  # beyond any real pid
    alive = ImportJob.objects.create(host=host, pid=1)
    elsewhere = ImportJob.objects.create(host="another-host", pid=2**22 + 12345)
    assert import_jobs_reap() == 1
    statuses = {j.pk: j.status for j in ImportJob.objects.all()}
    assert statuses[dead.pk] == ImportJob.Status.FAILED
    assert statuses[alive.pk] == statuses[elsewhere.pk] == ImportJob.Status.RUNNING


def test_the_ledger_can_be_read_while_this_process_stages_an_import(tmp_path: object) -> None:
    from kam.ledger.store import DuckDBStore

    store = DuckDBStore(f"duckdb:///{tmp_path}/ledger.duckdb")
    with store.staging():
        assert store.query("SELECT count(*) FROM ledger_lines") == [(0,)]
