"""Time `kam import` + `kam analyze` against DuckDB alone, in the same run.

    .venv/bin/python benchmarks/run.py                      # 1M lines (quick)
    .venv/bin/python benchmarks/run.py --lines 1000000 10000000

For each size N the script generates (or reuses) a synthetic ledger of N lines
plus a 300k-line "monthly" file, then runs every step in its own subprocess
with a fresh KAM_HOME and reports the wall time, the ratio to the DuckDB-alone
baseline measured in the same run, and the peak RSS of that subprocess:

  baseline load    DuckDB alone: CREATE TABLE AS SELECT * FROM read_csv(...) into a file
  baseline query   DuckDB alone: the per-client aggregate over the latest year
  kam import       the product path: read, check every cell, swap in, snapshot
  kam analyze      `kam analyze --format json` (latest year)
  re-analysis      `kam analyze --from .. --to ..` (a non-calendar range: ledger engine)
  monthly import   300k lines, new invoices and some re-exported ones, into the ledger
  baseline monthly DuckDB alone: delete the file's invoices, insert the file

Machines are noisy, so read the ratios rather than the seconds.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
VENV_BIN = Path(sys.executable).parent
KAM = str(VENV_BIN / "kam") if (VENV_BIN / "kam").exists() else "kam"

LINES_PER_INVOICE = 8
FIRST_INVOICE = 100_000  # dates count from this invoice, so files share one calendar
FIRST_DAY = "2022-01-01"
DAYS = 3 * 365 + 1  # 2022, 2023 and 2024
MONTHLY_LINES = 300_000
MONTHLY_OVERLAP_INVOICES = 2_000  # re-exported invoices that the monthly file replaces
RE_ANALYSIS = ("2023-03-15", "2024-03-15")  # not a calendar year: answered by the ledger engine

# The per-client analytics the product computes, written for the baseline's raw table.
BASELINE_TOTALS = """
SELECT "Customer ID" AS client,
    sum(CAST("Quantity" * "Price" AS DECIMAL(18,6))),
    count(*),
    count(DISTINCT "Invoice"),
    max(CAST("InvoiceDate" AS DATE))
FROM lines
WHERE "InvoiceDate" >= ? AND "InvoiceDate" < ? AND "Customer ID" IS NOT NULL
GROUP BY "Customer ID"
ORDER BY 2 DESC
"""
BASELINE_TYPES = "{'Quantity': 'DECIMAL(18,4)', 'Price': 'DECIMAL(18,6)'}"


# ---- generation ------------------------------------------------------------


def clients_for(lines: int) -> int:
    """About 20k clients for 1M lines, growing slowly to 100k."""
    return max(2_000, min(100_000, lines // 50))


def generate(path: Path, *, lines: int, first_invoice: int, invoices_per_day: float) -> None:
    """Write a CSV ledger with DuckDB: hash-based, reproducible, a few seconds per 10M lines.

    Invoices are numbered in date order (`invoices_per_day`), have 8 lines, one
    client drawn from a log-uniform (Zipf-like) law, and 2 % of them are credit
    notes (`C` prefix, negative quantities); 1 % of invoices have no client.
    """
    clients = clients_for(lines)
    tmp = path.with_suffix(".tmp")
    first_line = (first_invoice - FIRST_INVOICE) * LINES_PER_INVOICE  # same line, same content
    sql = f"""
    COPY (
      WITH l AS (
        SELECT {first_line} + i AS i, {FIRST_INVOICE} + ({first_line} + i) // {LINES_PER_INVOICE}
            AS inv
        FROM range({lines}) t(i)
      ), h AS (
        SELECT i, inv,
          hash(inv * 31 + 1) AS h_client, hash(inv * 31 + 2) AS h_kind,
          hash(inv * 31 + 3) AS h_time, hash(i * 17 + 5) AS h_product,
          hash(i * 17 + 6) AS h_qty, hash(i * 17 + 7) AS h_price
        FROM l
      ), v AS (
        SELECT i, inv,
          h_kind % 50 = 0 AS credit,
          h_kind % 100 = 1 AS anonymous,
          least({clients}, CAST(floor(exp((h_client % 1000003) / 1000003.0
              * ln({clients} + 1))) AS BIGINT)) AS client,
          DATE '{FIRST_DAY}'
              + CAST(floor((inv - {FIRST_INVOICE}) / {invoices_per_day!r}) AS INTEGER) AS day,
          h_time % 36000 AS seconds,
          h_product % 5000 AS product,
          CAST(1 + h_qty % 48 AS BIGINT) AS qty,
          1 + h_price % 9999 AS cents
        FROM h
      )
      SELECT
        CASE WHEN credit THEN 'C' ELSE '' END || inv AS "Invoice",
        strftime(day + INTERVAL 8 HOUR + to_seconds(seconds), '%Y-%m-%d %H:%M:%S')
            AS "InvoiceDate",
        CASE WHEN anonymous THEN NULL ELSE 'K' || lpad(CAST(client AS VARCHAR), 6, '0') END
            AS "Customer ID",
        'P' || lpad(CAST(product AS VARCHAR), 5, '0') AS "StockCode",
        'Category ' || (product % 40) AS "Category",
        CASE WHEN credit THEN -qty ELSE qty END AS "Quantity",
        CAST(cents // 100 AS VARCHAR) || '.' || lpad(CAST(cents % 100 AS VARCHAR), 2, '0')
            AS "Price",
        CASE client % 10 WHEN 0 THEN 'Germany' WHEN 1 THEN 'France' WHEN 2 THEN 'Romania'
            ELSE 'United Kingdom' END AS "Country"
      FROM v ORDER BY i
    ) TO '{tmp}' (HEADER true, DELIMITER ',')
    """
    import duckdb

    with duckdb.connect() as con:
        con.execute(sql)
    tmp.replace(path)


@dataclass(frozen=True, slots=True)
class Ledgers:
    big: Path
    monthly: Path
    lines: int


def ledgers_for(lines: int) -> Ledgers:
    """The N-line ledger over 2022-2024 and a 300k-line file that follows it."""
    OUT.mkdir(parents=True, exist_ok=True)
    big, monthly = OUT / f"ledger-{lines}.csv", OUT / f"monthly-{lines}.csv"
    invoices = -(-lines // LINES_PER_INVOICE)
    per_day = invoices / DAYS
    if not big.exists():
        print(f"generating {big.name} ...", flush=True)
        _generate_in_subprocess(big, lines, FIRST_INVOICE, per_day)
    if not monthly.exists():
        print(f"generating {monthly.name} ...", flush=True)
        first = FIRST_INVOICE + invoices - MONTHLY_OVERLAP_INVOICES
        # The overlap is re-exported with the same dates; the rest continues into 2025.
        _generate_in_subprocess(monthly, MONTHLY_LINES, first, per_day)
    return Ledgers(big, monthly, lines)


def _generate_in_subprocess(path: Path, lines: int, first_invoice: int, per_day: float) -> None:
    """Keeps this process small: a child's peak RSS counts what it inherits at fork."""
    me = [sys.executable, str(Path(__file__).resolve()), "--generate"]
    subprocess.run([*me, str(path), str(lines), str(first_invoice), repr(per_day)], check=True)


# ---- measuring ------------------------------------------------------------


@dataclass(slots=True)
class Step:
    lines: int
    name: str
    seconds: float
    peak_mib: float
    baseline: str = ""
    ratio: float | None = None


def run_measured(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one subprocess."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({process.returncode}):\n{stdout[-2000:]}\n{stderr[-2000:]}"
        )
    return seconds, usage.ru_maxrss / 1024, stdout  # Linux reports KiB


def baseline_worker(action: str, database: str, csv_path: str, start: str, end: str) -> None:
    """Runs in a subprocess: DuckDB alone, no KAM code."""
    import duckdb

    with duckdb.connect(database) as con:
        source = f"read_csv(?, header = true, types = {BASELINE_TYPES})"
        if action == "load":
            con.execute(f"CREATE TABLE lines AS SELECT * FROM {source}", [csv_path])
        elif action == "query":
            rows = con.execute(BASELINE_TOTALS, [start, end]).fetchall()
            print(len(rows))
        elif action == "monthly":
            con.execute("BEGIN")
            con.execute(f"CREATE TEMP TABLE new AS SELECT * FROM {source}", [csv_path])
            con.execute('DELETE FROM lines WHERE "Invoice" IN (SELECT "Invoice" FROM new)')
            con.execute("INSERT INTO lines SELECT * FROM new")
            con.execute("COMMIT")


def measure(ledgers: Ledgers, workdir: Path) -> list[Step]:
    n = ledgers.lines
    home = workdir / f"kam-{n}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {**os.environ, "KAM_HOME": str(home), "PYTHONHASHSEED": "0"}
    env.pop("KAM_LEDGER_URL", None)
    env.pop("DATABASE_URL", None)
    base_db = str(workdir / f"baseline-{n}.duckdb")
    Path(base_db).unlink(missing_ok=True)
    me = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    latest = ("2024-01-01", "2025-01-01")
    steps: list[Step] = []

    def step(name: str, argv: Sequence[str]) -> Step:
        seconds, peak, _ = run_measured(argv, env)
        result = Step(n, name, seconds, peak)
        steps.append(result)
        print(f"  {name:<18} {seconds:8.2f} s  {peak:8.0f} MiB", flush=True)
        return result

    run_measured([KAM, "migrate"], env)
    load = step("baseline load", [*me, "load", base_db, str(ledgers.big), *latest])
    query = step("baseline query", [*me, "query", base_db, "", *latest])
    imported = step("kam import", [KAM, "import", str(ledgers.big), "--format", "json"])
    analyzed = step("kam analyze", [KAM, "analyze", "--format", "json"])
    again = step(
        "re-analysis",
        [KAM, "analyze", "--from", RE_ANALYSIS[0], "--to", RE_ANALYSIS[1], "--format", "json"],
    )
    base_month = step("baseline monthly", [*me, "monthly", base_db, str(ledgers.monthly), *latest])
    month = step("monthly import", [KAM, "import", str(ledgers.monthly), "--format", "json"])

    total = Step(
        n,
        "import + analyze",
        imported.seconds + analyzed.seconds,
        max(imported.peak_mib, analyzed.peak_mib),
    )
    base_total = load.seconds + query.seconds
    total.baseline, total.ratio = "load + query", total.seconds / base_total
    imported.baseline, imported.ratio = "load", imported.seconds / load.seconds
    analyzed.baseline, analyzed.ratio = "query", analyzed.seconds / query.seconds
    again.baseline, again.ratio = "query", again.seconds / query.seconds
    month.baseline, month.ratio = "monthly", month.seconds / base_month.seconds
    steps.append(total)
    shutil.rmtree(home, ignore_errors=True)
    Path(base_db).unlink(missing_ok=True)
    return steps


# ---- reporting ------------------------------------------------------------

TARGETS = {
    "import + analyze": "≤ 1.25× baseline",
    "re-analysis": "< 1.5 s (10M)",
    "monthly import": "< 3 s (10M)",
}


def print_table(steps: list[Step]) -> None:
    print()
    print(f"{'lines':>11}  {'step':<18} {'seconds':>8} {'peak MiB':>9}  {'vs baseline':<22} target")
    for s in steps:
        versus = f"{s.ratio:5.2f}× {s.baseline}" if s.ratio is not None else ""
        print(
            f"{s.lines:>11,}  {s.name:<18} {s.seconds:8.2f} {s.peak_mib:9.0f}  "
            f"{versus:<22} {TARGETS.get(s.name, '')}"
        )
    totals = {s.lines: s.seconds for s in steps if s.name == "import + analyze"}
    sizes = sorted(totals)
    for small, large in itertools.pairwise(sizes):
        growth = totals[large] / totals[small]
        print(
            f"growth {small:,} -> {large:,} lines: {large / small:.1f}× the lines, "
            f"{growth:.2f}× the import + analyze time"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--worker":
        baseline_worker(*args[1:6])
        return 0
    if args and args[0] == "--generate":
        path, lines, first, per_day = args[1:5]
        generate(
            Path(path), lines=int(lines), first_invoice=int(first), invoices_per_day=float(per_day)
        )
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workdir", type=Path, help="KAM_HOME and baseline files (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    options = parser.parse_args(args)
    duckdb_version = importlib.metadata.version("duckdb")
    print(f"DuckDB {duckdb_version}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    # Bytecode first, as an installed package has it: an editable install compiles on
    # first import, and every time where writing bytecode is switched off.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "kam")], check=True)
    steps: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="kam-bench-", dir=options.workdir) as work:
        for lines in options.lines:
            ledgers = ledgers_for(lines)
            print(f"{lines:,} lines ({ledgers.big.stat().st_size / 1e6:.0f} MB CSV)", flush=True)
            steps += measure(ledgers, Path(work))
    print_table(steps)
    if options.json:
        options.json.write_text(json.dumps([asdict(s) for s in steps], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
