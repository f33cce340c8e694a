"""An import killed at any moment leaves the ledger exactly as it was or exactly as imported."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from kam.ledger.tests.ledger_helpers import HEADER

pytestmark = pytest.mark.slow

LedgerState = tuple[int, Decimal, Decimal]
BIG_LINES = 300_000


def _write_old(path: Path) -> None:
    """Invoices N0..N999 (the big file re-contains them, changed) and some of its own."""
    rows = [
        f"N{i},2023-12-{1 + i % 28:02d},C{i % 50},Client {i % 50},P{i % 7},1,3.5"
        for i in range(1000)
    ]
    rows += [f"OLD{i},2023-11-02,C{i % 50},Client {i % 50},P1,2,1.25" for i in range(500)]
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")


def _write_big(path: Path) -> None:
    with path.open("w") as out:
        out.write(HEADER + "\n")
        out.writelines(
            f"N{i // 4},2024-{1 + i % 12:02d}-{1 + i % 28:02d},C{i % 997},Client {i % 997},"
            f"P{i % 131},{1 + i % 9},{i % 1000}.{i % 100:02d}\n"
            for i in range(BIG_LINES)
        )


def _state(ledger: Path) -> LedgerState:
    con = duckdb.connect(str(ledger))  # read-write: replays (or drops) what a kill left in the WAL
    try:
        row = con.execute(
            "SELECT count(*), coalesce(sum(net_amount), 0), coalesce(sum(quantity), 0) "
            "FROM ledger_lines"
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0]), Decimal(row[1]), Decimal(row[2])


def _copy_ledger(source: Path, target: Path) -> None:
    for suffix in ("", ".wal"):
        src, dst = Path(f"{source}{suffix}"), Path(f"{target}{suffix}")
        dst.unlink(missing_ok=True)
        if src.exists():
            shutil.copyfile(src, dst)


def test_an_import_killed_at_any_moment_leaves_the_old_or_the_complete_new_ledger(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("KAM_LEDGER_URL", "DATABASE_URL")}
    env |= {"KAM_HOME": str(home), "DJANGO_SETTINGS_MODULE": "kam.settings"}
    cli = [sys.executable, "-m", "kam.cli"]

    def kam(*args: str) -> None:
        done = subprocess.run([*cli, *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    old, big = tmp_path / "old.csv", tmp_path / "big.csv"
    _write_old(old)
    _write_big(big)
    kam("migrate")
    kam("import", str(old))
    ledger, pristine = home / "ledger.duckdb", tmp_path / "pristine.duckdb"
    old_state = _state(ledger)
    assert old_state[0] == 1500
    _copy_ledger(ledger, pristine)

    started = time.monotonic()
    kam("import", str(big))
    full = time.monotonic() - started
    new_state = _state(ledger)
    assert new_state[0] == BIG_LINES + 500 and new_state != old_state

    def killed_after(delay: float) -> tuple[bool, LedgerState]:
        _copy_ledger(pristine, ledger)
        process = subprocess.Popen(
            [*cli, "import", str(big)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        killed = process.poll() is None
        if killed:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        state = _state(ledger)
        assert state in (old_state, new_state), (delay, state, old_state, new_state)
        return killed, state

    outcomes = [killed_after(0.3)]
    # Then close in on the moment the new ledger commits, the most fragile one.
    early, late = 0.0, full
    for _ in range(6):
        delay = (early + late) / 2
        killed, state = killed_after(delay)
        outcomes.append((killed, state))
        if killed and state == old_state:
            early = delay
        else:
            late = delay
    assert outcomes[0] == (True, old_state)
    assert any(killed for killed, state in outcomes[1:]), "no run was killed mid-way"
