"""The `kam` command: a thin layer that parses, calls one service and prints."""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description="Key account management.")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import sales ledger files (CSV, TSV, XLSX, Parquet)")
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument("--map", action="append", default=[], metavar="FIELD=HEADER")
    imp.add_argument("--mapping", metavar="NAME", help="use a saved column mapping")
    imp.add_argument("--save-mapping", metavar="NAME", help="save the mapping used")
    imp.add_argument("--sheet", metavar="NAME", help="XLSX sheet (default: the first)")
    imp.add_argument("--decimal", choices=["point", "comma"], help="force the decimal separator")
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.add_argument("--format", choices=["table", "json"], default="table")

    ana = sub.add_parser("analyze", help="key-client concentration of a period")
    ana.add_argument("--year", type=int)
    ana.add_argument("--from", dest="date_from", metavar="DATE")
    ana.add_argument("--to", dest="date_to", metavar="DATE", help="exclusive end date")
    ana.add_argument("--top", type=int, default=20)
    ana.add_argument("--format", choices=["table", "json", "csv"], default="table")

    demo = sub.add_parser("demo", help="generate and import a believable demo ledger")
    demo.add_argument("--clients", type=int, default=400)
    demo.add_argument("--lines", type=int, default=60_000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--output", type=Path, help="also keep the generated CSV here")
    demo.add_argument("--if-empty", action="store_true", help="only when the ledger is empty")

    user = sub.add_parser("createuser", help="create a person who can sign in")
    user.add_argument("username")
    user.add_argument("--role", default="analyst")
    user.add_argument("--email", default="")
    user.add_argument("--password", help="default: asked on the terminal")

    serve = sub.add_parser("serve", help="serve the web app on 127.0.0.1")
    serve.add_argument("--port", type=int)
    serve.add_argument("--host", default="127.0.0.1")

    sub.add_parser("migrate", help="create or upgrade the operational database")
    sub.add_parser("setup", help="migrate, then add demo data and a demo user when empty")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup()
    from django.db import OperationalError

    from kam.common.errors import DomainError

    handler: Callable[[argparse.Namespace], int] = COMMANDS[args.command]
    try:
        return handler(args)
    except DomainError as error:
        print(f"kam {args.command}: {error}", file=sys.stderr)
        return EXIT_ERROR
    except OperationalError as error:
        print(
            f"kam {args.command}: the operational database is unavailable: {_first_line(error)}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted; nothing was changed", file=sys.stderr)
        return 130


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _import(args: argparse.Namespace) -> int:
    from kam.cli_output import import_progress, print_import_report
    from kam.ledger.parsing import parse_overrides
    from kam.ledger.selectors import ledger_store
    from kam.ledger.services import ledger_import

    with import_progress() as progress:
        report = ledger_import(
            store=ledger_store(),
            paths=args.paths,
            given=parse_overrides(args.map),
            mapping_name=args.mapping,
            save_mapping=args.save_mapping,
            sheet=args.sheet,
            decimal=args.decimal,
            dry_run=args.dry_run,
            operator=getpass.getuser(),
            progress=progress,
        )
    if report.ok and not args.dry_run:
        from kam.ledger.jobs import import_job_audit
        from kam.ledger.models import ImportJob

        import_job_audit(job=ImportJob.objects.get(pk=report.job_id), user=None)
    print_import_report(report, as_json=args.format == "json")
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _analyze(args: argparse.Namespace) -> int:
    from django.conf import settings

    from kam.analytics.selectors import concentration_analysis, default_period
    from kam.analytics.services import snapshot_ensure_current
    from kam.cli_output import print_analysis
    from kam.common.periods import Period, PeriodError
    from kam.ledger.selectors import ledger_store

    store = ledger_store()
    snapshot_ensure_current(store=store)
    if args.year and (args.date_from or args.date_to):
        raise PeriodError("give either --year or --from/--to, not both")
    if args.year:
        period = Period.year(args.year, start_month=settings.KAM_FISCAL_YEAR_START)
    elif args.date_from or args.date_to:
        if not (args.date_from and args.date_to):
            raise PeriodError("--from and --to go together")
        period = Period.parse(args.date_from, args.date_to)
    else:
        period = default_period(store=store)
    analysis = concentration_analysis(store=store, period=period)
    if args.format == "json":
        print(json.dumps(analysis.as_json(top=args.top), indent=1, ensure_ascii=False))
    elif args.format == "csv":
        _print_csv(analysis.top(args.top))
    else:
        print_analysis(analysis, top=args.top)
    return EXIT_OK


def _print_csv(rows: list[dict[str, Any]]) -> None:
    from kam.common.exports import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["client", "name", "revenue", "share", "cumulative_share", "class"])
    for row in rows:
        writer.writerow(
            [
                safe_cell(row[k])
                for k in ("client", "name", "revenue", "share", "cumulative_share", "class")
            ]
        )
    sys.stdout.write(out.getvalue())


def _demo(args: argparse.Namespace) -> int:
    from kam.analytics import engine
    from kam.cli_output import import_progress, print_import_report
    from kam.ledger.demo import DemoSpec, write_demo_csv
    from kam.ledger.selectors import ledger_store
    from kam.ledger.services import ledger_import

    store = ledger_store()
    if args.if_empty and engine.ledger_span(store).lines > 0:
        print("the ledger already holds data; no demo data added")
        return EXIT_OK
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kam-demo-") as folder:
        path = args.output or Path(folder) / "demo_erp_export.csv"
        write_demo_csv(path, DemoSpec(clients=args.clients, lines=args.lines, seed=args.seed))
        with import_progress() as progress:
            report = ledger_import(store=store, paths=[path], operator="demo", progress=progress)
    print_import_report(report, as_json=False)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def _createuser(args: argparse.Namespace) -> int:
    from kam.audit.models import AuditEvent
    from kam.audit.services import Actor
    from kam.people.services import user_create

    password = args.password or getpass.getpass("Password (12 characters or more): ")
    actor = Actor(user=None, interface=AuditEvent.Interface.CLI, label=getpass.getuser())
    user = user_create(
        username=args.username, password=password, role=args.role, email=args.email, actor=actor
    )
    print(f"created {user.username} ({user.get_role_display()})")
    return EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print("database ready")
    return EXIT_OK


def _setup_command(args: argparse.Namespace) -> int:
    from kam.people.services import demo_user_ensure

    _migrate(args)
    _demo(argparse.Namespace(clients=400, lines=60_000, seed=7, output=None, if_empty=True))
    username, password = demo_user_ensure()
    if password:
        print(f"demo sign-in: {username} / {password}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from kam.people.services import demo_sign_in

    port = args.port or settings.KAM_PORT
    print(f"KAM is at http://{args.host}:{port}/ (Ctrl+C stops it)")
    if sign_in := demo_sign_in():
        print("demo sign-in: {} / {}".format(*sign_in))
    call_command("runserver", f"{args.host}:{port}", use_reloader=False, use_threading=True)
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "import": _import,
    "analyze": _analyze,
    "demo": _demo,
    "createuser": _createuser,
    "serve": _serve,
    "migrate": _migrate,
    "setup": _setup_command,
}

if __name__ == "__main__":
    sys.exit(main())
