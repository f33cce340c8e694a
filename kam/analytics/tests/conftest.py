"""Fixtures of the analytics tests."""

from __future__ import annotations

from typing import Any

import pytest

from kam.analytics import services
from kam.analytics.snapshot_touched import touched_refresh


@pytest.fixture
def incremental_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The import ids of the snapshot refreshes that took the incremental path."""
    calls: list[int] = []

    def spy(**kwargs: Any) -> int:
        calls.append(kwargs["import_id"])
        return touched_refresh(**kwargs)

    monkeypatch.setattr(services, "touched_refresh", spy)
    return calls
