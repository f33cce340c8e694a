"""The upgrade that made reference prices exact rebuilds the snapshot whole once."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps

from kam.analytics.models import SnapshotState
from kam.analytics.services import snapshot_ensure_current
from kam.ledger.services import ledger_import
from kam.ledger.store import Store

pytestmark = pytest.mark.django_db(transaction=True)

MIGRATION = importlib.import_module(
    "kam.analytics.migrations.0007_snapshot_rebuilt_for_exact_reference_prices"
)
HEADER = "invoice,date,client,product,quantity,unit_price\n"


def _file(path: Path, text: str) -> list[Path]:
    path.write_text(HEADER + text, encoding="utf-8")
    return [path]


def test_after_the_upgrade_the_next_import_rebuilds_the_snapshot(
    store: Store, tmp_path: Path, incremental_calls: list[int]
) -> None:
    assert ledger_import(
        store=store, paths=_file(tmp_path / "a.csv", "F1,2024-01-02,C1,P1,1,10\n")
    ).ok
    assert ledger_import(
        store=store, paths=_file(tmp_path / "b.csv", "F2,2024-01-03,C2,P1,1,10\n")
    ).ok
    assert len(incremental_calls) == 1  # a current snapshot follows an import incrementally
    MIGRATION.snapshot_mark_stale(apps, None)
    assert ledger_import(
        store=store, paths=_file(tmp_path / "c.csv", "F3,2024-01-04,C3,P1,1,10\n")
    ).ok
    assert len(incremental_calls) == 1  # the stale mark: rebuilt whole
    assert SnapshotState.objects.get().ledger_import_id == 3


def test_after_the_upgrade_the_first_analysis_rebuilds_the_snapshot(
    store: Store, tmp_path: Path
) -> None:
    assert ledger_import(
        store=store, paths=_file(tmp_path / "a.csv", "F1,2024-01-02,C1,P1,1,10\n")
    ).ok
    assert not snapshot_ensure_current(store=store)
    MIGRATION.snapshot_mark_stale(apps, None)
    assert snapshot_ensure_current(store=store)
    assert not snapshot_ensure_current(store=store)
