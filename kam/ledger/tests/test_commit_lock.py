"""Two commits at once: one is written to the ledger, the other is clearly refused."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from kam.ledger.models import ImportJob
from kam.ledger.parsing import ImportRefusedError
from kam.ledger.runner import import_job_commit, import_job_start
from kam.ledger.store import Store
from kam.ledger.tests.ledger_helpers import job_wait
from kam.ledger.uploads import upload_save
from kam.people.models import User
from kam.people.services import user_create

GOOD = b"invoice,date,client,product,net_amount\nF1,2024-01-05,C1,P1,10\nF2,2024-01-06,C2,P1,5\n"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def director(tmp_path: Path, settings: Any) -> User:
    settings.KAM_HOME = tmp_path
    settings.KAM_IMPORT_INLINE = False
    return user_create(username="dana", password="correct-horse-battery-9", role="director")


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Background jobs wait for this event: a commit is still running while others ask."""
    from kam.ledger import runner

    release = threading.Event()
    real_run = runner._job_run

    def held_run(job_id: int) -> None:
        release.wait(30)
        real_run(job_id)

    monkeypatch.setattr(runner, "_job_run", held_run)
    monkeypatch.setattr(runner, "WRITE_EVERY", 60)  # no progress writes from a second thread
    return release


@pytest.fixture(autouse=True)
def slow_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the moment between 'is a commit running?' and the new job's row."""
    from kam.ledger import runner

    real = runner._commit_running

    def slow() -> bool:
        running = real()
        time.sleep(0.2)
        return running

    monkeypatch.setattr(runner, "_commit_running", slow)


def _at_once(calls: list[Any]) -> list[Any]:
    """Run each call in its own thread, released together; their results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as error:
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_second_request_to_commit_a_check_while_the_first_starts_is_refused(
    director: User, store: Store, held: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request comes from elsewhere (another process), past this process's lock."""
    from kam.ledger import runner

    upload = upload_save(chunks=[GOOD], name="sales.csv", user=director)
    check = import_job_start(upload=upload, user=director, dry_run=True, given={})
    held.set()
    check = job_wait(check)
    assert check.status == ImportJob.Status.CHECKED
    real_start = runner.import_job_start
    second: list[Any] = []

    def start_meanwhile(**kwargs: Any) -> ImportJob:
        if not second:  # the other request arrives between the check and the new row
            try:
                second.append(import_job_commit(job=check, user=director))
            except ImportRefusedError as error:
                second.append(error)
        return real_start(**kwargs)

    monkeypatch.setattr(runner, "import_job_start", start_meanwhile)
    # The commit's job waits until the request has released its claim: the in-memory
    # test database refuses (it does not wait for) two threads writing one table.
    held.clear()
    started = import_job_commit(job=check, user=director)
    held.set()
    first = job_wait(started)
    assert first.status == ImportJob.Status.SUCCEEDED, first.message
    assert isinstance(second[0], ImportRefusedError), second
    assert "Another import" in str(second[0])
    assert store.query("SELECT count(*) FROM ledger_imports") == [(1,)]
    assert ImportJob.objects.filter(dry_run=False).count() == 1
    check.refresh_from_db()
    assert check.stage == ""  # the claim ends with the request


def test_two_imports_of_different_uploads_at_once_give_one_commit_and_one_refusal(
    director: User, store: Store, held: threading.Event
) -> None:
    first = upload_save(chunks=[GOOD], name="a.csv", user=director)
    second = upload_save(chunks=[GOOD], name="b.csv", user=director)
    results = _at_once(
        [
            lambda u=u: import_job_start(upload=u, user=director, dry_run=False, given={})
            for u in (first, second)
        ]
    )
    held.set()
    for job in results:
        if isinstance(job, ImportJob):
            job_wait(job)
    jobs = [r for r in results if isinstance(r, ImportJob)]
    refusals = [r for r in results if isinstance(r, ImportRefusedError)]
    assert len(jobs) == 1 and len(refusals) == 1, results
    assert "Another import" in str(refusals[0])
    assert job_wait(jobs[0]).status == ImportJob.Status.SUCCEEDED
