"""Fixtures shared by every test: a private KAM_HOME, ledger stores, data files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kam.ledger.store import DuckDBStore, PostgresStore, Store

DATA = Path(__file__).parent / "tests" / "data"
PG_URL = os.environ.get("KAM_TEST_POSTGRES_URL", "")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A run with browser tests keeps its SQLite test database in a file.

    Their live server answers from threads. Django's in-memory test database is
    shared between those threads in SQLite's shared-cache mode, whose table locks
    fail at once ("database table is locked") where a file database waits for the
    lock, as production does.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    browser = any(item.get_closest_marker("browser") for item in request.session.items)
    if browser and database["ENGINE"].endswith("sqlite3"):
        name = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """A cheap hasher in tests: they check rules and records, not key stretching."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_score_cache() -> Iterator[None]:
    """Each test computes its own scores: the process-wide memo must not carry over."""
    from kam.accounts.selectors import scores_cache_clear

    scores_cache_clear()
    yield
    scores_cache_clear()


@pytest.fixture
def data_dir() -> Path:
    return DATA


def _pg_store() -> Iterator[PostgresStore]:
    if not PG_URL:
        pytest.skip("KAM_TEST_POSTGRES_URL is not set: `make test` starts a PostgreSQL for this")
    schema = f"ledger_{uuid.uuid4().hex[:12]}"
    store = PostgresStore(f"{PG_URL}?schema={schema}")
    yield store
    import psycopg

    with psycopg.connect(store.dsn, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def duckdb_store(tmp_path: Path) -> DuckDBStore:
    return DuckDBStore(f"duckdb:///{tmp_path / 'ledger.duckdb'}")


@pytest.fixture
def postgres_store() -> Iterator[PostgresStore]:
    yield from _pg_store()


@pytest.fixture
def store(tmp_path: Path, settings: Any) -> Iterator[Store]:
    """The ledger store of the run: DuckDB, or PostgreSQL when KAM_TEST_LEDGER=postgres."""
    chosen: Store
    if os.environ.get("KAM_TEST_LEDGER") == "postgres":
        gen = _pg_store()
        chosen = next(gen)
    else:
        gen = None
        chosen = DuckDBStore(f"duckdb:///{tmp_path / 'ledger.duckdb'}")
    settings.KAM_LEDGER_URL = chosen.url
    yield chosen
    if gen is not None:
        next(gen, None)
