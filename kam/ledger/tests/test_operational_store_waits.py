"""On SQLite, a second writer waits for the first instead of failing after 5 s."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.mark.django_db
def test_a_write_waits_a_minute_for_another_writer() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writers wait for each other's row locks")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone() == (60_000,)
