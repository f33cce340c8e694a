"""Fixtures of the import pipeline's tests."""

from __future__ import annotations

import pytest
from django.dispatch import Signal

from kam.ledger import services


@pytest.fixture
def no_snapshot(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """Imports skip the analytics snapshot (not what these tests are about); the years each
    committed import would have refreshed are recorded instead."""
    refreshed: list[tuple[int, ...]] = []

    def record(sender: object, *, years: tuple[int, ...], **_: object) -> None:
        refreshed.append(years)

    quiet = Signal()
    quiet.connect(record, weak=False)
    monkeypatch.setattr(services, "ledger_changed", quiet)
    return refreshed
