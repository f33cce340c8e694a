"""How the CLI shows reports: rich tables on a terminal, plain text otherwise."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from kam.common.money import CENT


def _money(amount: object) -> str:
    """Thousands grouped, two decimals rounded half up as the pages round them (9,296.685
    shows 9,296.69); JSON keeps the exact text."""
    return f"{Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP):,.2f}"


if TYPE_CHECKING:
    from kam.analytics.selectors import Analysis
    from kam.ledger.services import FileReport, ImportReport
    from kam.ledger.services import Progress as ProgressFn

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


@contextmanager
def import_progress() -> Iterator[ProgressFn]:
    """A progress bar per stage on a terminal; silent when output is piped."""
    if not sys.stderr.isatty():
        yield lambda stage, fraction: None
        return
    bar = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, fraction: float | None) -> None:
        if stage not in tasks:
            for other in tasks.values():
                bar.update(other, completed=1.0)
            tasks[stage] = bar.add_task(stage, total=1.0 if fraction is not None else None)
        if fraction is not None:
            bar.update(tasks[stage], total=1.0, completed=fraction)

    with bar:
        yield update
        for task in tasks.values():
            bar.update(task, total=1.0, completed=1.0)


def print_import_report(report: ImportReport, *, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(_report_dict(report)))
        return
    for file in report.files:
        if file.mapping:
            table = Table(title=f"{file.name}: columns", show_edge=False)
            table.add_column("field")
            table.add_column("column of the file")
            table.add_column("how")
            for field, header in file.mapping.fields.items():
                table.add_row(field, header, file.mapping.sources[field])
            console.print(table)
        if reading := _reading(file):
            console.print(f"{file.name}: {reading}")
    if not report.ok:
        _print_problems(report)
        return
    verb = "would import" if report.dry_run else "imported"
    console.print(
        f"{verb} {report.lines:,} lines, {report.invoices:,} invoices, "
        f"{report.clients:,} clients"
        + ("" if report.dry_run else f"; replaced {report.lines_replaced:,} earlier lines")
        + f" in {report.duration_ms / 1000:.1f} s (job #{report.job_id})"
    )


def _reading(file: FileReport) -> str:
    """How the file's dates and numbers were read, e.g. "dates read as DD/MM/YYYY,
    numbers with a decimal comma": an ambiguous 03/01/2024 is read as the file's
    other dates say, and a person should see which way."""
    from kam.ledger.parsing import date_shape

    parts = [f"dates read as {date_shape(file.date_format)}"] if file.date_format else []
    styles = sorted(set(file.decimal_styles.values()))
    if len(styles) == 1:
        parts.append(f"numbers with a decimal {styles[0]}")
    else:
        for style in styles:
            fields = sorted(f for f, s in file.decimal_styles.items() if s == style)
            parts.append(f"decimal {style} in {', '.join(fields)}")
    return ", ".join(parts)


def _print_problems(report: ImportReport) -> None:
    table = Table(title=f"{report.problem_count:,} problem(s); nothing was imported")
    for column in ("file", "row", "column", "value", "reason"):
        table.add_column(column)
    for p in report.problems[:50]:
        value = "" if p.value is None else (p.value[:40] + "…" if len(p.value) > 40 else p.value)
        table.add_row(p.file, str(p.row or ""), p.column or "", value, p.reason)
    err.print(table)
    if report.problem_count > 50:
        err.print(f"… and {report.problem_count - 50:,} more (see --format json)")


def _report_dict(report: ImportReport) -> dict[str, object]:
    return {
        "job": report.job_id,
        "dry_run": report.dry_run,
        "ok": report.ok,
        "lines": report.lines,
        "invoices": report.invoices,
        "clients": report.clients,
        "lines_replaced": report.lines_replaced,
        "files": [
            {
                "name": f.name,
                "sha256": f.sha256,
                "bytes": f.size,
                "mapping": f.mapping.fields if f.mapping else None,
                "date_format": f.date_format,
                "decimal": f.decimal_styles,
            }
            for f in report.files
        ],
        "problem_count": report.problem_count,
        "problems": [p.as_dict() for p in report.problems],
    }


def print_analysis(analysis: Analysis, *, top: int) -> None:
    r = analysis.result
    counts, revenues = r.class_counts(), r.class_revenues()
    console.print(
        f"[bold]Key clients, {analysis.period.label}[/bold] "
        f"({analysis.period.start} to {analysis.period.end}, end exclusive)"
    )
    console.print(
        f"{r.clients:,} clients bought {_money(r.revenue)} {analysis.currency}; "
        f"the top 20% bring {float(r.top20_share):.1%}. "
        f"Gini {float(r.gini):.3f}, HHI {float(r.hhi):.1f}."
    )
    if r.non_positive:
        console.print(f"{r.non_positive:,} clients with zero or negative net revenue left out.")
    if analysis.unattributed_lines:
        console.print(
            f"{analysis.unattributed_lines:,} lines without a client id: "
            f"{_money(analysis.unattributed_amount)} {analysis.currency}."
        )
    if analysis.margin:
        m = analysis.margin
        console.print(
            f"Gross margin {_money(m.amount)} ({float(m.percent):.1%}), "
            f"cost known for {float(m.coverage):.1%} of revenue."
        )
    abc = Table(title="ABC classes", show_edge=False)
    for column in ("class", "clients", "revenue", "share"):
        abc.add_column(column, justify="right")
    for cls in ("A", "B", "C"):
        share = revenues[cls] / r.revenue if r.revenue else 0
        abc.add_row(cls, f"{counts[cls]:,}", _money(revenues[cls]), f"{float(share):.1%}")
    console.print(abc)
    table = Table(title=f"Top {min(top, r.clients)} clients", show_edge=False)
    for column in ("#", "client", "name", "revenue", "share", "cumulative", "class"):
        numeric = column in ("#", "revenue", "share", "cumulative")
        table.add_column(column, justify="right" if numeric else "left")
    for i, row in enumerate(analysis.top(top), start=1):
        table.add_row(
            str(i),
            row["client"],
            row["name"],
            _money(row["revenue"]),
            f"{row['share']:.2%}",
            f"{row['cumulative_share']:.1%}",
            row["class"],
        )
    console.print(table)
