"""The ledger store: where invoice lines live, on DuckDB or PostgreSQL.

One store per `KAM_LEDGER_URL`:
- `duckdb:///path/ledger.duckdb` (default): files are staged and validated in
  the same DuckDB connection, then swapped in within one transaction.
- `postgresql://user:pw@host:port/db?schema=kam_ledger`: files are staged and
  validated in an in-memory DuckDB, then copied to PostgreSQL and swapped in
  within one PostgreSQL transaction.

Analytic SQL is written once in DuckDB's dialect and transpiled by sqlglot
for other engines (`Store.query`).
"""

from __future__ import annotations

import contextlib
import functools
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit, urlunsplit

import duckdb

from kam.common.errors import DomainError
from kam.ledger.staging import LEDGER_COLUMNS

SCHEMA = [
    ("invoice", "VARCHAR NOT NULL"),
    ("line", "BIGINT NOT NULL"),
    ("invoiced_on", "DATE NOT NULL"),
    ("client", "VARCHAR"),
    ("client_name", "VARCHAR"),
    ("product", "VARCHAR NOT NULL"),
    ("product_name", "VARCHAR"),
    ("category", "VARCHAR"),
    ("quantity", "DECIMAL(18,4)"),
    ("unit_price", "DECIMAL(18,6)"),
    ("net_amount", "DECIMAL(18,6) NOT NULL"),
    ("cost", "DECIMAL(18,6)"),
    ("list_price", "DECIMAL(18,6)"),
    ("currency", "VARCHAR"),
    ("country", "VARCHAR"),
    ("sales_rep", "VARCHAR"),
    ("import_id", "BIGINT NOT NULL"),
]
assert tuple(name for name, _ in SCHEMA[:-1]) == LEDGER_COLUMNS


class LedgerUnavailableError(DomainError):
    code = "ledger_unavailable"


@dataclass(frozen=True, slots=True)
class SwapResult:
    import_id: int
    replaced_lines: int
    inserted_lines: int
    touched_years: tuple[int, ...]
    touched_clients: frozenset[str]  # clients of the lines added or replaced


class Store(Protocol):
    url: str
    dialect: str

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @contextlib.contextmanager
    def staging(self) -> Iterator[duckdb.DuckDBPyConnection]: ...

    def swap_in(
        self,
        con: duckdb.DuckDBPyConnection,
        staged: str,
        *,
        files: str,
        rows: str = "",
        currency: str = "",
    ) -> SwapResult: ...


# DuckDB's own default is 80 % of the machine's memory; a bounded limit makes large
# imports spill their sorts and temporary tables to disk instead (SPEC target: 1.5 GB
# peak on 10M lines), at no measurable cost on the 10M-line benchmark.
DEFAULT_MEMORY_LIMIT = "1GB"
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def _memory_limit(value: str) -> str:
    """`value` as DuckDB's `memory_limit` takes it; anything else is refused."""
    if not _MEMORY.fullmatch(value.strip()):
        raise LedgerUnavailableError(
            f"KAM_LEDGER_MEMORY {value!r} is not an amount of memory: write e.g. 1GB"
        )
    return value.strip()


def open_store(url: str, *, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> Store:
    if url.startswith("duckdb://"):
        return DuckDBStore(url, memory_limit=memory_limit)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, memory_limit=memory_limit)
    raise LedgerUnavailableError(
        f"unsupported KAM_LEDGER_URL {url!r}: use duckdb:/// or postgresql://"
    )


@functools.lru_cache(maxsize=256)
def transpile(sql: str, dialect: str) -> str:
    if dialect == "duckdb":
        return sql
    import sqlglot

    return str(sqlglot.transpile(sql, read="duckdb", write=dialect)[0])


def _touched_clients_sql(staged: str) -> str:
    return f"""SELECT DISTINCT client FROM (
        SELECT client FROM {staged}
        UNION ALL
        SELECT client FROM ledger_lines
        WHERE invoice IN (SELECT invoice FROM kam_new_invoices)) t WHERE client IS NOT NULL"""


def _years_sql(staged: str) -> str:
    return f"""SELECT DISTINCT y FROM (
        SELECT EXTRACT(year FROM invoiced_on) AS y FROM {staged}
        UNION ALL
        SELECT EXTRACT(year FROM invoiced_on) AS y FROM ledger_lines
        WHERE invoice IN (SELECT invoice FROM kam_new_invoices)) t ORDER BY y"""


class DuckDBStore:
    dialect = "duckdb"

    def __init__(self, url: str, *, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> None:
        self.url = url
        self.path = Path(url.removeprefix("duckdb:///"))  # duckdb:////abs or duckdb:///rel
        self.memory_limit = _memory_limit(memory_limit)

    def _connect(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, waiting while another process holds it for writing."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if read_only and not self.path.exists():
            read_only = False
        deadline = time.monotonic() + 30
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.ConnectionException:
                # This process already holds the file read-write (an import is
                # running in another thread): share that instance; MVCC isolates us.
                con = duckdb.connect(str(self.path), read_only=False)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise LedgerUnavailableError(f"the ledger file is busy: {error}") from None
                time.sleep(0.2)
        con.execute(f"SET memory_limit = '{self.memory_limit}'")
        if not read_only:
            _create_schema(con, "duckdb")
        return con

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if not self.path.exists():  # nothing imported yet (or a mistyped path): create nothing
            return []
        with contextlib.closing(self._connect(read_only=True)) as con:
            if not _has_schema(con):
                return []
            return con.execute(sql, list(params)).fetchall()

    @contextlib.contextmanager
    def staging(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with tempfile.TemporaryDirectory(prefix="kam-spill-") as spill:
            con = self._connect(read_only=False)
            con.execute(f"SET temp_directory = '{spill}'")
            con.execute("SET preserve_insertion_order = true")
            try:
                yield con
            finally:
                con.close()

    def swap_in(
        self,
        con: duckdb.DuckDBPyConnection,
        staged: str,
        *,
        files: str,
        rows: str = "",
        currency: str = "",
    ) -> SwapResult:
        """Replace the invoices of `staged` by its lines; `rows`, when given, is the same
        lines without their `line` numbers, cheaper to read for everything but the insert."""
        # The ledger's physical row order means nothing: let DuckDB write it in parallel.
        con.execute("SET preserve_insertion_order = false")
        con.execute("BEGIN TRANSACTION")
        try:
            result = _swap(con, staged, files, rows or staged, currency)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.execute("SET preserve_insertion_order = true")
        con.execute("DROP TABLE IF EXISTS kam_new_invoices")
        return result


def _swap(con: Any, staged: str, files: str, rows: str, currency: str) -> SwapResult:
    """Replace every invoice in `staged` and record the import (with the reporting
    `currency` its amounts are in); caller owns the transaction.

    `rows` holds the same lines as `staged` but maybe not their `line` numbers."""
    con.execute(f"CREATE TEMP TABLE kam_new_invoices AS SELECT DISTINCT invoice FROM {rows}")
    replaced = int(
        con.execute(
            "SELECT count(*) FROM ledger_lines WHERE invoice IN "
            "(SELECT invoice FROM kam_new_invoices)"
        ).fetchone()[0]
    )
    years = tuple(int(y) for (y,) in con.execute(_years_sql(rows)).fetchall())
    clients = frozenset(str(c) for (c,) in con.execute(_touched_clients_sql(rows)).fetchall())
    next_id = con.execute("SELECT coalesce(max(id), 0) + 1 FROM ledger_imports").fetchone()[0]
    con.execute("DELETE FROM ledger_lines WHERE invoice IN (SELECT invoice FROM kam_new_invoices)")
    columns = ", ".join(LEDGER_COLUMNS)
    con.execute(
        f"INSERT INTO ledger_lines ({columns}, import_id) "
        f"SELECT {columns}, {int(next_id)} FROM {staged}"
    )
    inserted = int(con.execute(f"SELECT count(*) FROM {rows}").fetchone()[0])
    con.execute(
        "INSERT INTO ledger_imports (id, imported_at, files, lines_in, lines_replaced, "
        f"currency) VALUES ({int(next_id)}, CURRENT_TIMESTAMP, {_literal(files)}, {inserted}, "
        f"{replaced}, {_literal(currency) if currency else 'NULL'})"
    )
    return SwapResult(int(next_id), replaced, inserted, years, clients)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _create_schema(con: Any, dialect: str) -> None:
    def numeric(kind: str) -> str:
        return kind.replace("DECIMAL", "NUMERIC") if dialect == "postgres" else kind

    columns = ", ".join(f"{name} {numeric(kind)}" for name, kind in SCHEMA)
    con.execute(f"CREATE TABLE IF NOT EXISTS ledger_lines ({columns})")
    con.execute(
        "CREATE TABLE IF NOT EXISTS ledger_imports (id BIGINT PRIMARY KEY, "
        "imported_at TIMESTAMP NOT NULL, files VARCHAR NOT NULL, lines_in BIGINT NOT NULL, "
        "lines_replaced BIGINT NOT NULL)"
    )
    # The reporting currency of the import's amounts (none before it was recorded).
    con.execute("ALTER TABLE ledger_imports ADD COLUMN IF NOT EXISTS currency VARCHAR")
    if dialect == "postgres":
        con.execute("CREATE INDEX IF NOT EXISTS ledger_lines_invoice ON ledger_lines (invoice)")
        con.execute("CREATE INDEX IF NOT EXISTS ledger_lines_date ON ledger_lines (invoiced_on)")


def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'ledger_lines'"
    ).fetchone()
    return bool(row and row[0])


class PostgresStore:
    dialect = "postgres"

    def __init__(self, url: str, *, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> None:
        parts = urlsplit(url)
        self.memory_limit = _memory_limit(memory_limit)
        self.schema = parse_qs(parts.query).get("schema", ["kam_ledger"])[0]
        if not self.schema.replace("_", "").isalnum():
            raise LedgerUnavailableError(f"not a schema name: {self.schema!r}")
        self.url = url
        self.dsn = urlunsplit(parts._replace(query="", scheme="postgresql"))

    def _connect(self) -> Any:
        import psycopg

        try:
            con = psycopg.connect(self.dsn, connect_timeout=10)
        except psycopg.OperationalError as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
            host = urlsplit(self.dsn).hostname
            raise LedgerUnavailableError(
                f"cannot connect to the PostgreSQL ledger at {host}: {first}"
            ) from None
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
        con.execute(f"SET search_path TO {self.schema}")
        _create_schema(con, "postgres")
        con.commit()
        return con

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        pg_sql = transpile(sql, "postgres")  # sqlglot also turns ? into %s
        with contextlib.closing(self._connect()) as con:
            return list(con.execute(pg_sql, list(params) or None).fetchall())

    @contextlib.contextmanager
    def staging(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with tempfile.TemporaryDirectory(prefix="kam-spill-") as spill:
            con = duckdb.connect()
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            con.execute(f"SET temp_directory = '{spill}'")
            try:
                yield con
            finally:
                con.close()

    def swap_in(
        self,
        con: duckdb.DuckDBPyConnection,
        staged: str,
        *,
        files: str,
        rows: str = "",
        currency: str = "",
    ) -> SwapResult:
        columns = ", ".join(LEDGER_COLUMNS)
        with tempfile.TemporaryDirectory(prefix="kam-pg-") as folder:
            dump = Path(folder) / "staged.csv"
            con.execute(f"COPY (SELECT {columns} FROM {staged}) TO '{dump}' (HEADER false)")
            pg = self._connect()
            try:
                with pg.transaction():
                    pg.execute("CREATE TEMP TABLE kam_staged (LIKE ledger_lines) ON COMMIT DROP")
                    pg.execute("ALTER TABLE kam_staged DROP COLUMN import_id")
                    with (
                        pg.cursor().copy(
                            f"COPY kam_staged ({columns}) FROM STDIN (FORMAT csv)"
                        ) as copy,
                        dump.open("rb") as source,
                    ):
                        while chunk := source.read(1 << 20):
                            copy.write(chunk)
                    result = _swap(_PgAdapter(pg), "kam_staged", files, "kam_staged", currency)
                    pg.execute("DROP TABLE kam_new_invoices")
            finally:
                pg.close()
        return result


class _PgAdapter:
    """Lets `_swap` speak to psycopg as it speaks to DuckDB."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def execute(self, sql: str) -> Any:
        return self.con.execute(transpile(sql, "postgres"))
